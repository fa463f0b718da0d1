import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openDatabase, withDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind, Queryable } from '../../src/db/port.ts';
import { migrateUp } from '../../src/migrate/up.ts';
import { readHistory } from '../../src/migrate/history.ts';
import { packSource } from '../../src/packs/registry.ts';
import { verifyBotLedger } from '../../src/packs/bot-ledger/verify.ts';
import { BLANK_CHARACTERS_SQL, BLANK_CODE_POINTS, TRADE_ID_FORMAT_SQL, tradeIdMissingSql } from '../../src/packs/bot-ledger/trade-id.ts';
import { copyTestDatabase, createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { catalogSnapshot, tableNames } from '../helpers/catalog.ts';
import { cli } from '../helpers/cli.ts';
import { testSettings } from '../helpers/migrations.ts';

const KINDS: readonly DatabaseKind[] = ['pglite', 'postgres'];
const PACK = ['--pack', 'bot-ledger'];

// The queries of docs/runbooks/trade-lifecycle-integrity.md Phase B, copied as the specification writes them.
const PHASE_B_INDEXES = `SELECT indexname
FROM pg_indexes
WHERE tablename IN ('orders', 'trade_history') AND indexname LIKE 'idx_%trade_id%';`;
const PHASE_B_CONSTRAINTS = `SELECT conname, convalidated
FROM pg_constraint
WHERE conname IN ( 'chk_orders_action_lifecycle', 'chk_orders_trade_id_not_blank', 'chk_orders_trade_id_format', 'chk_trade_history_trade_id_not_blank', 'chk_trade_history_trade_id_format' );`;

const FIVE = [
  'chk_orders_action_lifecycle',
  'chk_orders_trade_id_format',
  'chk_orders_trade_id_not_blank',
  'chk_trade_history_trade_id_format',
  'chk_trade_history_trade_id_not_blank',
];
const TWO_INDEXES = ['idx_orders_profile_trade_id', 'idx_trade_history_profile_trade_id'];

async function phaseB(db: Queryable): Promise<{ indexes: string[]; constraints: [string, boolean][] }> {
  const indexes = (await db.query<{ indexname: string }>(PHASE_B_INDEXES)).map((row) => row.indexname).sort();
  const constraints = (await db.query<{ conname: string; convalidated: boolean }>(PHASE_B_CONSTRAINTS))
    .map((row): [string, boolean] => [row.conname, row.convalidated])
    .sort((a, b) => a[0].localeCompare(b[0]));
  return { indexes, constraints };
}

interface OrderRow {
  readonly id: string;
  readonly tradeId: string | null;
  readonly action?: 'ENTRY' | 'EXIT' | null;
  readonly source?: 'bot' | 'manual' | 'legacy' | 'backfill';
}

function insertOrder(db: Queryable, row: OrderRow): Promise<unknown> {
  return db.query(
    `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, source, filled_at)
     VALUES ($1, 'p1', 'BTC/USDT', $2, $3, 'buy', 'filled', '0.5', $4, now())`,
    [row.id, row.tradeId, row.action ?? null, row.source ?? 'bot'],
  );
}

function insertHistory(db: Queryable, tradeId: string | null): Promise<unknown> {
  return db.query(`INSERT INTO trade_history (profile_id, symbol, trade_id, quantity) VALUES ('p1', 'BTC/USDT', $1, '0.5')`, [tradeId]);
}

/** Fails with SQLSTATE 23514 naming `constraint`. */
async function rejectedBy(work: Promise<unknown>, constraint: string): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.equal((error as { code?: string }).code, '23514');
    assert.match((error as Error).message, new RegExp(`"${constraint}"`));
    return true;
  });
}

function lines(text: string): Set<string> {
  return new Set(text.split('\n'));
}

function minus(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((line) => !b.has(line)).sort();
}

// Rows an older bot wrote before the guardrails: 007 adds its constraints NOT VALID, so these stay.
const LEGACY_ORDERS: readonly OrderRow[] = [
  { id: 'legacy-blank', tradeId: '   ', action: 'ENTRY' },
  { id: 'legacy-tab', tradeId: '\t', action: 'EXIT' },
  { id: 'legacy-nbsp', tradeId: '\u00a0', action: 'ENTRY' },
  { id: 'legacy-malformed', tradeId: 'trade-42', action: 'ENTRY' },
  { id: 'legacy-entry-no-id', tradeId: null, action: 'ENTRY' },
  { id: 'legacy-exit-no-id', tradeId: null, action: 'EXIT' },
];

