import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import { MAPPING_SCHEMA } from '../../src/ledgers/custom/model.ts';
import { customReconTablesSql } from '../../src/ledgers/custom/recon-tables.ts';
import { withMappedLedger } from '../../src/ledgers/custom/report.ts';
import { TABLES } from '../../src/packs/bot-ledger/contract.ts';
import { pausedProfiles } from '../../src/recon/pause.ts';
import { parse } from 'yaml';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { customConfig, userDatabase } from './custom-fixture.ts';

// A desk's own schema, in its own PostgreSQL schema: executions, a pause flag per account, and the venue's fills and balances.
const USER_SCHEMA = `
CREATE SCHEMA trading;
CREATE TABLE trading.executions (
  exec_ref text PRIMARY KEY, account text NOT NULL, instrument text NOT NULL, lifecycle text, leg text NOT NULL,
  direction text, state text NOT NULL, size numeric(28, 10) NOT NULL, px numeric, venue_order text,
  origin text NOT NULL DEFAULT 'strategy', done_at timestamptz, booked_at timestamptz NOT NULL DEFAULT now(), note text);
CREATE TABLE trading.bot_state (account text PRIMARY KEY, paused boolean NOT NULL);
CREATE TABLE trading.venue_fills (fill_ref bigint PRIMARY KEY, account text NOT NULL, instrument text NOT NULL, venue_order text,
  venue_trade text NOT NULL, direction text, size numeric NOT NULL, px numeric, at timestamptz NOT NULL);
CREATE TABLE trading.venue_balances (account text, instrument text, size numeric, seen_at timestamptz);
INSERT INTO trading.executions (exec_ref, account, instrument, lifecycle, leg, direction, state, size, px, venue_order, done_at, booked_at) VALUES
  ('E-1', 'desk', 'BTC', 'TRD-0001', 'ENTRY', 'buy', 'filled', 1.5, 100, 'V-1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
  ('E-2', 'desk', 'ETH', 'TRD-0002', 'ENTRY', 'buy', 'filled', 2, 10, 'V-2', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO trading.venue_fills VALUES
  (1, 'desk', 'BTC', 'V-9', 'T-91', 'sell', 1.0, 120, '2026-01-01T02:00:00Z'),
  (2, 'desk', 'BTC', 'V-9', 'T-92', 'sell', 0.5, 121, '2026-01-01T02:00:01Z'),
  (3, 'desk', 'ETH', 'V-8', 'T-81', 'sell', 1.0, 12, '2026-01-01T02:00:00Z');
INSERT INTO trading.venue_balances VALUES ('desk', 'BTC', 0, '2026-01-01T03:00:00Z'), ('desk', 'ETH', 0, '2026-01-01T03:00:00Z');
INSERT INTO trading.bot_state VALUES ('desk', false);
`;

const MAPPING = `ledger: custom
mapping:
  orders:
    table: trading.executions
    columns: { order_id: exec_ref, profile_id: account, symbol: instrument, trade_id: lifecycle, action: leg, side: direction, status: state,
               quantity: size, price: px, exchange_order_id: venue_order, source: origin, filled_at: done_at, created_at: booked_at }
  trading_status:
    table: trading.bot_state
    columns: { profile_id: account, state: paused }
  exchange_fills:
    table: trading.venue_fills
    columns: { id: fill_ref, profile_id: account, symbol: instrument, exchange_order_id: venue_order, exchange_trade_id: venue_trade,
               side: direction, quantity: size, price: px, filled_at: at }
  exchange_positions:
    table: trading.venue_balances
    columns: { profile_id: account, symbol: instrument, quantity: size, observed_at: seen_at }
recon:
  evidence: { source: table }
`;

// The fills are in January 2026.
const RECON = ['--lookback-hours', '87600'];

