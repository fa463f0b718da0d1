import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import { mappingViewsSql } from '../../src/ledgers/custom/model.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

// A ledger of someone else's design: one table of executions and one of holdings, other names, other types.
const USER_SCHEMA = `
CREATE TABLE executions (exec_ref bigint PRIMARY KEY, account text NOT NULL, instrument text NOT NULL, lifecycle text,
  leg text NOT NULL, state text NOT NULL, size double precision NOT NULL, booked_at timestamptz NOT NULL);
CREATE TABLE holdings (account text NOT NULL, instrument text NOT NULL, size double precision NOT NULL);
INSERT INTO executions VALUES
  (1, 'acct', 'BTC', 'TRD-0001', 'ENTRY', 'filled', 1, '2026-01-01T00:00:00Z'),
  (2, 'acct', 'BTC', 'TRD-0001', 'EXIT', 'filled', 1, '2026-01-01T01:00:00Z'),
  (3, 'acct', 'ETH', 'TRD-0002', 'EXIT', 'filled', 2, '2026-01-01T02:00:00Z'),
  (4, 'acct', 'SOL', 'TRD-0003', 'ENTRY', 'filled', 5, '2026-01-01T03:00:00Z');
INSERT INTO holdings VALUES ('acct', 'SOL', 0);
`;

const MAPPING = `ledger: custom
mapping:
  orders:
    table: executions
    columns: { order_id: exec_ref, profile_id: account, symbol: instrument, trade_id: lifecycle, action: leg, status: state, quantity: size, created_at: booked_at, source: { value: bot } }
  positions:
    table: holdings
    columns: { profile_id: account, symbol: instrument, quantity: size }
`;

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`lifecycle report on a custom ledger (ledger: custom, mapping:) on ${kind}`, () => {
    let test: TestDatabase;
    let config: string;
    before(async () => {
      test = await createTestDatabase(kind);
      const db = await openDatabase(test.url);
      await db.exec(USER_SCHEMA);
      await db.close();
      config = join(test.dir, 'tradeledger.yaml');
      writeFileSync(config, `${MAPPING}database:\n  url: ${JSON.stringify(test.url)}\n`);
    });
    after(async () => test.cleanup());

    it("runs the bot ledger's report through views in its own schema, naming the user's rows", async () => {
      const run = await cli('lifecycle', 'report', '--config', config, '--json');
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as { anomalies: { kind: string; tradeId: string | null; rows: { table: string; key: string }[] }[] };
      assert.deepEqual(
        report.anomalies.map((a) => `${a.kind}:${a.tradeId}:${a.rows.map((r) => `${r.table}.${r.key}`).join(',')}`).sort(),
        ['ghost_position:TRD-0003:orders.4,positions.acct/SOL', 'history_mismatch:TRD-0001:orders.1,orders.2', 'missing_entry_order:TRD-0002:orders.3'].sort(),
      );
      const db = await openDatabase(test.url);
      const tables = await db.query<{ schema: string; name: string }>(
        "SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_schema IN ('public', 'tradeledger_ledger') ORDER BY 1, 2",
      );
      await db.close();
      assert.deepEqual(
        tables.map((t) => `${t.schema}.${t.name}`),
        ['public.executions', 'public.holdings', 'tradeledger_ledger.orders', 'tradeledger_ledger.positions', 'tradeledger_ledger.trade_history'],
      );
    });

    it('recon detect reads the same views; the other recon commands say they do not take a custom ledger yet (exit 2)', async () => {
      const run = await cli('recon', 'detect', '--config', config, '--json');
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        (JSON.parse(run.stdout) as { tradeId: string; openQty: string }[]).map((r) => `${r.tradeId}=${Number(r.openQty)}`),
        ['TRD-0003=5'],
      );
      const recon = await cli('recon', 'run', '--config', config);
      assert.equal(recon.code, 2, recon.stderr);
      assert.match(recon.stderr, /recon run on a custom ledger \(ledger: custom\) is not supported yet/);
    });
  });
}

describe('the mapping', () => {
  it('refuses a required model column left out, an unknown one, and a name that is not a plain identifier (exit 2)', () => {
    const orders = (columns: Record<string, string>) => ({ orders: { table: 'executions', columns } });
    assert.throws(() => mappingViewsSql(orders({ order_id: 'exec_ref' })), /mapping\.orders\.columns\.profile_id is required: name the column of executions/);
    assert.throws(() => mappingViewsSql(orders({ colour: 'x' })), /mapping\.orders\.columns\.colour: the model has no such column/);
    assert.throws(() => mappingViewsSql({ orders: { table: 'executions; DROP TABLE x', columns: {} } }), /is not a plain column or table name/);
  });

  it('refuses SQLite with exit 2: the report is PostgreSQL SQL', async () => {
    const test = await createTestDatabase('sqlite');
    const file = join(test.dir, 'tradeledger.yaml');
    writeFileSync(file, `${MAPPING}database:\n  url: ${JSON.stringify(test.url)}\n`);
    const run = await cli('lifecycle', 'report', '--config', file);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /a custom mapping works on PostgreSQL and PGlite/);
    await test.cleanup();
  });
});