describe('bot-ledger pack: lint', () => {
  it('squawk passes every migration without --allow-unsafe', async () => {
    const run = await cli('migrate', 'lint', ...PACK);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /no findings in 7 migration\(s\)/);
  });

  it('007 spells out the same blank characters and format the lifecycle tools use', () => {
    const text = readFileSync(new URL('../../src/packs/bot-ledger/migrations/007_trade_lifecycle_integrity_constraints.sql', import.meta.url), 'utf8');
    assert.equal(text.split(`btrim(trade_id, ${BLANK_CHARACTERS_SQL}) <> ''`).length - 1, 2, 'both not_blank constraints use BLANK_CHARACTERS_SQL');
    assert.equal(text.split(`trade_id ~ '${TRADE_ID_FORMAT_SQL}'`).length - 1, 2, 'both format constraints use TRADE_ID_FORMAT_SQL');
  });
});

for (const kind of KINDS) {
  describe(`bot-ledger pack on ${kind}`, () => {
    // Each test has a database of its own: a new one, or a copy of the one its block prepared, so that
    // every test runs on its own.
    let test: TestDatabase;
    let url: string;
    /** What the tests of the running block start from (a copy each); undefined: a new, empty database. */
    let start: TestDatabase | undefined;
    /** The catalog of the prepared database before anything was applied. */
    let empty: string;
    const use = <T>(fn: (db: Database) => Promise<T>) => withDatabase(url, fn);
    /** `migrate up` of the pack, to `version` (the latest when left out). */
    async function upTo(version?: string): Promise<void> {
      const up = await cli('migrate', 'up', ...(version === undefined ? [] : ['--to', version]), '--db', url, ...PACK);
      assert.equal(up.code, 0, up.stderr);
    }
    /** Legacy rows that break the coming rules can be written at version 6. */
    async function writeLegacyRows(): Promise<void> {
      await use(async (db) => {
        for (const row of LEGACY_ORDERS) await insertOrder(db, row);
        await insertHistory(db, ' ');
        await insertHistory(db, 'bogus id');
      });
    }
    /** A new database brought to a block's starting point by `steps`. */
    async function prepare(steps: () => Promise<void>): Promise<TestDatabase> {
      const prepared = await createTestDatabase(kind);
      url = prepared.url;
      empty = await use(catalogSnapshot);
      await steps();
      return prepared;
    }
    beforeEach(async () => {
      test = start === undefined ? await createTestDatabase(kind) : await copyTestDatabase(start);
      url = test.url;
    });
    afterEach(async () => {
      await test.cleanup();
    });

    // docs/runbooks/trade-lifecycle-integrity.md Phase B: nothing of migration 007 exists before version 7.
    it('up --to 6 creates the base tables, verify passes, and no index or constraint matches Phase B yet', async () => {
      const up = await cli('migrate', 'up', '--to', '6', '--db', url, ...PACK);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /version 0 → 6 \(6 applied\)/);
      const verify = await cli('migrate', 'verify', '--db', url, ...PACK);
      assert.equal(verify.code, 0, verify.stdout);
      await use(async (db) => {
        assert.deepEqual(await phaseB(db), { indexes: [], constraints: [] });
        assert.deepEqual(await tableNames(db), [
          'exchange_fills',
          'exchange_positions',
          'lifecycle_backfill_batches',
          'lifecycle_backfill_changes',
          'lifecycle_snapshots',
          'orders',
          'positions',
          'recon_cycle_state',
          'recon_open_lifecycles',
          'reconciliation_backfill_audit',
          'schema_version',
          'trade_history',
          'trading_status',
        ]);
      });
    });

    it('plan at version 6 shows 007 as a no-transaction step that builds its indexes CONCURRENTLY', async () => {
      await upTo('6');
      const printed = await cli('migrate', 'plan', '--db', url, ...PACK);
      assert.equal(printed.code, 0, printed.stderr);
      assert.match(printed.stdout, /^-- tradeledger: up 007 .*no transaction: each statement commits on its own\)$/m);
      assert.doesNotMatch(printed.stdout, /^BEGIN;$/m);
      assert.match(printed.stdout, /^SET lock_timeout = '2000ms';$/m);
      const json = await cli('migrate', 'plan', '--json', '--db', url, ...PACK);
      const plan = JSON.parse(json.stdout) as { steps: { version: number; kind: string; sql: string[] }[] };
      assert.deepEqual(
        plan.steps.map((step) => [step.version, step.kind]),
        [[7, 'statements']],
      );
      const chunks = plan.steps[0]!.sql;
      assert.ok(chunks.includes('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_profile_trade_id ON orders (profile_id, trade_id);'), chunks.join('\n'));
      assert.ok(chunks.includes('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_trade_history_profile_trade_id ON trade_history (profile_id, trade_id);'));
      // Each constraint is its own statement, so each takes its lock alone and can be retried alone.
      assert.equal(chunks.filter((sql) => /ADD CONSTRAINT chk_\w+\s+CHECK[\s\S]*NOT VALID;/.test(sql)).length, 5);
    });

    describe('with legacy rows written at version 6', () => {
      before(async () => {
        start = await prepare(async () => {
          await upTo('6');
          await writeLegacyRows();
        });
      });
      after(async () => {
        await start?.cleanup();
        start = undefined;
      });

      // docs/runbooks/trade-lifecycle-integrity.md Phase B: indexes present, constraints NOT VALID.
      it('up applies 007; verify passes; the Phase B queries return the two indexes and the five constraints, not validated', async () => {
        const up = await cli('migrate', 'up', '--db', url, ...PACK);
        assert.equal(up.code, 0, up.stderr);
        assert.match(up.stdout, /version 6 → 7 \(1 applied\)/);
        const verify = await cli('migrate', 'verify', '--db', url, ...PACK);
        assert.equal(verify.code, 0, verify.stdout);
        assert.match(verify.stdout, /schema matches the specification/);
        await use(async (db) => {
          assert.deepEqual(await phaseB(db), { indexes: TWO_INDEXES, constraints: FIVE.map((name): [string, boolean] => [name, false]) });
        });
      });
    });

    describe('with 007 applied over legacy rows', () => {
      before(async () => {
        start = await prepare(async () => {
          await upTo('6');
          await writeLegacyRows();
          await upTo();
        });
      });
      after(async () => {
        await start?.cleanup();
        start = undefined;
      });

      it('legacy rows stay, while new rows are held to the constraints (NOT VALID still checks writes)', async () => {
        await use(async (db) => {
          const kept = await db.query<{ order_id: string }>(`SELECT order_id FROM orders ORDER BY order_id`);
          assert.deepEqual(
            kept.map((row) => row.order_id),
            LEGACY_ORDERS.map((row) => row.id).sort(),
          );
          assert.equal((await db.query<{ n: string }>('SELECT count(*) AS n FROM trade_history'))[0]!.n, '2');

          // CHECK constraints fire in name order, so a blank id is caught by the format rule first.
          await rejectedBy(insertOrder(db, { id: 'new-empty', tradeId: '', action: 'ENTRY' }), 'chk_orders_trade_id_format');
          await rejectedBy(insertOrder(db, { id: 'new-blank', tradeId: ' \u3000 ', action: 'ENTRY' }), 'chk_orders_trade_id_format');
          await rejectedBy(insertOrder(db, { id: 'new-malformed', tradeId: 'TRD-has space', action: 'ENTRY' }), 'chk_orders_trade_id_format');
          await rejectedBy(insertOrder(db, { id: 'new-lowercase', tradeId: 'trd-abc', action: 'ENTRY' }), 'chk_orders_trade_id_format');
          await rejectedBy(insertOrder(db, { id: 'new-prefix-only', tradeId: 'TRD-', action: 'ENTRY' }), 'chk_orders_trade_id_format');
          await rejectedBy(insertOrder(db, { id: 'new-entry', tradeId: null, action: 'ENTRY' }), 'chk_orders_action_lifecycle');
          await rejectedBy(insertOrder(db, { id: 'new-exit', tradeId: null, action: 'EXIT' }), 'chk_orders_action_lifecycle');
          await rejectedBy(insertHistory(db, '\t'), 'chk_trade_history_trade_id_format');
          await rejectedBy(insertHistory(db, 'T-1'), 'chk_trade_history_trade_id_format');
          // An update is a new row version too: a legacy row with a malformed id cannot change until it is fixed.
          await rejectedBy(db.query(`UPDATE orders SET status = 'canceled' WHERE order_id = 'legacy-malformed'`), 'chk_orders_trade_id_format');

          await insertOrder(db, { id: 'new-bot-entry', tradeId: 'TRD-Ab_9-z', action: 'ENTRY' });
          await insertOrder(db, { id: 'new-manual-entry', tradeId: null, action: 'ENTRY', source: 'manual' });
          await insertOrder(db, { id: 'new-legacy-exit', tradeId: null, action: 'EXIT', source: 'legacy' });
          await insertOrder(db, { id: 'new-bot-no-action', tradeId: null, action: null });
          await insertHistory(db, 'TRD-Ab_9-z');
          await insertHistory(db, null);
          // Normalising a bot ENTRY's blank id to NULL is refused too: it must get its TRD- id in the same update.
          await rejectedBy(db.query(`UPDATE orders SET trade_id = NULL WHERE order_id = 'legacy-blank'`), 'chk_orders_action_lifecycle');
          await db.query(`UPDATE orders SET trade_id = 'TRD-fixed' WHERE order_id = 'legacy-blank'`);
          await db.query(`DELETE FROM orders WHERE order_id LIKE 'new-%'`);
          await db.query(`DELETE FROM trade_history WHERE trade_id = 'TRD-Ab_9-z' OR trade_id IS NULL`);
        });
      });

      it('chk_*_trade_id_not_blank rejects the empty string and every blank character on its own, and nothing else', async () => {
        const sentinel = new Error('roll back');
        await use(async (db) => {
          await assert.rejects(
            db.transaction(async (tx) => {
              // Without the format rules (which fire first), each blank value must meet not_blank.
              await tx.exec(
                'ALTER TABLE orders DROP CONSTRAINT chk_orders_trade_id_format; ALTER TABLE trade_history DROP CONSTRAINT chk_trade_history_trade_id_format;',
              );
              const blanks = ['', ...BLANK_CODE_POINTS.map((code) => String.fromCodePoint(code)), String.fromCodePoint(...BLANK_CODE_POINTS)];
              for (const [index, blank] of blanks.entries()) {
                await tx.exec('SAVEPOINT probe');
                await rejectedBy(insertOrder(tx, { id: `blank-${index}`, tradeId: blank, action: 'ENTRY' }), 'chk_orders_trade_id_not_blank');
                await tx.exec('ROLLBACK TO SAVEPOINT probe');
                await rejectedBy(insertHistory(tx, blank), 'chk_trade_history_trade_id_not_blank');
                await tx.exec('ROLLBACK TO SAVEPOINT probe');
                const missing = await tx.query<{ missing: boolean }>(`SELECT ${tradeIdMissingSql('$1::text')} AS missing`, [blank]);
                assert.equal(missing[0]!.missing, true, `U+${blank.codePointAt(0)?.toString(16) ?? ''} counts as missing`);
              }
              for (const value of ['x', ' TRD-1 ', '\u00a0x', '.']) {
                await insertHistory(tx, value);
                const missing = await tx.query<{ missing: boolean }>(`SELECT ${tradeIdMissingSql('$1::text')} AS missing`, [value]);
                assert.equal(missing[0]!.missing, false, JSON.stringify(value));
              }
              throw sentinel;
            }),
            (error) => error === sentinel,
          );
          assert.deepEqual(
            (await phaseB(db)).constraints.map(([name]) => name),
            FIVE,
            'the rolled-back drop left all five',
          );
        });
      });

      it('verify names each drift on its own line, and down + up of 007 repairs it', async () => {
        const full = await use(catalogSnapshot);
        await use(async (db) => {
          await db.exec('ALTER TABLE orders DROP CONSTRAINT chk_orders_trade_id_format');
          await db.exec('CREATE INDEX idx_orders_symbol_trade_id ON orders (symbol, trade_id)');
          await db.exec('ALTER TABLE positions ALTER COLUMN quantity TYPE text');
          const failures = await verifyBotLedger(db, { version: 7, options: {} });
          assert.deepEqual(failures, [
            'column positions.quantity is text, expected numeric',
            'the docs/runbooks/trade-lifecycle-integrity.md Phase B index query returns [idx_orders_profile_trade_id, idx_orders_symbol_trade_id, idx_trade_history_profile_trade_id], expected exactly [idx_orders_profile_trade_id, idx_trade_history_profile_trade_id]',
            'constraint chk_orders_trade_id_format is missing (dropped by lifecycle loosen?): run migrate down --to 6 and migrate up to add it again',
          ]);
          await db.exec('DROP INDEX idx_orders_symbol_trade_id');
          await db.exec('ALTER TABLE positions ALTER COLUMN quantity TYPE numeric USING quantity::numeric');
        });
        const verify = await cli('migrate', 'verify', '--db', url, ...PACK);
        assert.equal(verify.code, 1);
        assert.match(verify.stdout, /chk_orders_trade_id_format is missing/);
        assert.equal((await cli('migrate', 'down', '--db', url, ...PACK)).code, 0);
        const up = await cli('migrate', 'up', '--db', url, ...PACK);
        assert.equal(up.code, 0, up.stderr);
        assert.equal(await use(catalogSnapshot), full);
      });

      it('down of 007 drops exactly the five constraints and keeps the indexes', async () => {
        const full = await use(catalogSnapshot);
        const before = lines(full);
        const down = await cli('migrate', 'down', '--db', url, ...PACK);
        assert.equal(down.code, 0, down.stderr);
        assert.match(down.stdout, /version 7 → 6 \(1 rolled back\)/);
        await use(async (db) => {
          const after = lines(await catalogSnapshot(db));
          assert.deepEqual(minus(after, before), [], 'nothing added');
          const removed = minus(before, after);
          assert.deepEqual(removed.map((line) => (JSON.parse(line) as { conname?: string }).conname).sort(), FIVE);
          assert.deepEqual(await phaseB(db), { indexes: TWO_INDEXES, constraints: [] });
          assert.equal((await db.query<{ n: string }>('SELECT count(*) AS n FROM orders'))[0]!.n, String(LEGACY_ORDERS.length));
        });
        // As a run that crashed half-way would leave it: the indexes built and one constraint added.
        await use((db) =>
          db.exec(`ALTER TABLE orders ADD CONSTRAINT chk_orders_trade_id_format CHECK (trade_id IS NULL OR trade_id ~ '${TRADE_ID_FORMAT_SQL}') NOT VALID`),
        );
        // up again takes what is there as it is (IF NOT EXISTS, a DO block that checks pg_constraint) and adds the rest.
        const up = await cli('migrate', 'up', '--db', url, ...PACK);
        assert.equal(up.code, 0, up.stderr);
        assert.equal(await use(catalogSnapshot), full);
      });

      it('down to 0 refuses to drop tables that hold rows, naming them and --allow-data-loss', async () => {
        await use((db) => db.query(`INSERT INTO lifecycle_snapshots (label, counts) VALUES ('before', '{"orders_total": 6}')`));
        const audit = await cli('migrate', 'down', '--to', '0', '--db', url, ...PACK);
        assert.equal(audit.code, 1, '007 went back first: something changed, so not a plain refusal');
        assert.match(
          audit.stderr,
          /migration 6 .*down refused: .*lifecycle_snapshots hold rows.*--allow-data-loss; migration\(s\) 7 were reverted before it; the database is at version 6/,
        );
        await use(async (db) => {
          assert.equal((await readHistory(db)).rows.filter((row) => row.success).length, 6, '007 went, 006 stayed');
          await db.query('DELETE FROM lifecycle_snapshots');
        });
        const ledger = await cli('migrate', 'down', '--to', '0', '--db', url, ...PACK);
        assert.equal(ledger.code, 1, '006 to 003 went back first');
        assert.match(ledger.stderr, /migration 2 .*down refused: .*trade_history holds 2 row\(s\).*--allow-data-loss/);
        // Asked again at version 2, the very first step refuses: nothing changes, so it is a refusal (exit 3).
        const again = await cli('migrate', 'down', '--to', '0', '--db', url, ...PACK);
        assert.equal(again.code, 3, again.stderr);
        assert.match(again.stderr, /migration 2 .*down refused: .*trade_history holds 2 row\(s\).*--allow-data-loss; nothing was changed$/m);
        await use(async (db) => assert.deepEqual(await tableNames(db), ['orders', 'schema_version', 'trade_history']));
      });

      it('down to 0 with --allow-data-loss leaves the catalog as it was before the first up', async () => {
        const down = await cli('migrate', 'down', '--to', '0', '--allow-data-loss', '--db', url, ...PACK);
        assert.equal(down.code, 0, down.stderr);
        await use(async (db) => {
          assert.equal(await catalogSnapshot(db), empty);
          assert.deepEqual(await tableNames(db), ['schema_version']);
          assert.deepEqual((await readHistory(db)).rows, []);
        });
      });

      it('up again gives the same catalog as the first time, and verify passes', async () => {
        const full = await use(catalogSnapshot);
        const down = await cli('migrate', 'down', '--to', '0', '--allow-data-loss', '--db', url, ...PACK);
        assert.equal(down.code, 0, down.stderr);
        const up = await cli('migrate', 'up', '--db', url, ...PACK);
        assert.equal(up.code, 0, up.stderr);
        assert.match(up.stdout, /version 0 → 7 \(7 applied\)/);
        assert.equal(await use(catalogSnapshot), full);
        assert.equal((await cli('migrate', 'verify', '--db', url, ...PACK)).code, 0);
      });
    });
  });
}