interface Cycle {
  batchId: string | null;
  counts: Record<string, number>;
  audit: { tradeId: string; decision: string; reason: string; backfillOrderId: string | null }[];
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`recon run / plan / apply / verify / rollback / audit on a custom PostgreSQL ledger (${kind})`, () => {
    let test: TestDatabase;
    let config: string;
    const executions = async () => {
      const db = await openDatabase(test.url);
      try {
        return await db.query<{
          exec_ref: string;
          lifecycle: string;
          leg: string;
          direction: string | null;
          state: string;
          size: string;
          px: string | null;
          venue_order: string | null;
          origin: string;
          done_at: Date | null;
        }>(
          'SELECT exec_ref, lifecycle, leg, direction, state, size::text AS size, px::text AS px, venue_order, origin, done_at FROM trading.executions ORDER BY booked_at, exec_ref',
        );
      } finally {
        await db.close();
      }
    };
    const paused = async (value: boolean) => {
      const db = await openDatabase(test.url);
      await db.query('UPDATE trading.bot_state SET paused = $1', [value]);
      await db.close();
    };
    before(async () => {
      test = await userDatabase(kind, USER_SCHEMA);
      config = join(test.dir, 'tradeledger.yaml');
      writeFileSync(config, customConfig(MAPPING, test.url));
    });
    after(async () => test.cleanup());

    it('a dry run writes audit rows into our own schema and nothing into the user tables', async () => {
      const run = await cli('recon', 'run', '--config', config, '--enable', '--dry-run', '--json', ...RECON);
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as Cycle;
      // The pause flag is false: the running desk is refused; nothing is even planned.
      assert.deepEqual(
        result.audit.map((a) => `${a.tradeId}:${a.decision}:${a.reason}`),
        ['TRD-0001:NO_GO:profile_not_paused', 'TRD-0002:NO_GO:profile_not_paused'],
      );
      assert.equal((await executions()).length, 2);
      const db = await openDatabase(test.url);
      const ours = await db.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
          WHERE table_name IN ('reconciliation_backfill_audit', 'recon_open_lifecycles', 'recon_cycle_state') ORDER BY 2`,
      );
      await db.close();
      assert.deepEqual(
        ours.map((t) => `${t.schema}.${t.name}`),
        ['tradeledger_ledger.recon_cycle_state', 'tradeledger_ledger.recon_open_lifecycles', 'tradeledger_ledger.reconciliation_backfill_audit'],
      );
    });

    it('with the desk paused: the covered lifecycle is planned, the large remainder refused by the dust ceiling', async () => {
      await paused(true);
      const dry = await cli('recon', 'run', '--config', config, '--enable', '--dry-run', '--json', ...RECON);
      assert.equal(dry.code, 0, dry.stderr);
      const result = JSON.parse(dry.stdout) as Cycle;
      assert.deepEqual(result.audit.map((a) => `${a.tradeId}:${a.decision}`).sort(), ['TRD-0001:DRY_RUN', 'TRD-0002:NO_GO']);
      assert.equal(result.audit.find((a) => a.tradeId === 'TRD-0002')!.reason, 'missing_fill_evidence_for_large_remainder');
      assert.equal((await executions()).length, 2, 'a dry run writes no order');
      // apply is refused in a dry run (exit 3), as on the bot ledger.
      const refused = await cli('recon', 'apply', '--config', config, '--enable', '--batch', result.batchId!, ...RECON);
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, /dry run is on/);
    });

    if (kind === 'postgres') {
      it("the pause is held: the user's pause row is locked FOR SHARE through the view until the batch commits", async () => {
        const mapping = (parse(MAPPING) as { mapping: Parameters<typeof withMappedLedger>[1] }).mapping;
        await withMappedLedger(test.url, mapping, (db) =>
          db.transaction(async (tx) => {
            assert.deepEqual([...(await pausedProfiles(tx, { kind: 'table' }, ['desk'], { hold: true }))], [['desk', true]]);
            // Another program resuming the desk meanwhile waits for our commit; it gives up at its lock timeout here.
            const other = await openDatabase(test.url);
            try {
              await assert.rejects(
                other.transaction(async (o) => {
                  await o.exec("SET LOCAL lock_timeout = '100ms'");
                  await o.query('UPDATE trading.bot_state SET paused = false');
                }),
                /lock timeout/,
              );
            } finally {
              await other.close();
            }
          }),
        );
      });
    }

    let batch = '';
    it('plan then apply inserts the compensating EXIT row through the view into the user table', async () => {
      const plan = await cli('recon', 'plan', '--config', config, '--enable', '--json', ...RECON);
      assert.equal(plan.code, 0, plan.stderr);
      const planned = JSON.parse(plan.stdout) as Cycle;
      assert.equal(planned.counts['PENDING_APPLY'], 1);
      batch = planned.batchId!;
      const apply = await cli('recon', 'apply', '--config', config, '--enable', '--no-dry-run', '--batch', batch, '--json', ...RECON);
      assert.equal(apply.code, 0, apply.stderr);
      assert.equal((JSON.parse(apply.stdout) as Cycle).counts['APPLIED'], 1);
      const rows = await executions();
      const exit = rows.find((r) => r.exec_ref.startsWith('BFILL-'))!;
      assert.ok(exit, JSON.stringify(rows));
      assert.deepEqual(
        {
          lifecycle: exit.lifecycle,
          leg: exit.leg,
          direction: exit.direction,
          state: exit.state,
          size: Number(exit.size),
          venue: exit.venue_order,
          origin: exit.origin,
        },
        { lifecycle: 'TRD-0001', leg: 'EXIT', direction: 'sell', state: 'filled', size: 1.5, venue: 'V-9', origin: 'backfill' },
      );
      assert.equal(exit.done_at?.toISOString(), '2026-01-01T02:00:01.000Z');
      // The average price of the exit's fills, in decimals: (1.0 × 120 + 0.5 × 121) / 1.5.
      assert.equal(exit.px, '120.33333333333333333');
      const verify = await cli('recon', 'verify', '--config', config, '--json');
      assert.equal(verify.code, 1, 'TRD-0002 stays open');
      assert.deepEqual(
        (JSON.parse(verify.stdout) as { stillOpen: { tradeId: string }[] }).stillOpen.map((l) => l.tradeId),
        ['TRD-0002'],
      );
      const again = await cli('recon', 'run', '--config', config, '--enable', '--no-dry-run', '--json', '--full', ...RECON);
      assert.equal(again.code, 0, again.stderr);
      assert.equal((await executions()).length, 3, 'a rerun inserts nothing twice');
    });

    it('rollback cancels the EXIT row (status only, nothing deleted), marks the audit, and is idempotent', async () => {
      const rollback = await cli('recon', 'rollback', '--config', config, '--batch', batch);
      assert.equal(rollback.code, 0, rollback.stderr);
      assert.match(rollback.stdout, /1 backfill order\(s\) canceled/);
      const rows = await executions();
      assert.equal(rows.length, 3);
      assert.equal(rows.find((r) => r.exec_ref.startsWith('BFILL-'))!.state, 'canceled');
      const twice = await cli('recon', 'rollback', '--config', config, '--batch', batch);
      assert.match(twice.stdout, /0 backfill order\(s\) canceled/);
      const audit = await cli('recon', 'audit', '--config', config, '--batch', batch, '--json');
      assert.equal(audit.code, 0, audit.stderr);
      const listed = JSON.parse(audit.stdout) as { decision: string; revertedAt: string | null }[];
      assert.ok(listed.length > 0 && listed.every((r) => r.revertedAt !== null));
    });

    it('a run after the rollback reinstates the canceled EXIT row (source maps to a column), still one row', async () => {
      const run = await cli('recon', 'run', '--config', config, '--enable', '--no-dry-run', '--full', '--json', ...RECON);
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as Cycle;
      assert.deepEqual(
        result.audit.filter((a) => a.decision === 'APPLIED').map((a) => a.reason),
        ['reinstated: the backfill row a rollback canceled is filled again'],
      );
      const rows = await executions();
      assert.equal(rows.length, 3);
      assert.equal(rows.find((r) => r.exec_ref.startsWith('BFILL-'))!.state, 'filled');
    });
  });
}

// The least a writable mapping needs: no side, price, venue order, source, fill time or updated_at of the user's.
const MINIMAL_SCHEMA = `
CREATE TABLE book (id varchar(64) PRIMARY KEY, acct text NOT NULL, sym text NOT NULL, pos text, kind text NOT NULL, st text NOT NULL,
  amount numeric NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE halts (acct text PRIMARY KEY, mode text NOT NULL);
INSERT INTO book VALUES ('b-1', 'a', 'SOL', 'TRD-9', 'ENTRY', 'filled', 3, '2026-01-01T00:00:00Z');
INSERT INTO halts VALUES ('a', 'paused');
`;

const MINIMAL = `ledger: custom
mapping:
  orders:
    table: book
    columns: { order_id: id, profile_id: acct, symbol: sym, trade_id: pos, action: kind, status: st, quantity: amount, created_at: at }
  trading_status:
    table: halts
    columns: { profile_id: acct, state: mode }
`;

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`a minimal writable mapping (${kind}): EXIT rows carry what the user table has; the rest is left to its defaults`, () => {
    let test: TestDatabase;
    before(async () => {
      test = await userDatabase(kind, MINIMAL_SCHEMA);
    });
    after(async () => test.cleanup());

    it('applies from a file of evidence and rolls back by status', async () => {
      const config = join(test.dir, 'tradeledger.yaml');
      const evidence = join(test.dir, 'evidence.json');
      writeFileSync(
        evidence,
        JSON.stringify({
          fills: [
            {
              profile_id: 'a',
              symbol: 'SOL',
              exchange_order_id: 'X-1',
              exchange_trade_id: 'x-1',
              side: 'sell',
              quantity: '3',
              price: '20',
              filled_at: '2026-01-01T01:00:00Z',
            },
          ],
          positions: [{ profile_id: 'a', symbol: 'SOL', quantity: '0', observed_at: '2026-01-01T02:00:00Z' }],
        }),
      );
      writeFileSync(config, customConfig(MINIMAL, test.url));
      const run = await cli('recon', 'run', '--config', config, '--enable', '--no-dry-run', '--evidence-file', evidence, '--json', ...RECON);
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as Cycle;
      assert.deepEqual(result.counts, { APPLIED: 1 });
      const db = await openDatabase(test.url);
      const rows = await db.query<{ id: string; kind: string; st: string; amount: string; at: Date }>(
        'SELECT id, kind, st, amount::text AS amount, at FROM book ORDER BY id',
      );
      assert.deepEqual(
        rows.map((r) => `${r.id.startsWith('BFILL-') ? 'BFILL' : r.id}:${r.kind}:${r.st}:${Number(r.amount)}`),
        ['BFILL:EXIT:filled:3', 'b-1:ENTRY:filled:3'],
      );
      await db.close();
      const rollback = await cli('recon', 'rollback', '--config', config, '--batch', result.batchId!);
      assert.equal(rollback.code, 0, rollback.stderr);
      const again = await openDatabase(test.url);
      const after = await again.query<{ st: string }>("SELECT st FROM book WHERE id LIKE 'BFILL-%'");
      await again.close();
      assert.deepEqual(after, [{ st: 'canceled' }]);
    });
  });
}

describe("reconciliation's own tables in tradeledger_ledger", () => {
  it("have the bot-ledger pack's columns for them (src/packs/bot-ledger/contract.ts)", async () => {
    const test = await createTestDatabase('pglite');
    const db = await openDatabase(test.url);
    try {
      await db.exec(`CREATE SCHEMA ${MAPPING_SCHEMA}; ${customReconTablesSql()}`);
      for (const name of ['reconciliation_backfill_audit', 'recon_open_lifecycles', 'recon_cycle_state']) {
        const columns = await db.query<{ name: string; type: string; not_null: boolean }>(
          `SELECT column_name AS name, data_type AS type, is_nullable = 'NO' AS not_null FROM information_schema.columns
            WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
          [MAPPING_SCHEMA, name],
        );
        const contract = TABLES.find((t) => t.name === name)!;
        assert.deepEqual(
          columns.map((c) => `${c.name} ${c.not_null ? '!' : ''}`),
          contract.columns.map((c) => `${c.name} ${c.notNull ? '!' : ''}`),
          name,
        );
      }
    } finally {
      await db.close();
      await test.cleanup();
    }
  });
});