describe('bot-ledger 007 on a PostgreSQL server with a writer inserting all along', () => {
  let test: TestDatabase;
  before(async () => {
    test = await createTestDatabase('postgres');
  });
  after(async () => {
    await test.cleanup();
  });

  it('every insert succeeds while the indexes are built and the constraints added', async () => {
    assert.equal((await cli('migrate', 'up', '--to', '6', '--db', test.url, ...PACK)).code, 0);
    const db = await openDatabase(test.url);
    const writer = new pg.Client({ connectionString: test.url });
    await writer.connect();
    // A writer that gives up after 300 ms waiting for a lock: a plain CREATE INDEX on these rows
    // blocks inserts for longer than that, CONCURRENTLY and the NOT VALID constraints do not.
    await writer.query("SET lock_timeout = '300ms'");
    try {
      // Enough rows that each concurrent index build takes a while.
      await db.exec(`INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, status, quantity, source)
                     SELECT 'seed-' || g, 'p' || (g % 50), 'SYM' || (g % 20), CASE WHEN g % 3 = 0 THEN NULL ELSE 'TRD-' || g END,
                            'ENTRY', 'filled', '0.001', 'bot'
                       FROM generate_series(1, 200000) AS g`);
      const done: { start: number; end: number }[] = [];
      const errors: string[] = [];
      let stop = false;
      const loop = (async () => {
        for (let i = 0; !stop; i++) {
          const start = Date.now();
          try {
            await writer.query(
              `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, status, quantity, source) VALUES ($1, 'p1', 'BTC/USDT', $2, 'ENTRY', 'filled', '0.25', 'bot')`,
              [`w-${i}`, `TRD-w${i}`],
            );
            done.push({ start, end: Date.now() });
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
      })();
      let window = { start: 0, end: 0 };
      try {
        await migrateUp(db, await packSource('bot-ledger'), testSettings(), {
          onEvent: (event) => {
            if (event.type === 'step-start') window = { start: Date.now(), end: 0 };
            if (event.type === 'step-done') window = { ...window, end: Date.now() };
          },
        });
      } finally {
        stop = true;
        await loop;
      }
      assert.deepEqual(errors, []);
      const during = done.filter((insert) => insert.end >= window.start && insert.start <= window.end);
      // The writer's own lock_timeout (300 ms) is what proves nothing blocked it: a blocked insert is an error above.
      assert.ok(during.length >= 1, `inserts completed during the migration's last step: ${during.length}`);
      const written = await db.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE order_id LIKE 'w-%'`);
      assert.equal(written[0]!.n, String(done.length));
      assert.deepEqual(await phaseB(db), { indexes: TWO_INDEXES, constraints: FIVE.map((name): [string, boolean] => [name, false]) });
    } finally {
      await writer.end();
      await db.close();
    }
  });
});
