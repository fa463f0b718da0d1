import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import { checkMapping, type UserCatalog, type UserColumn } from '../../src/ledgers/custom/model.ts';
import { checkWritable } from '../../src/ledgers/custom/writable.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { customConfig, userDatabase } from './custom-fixture.ts';

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
      test = await userDatabase(kind, USER_SCHEMA);
      config = join(test.dir, 'tradeledger.yaml');
      writeFileSync(config, customConfig(MAPPING, test.url));
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
        [
          'public.executions',
          'public.holdings',
          'tradeledger_ledger.exchange_fills',
          'tradeledger_ledger.exchange_positions',
          'tradeledger_ledger.orders',
          'tradeledger_ledger.positions',
          'tradeledger_ledger.trade_history',
          'tradeledger_ledger.trading_status',
        ],
      );
    });

    it('recon detect reads the same views; writing through a mapping whose orders cannot take EXIT rows is refused (exit 2), nothing written', async () => {
      const run = await cli('recon', 'detect', '--config', config, '--json');
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        (JSON.parse(run.stdout) as { tradeId: string; openQty: string }[]).map((r) => `${r.tradeId}=${Number(r.openQty)}`),
        ['TRD-0003=5'],
      );
      for (const args of [
        ['run', '--enable', '--no-dry-run'],
        ['apply', '--enable', '--no-dry-run', '--batch', 'RBF-x'],
        ['rollback', '--batch', 'RBF-x'],
      ]) {
        const recon = await cli('recon', ...args, '--config', config);
        assert.equal(recon.code, 2, recon.stderr);
        assert.match(recon.stderr, /mapping\.orders\.columns\.order_id: executions\.exec_ref is bigint, and reconciliation writes text into it/);
      }
      const db = await openDatabase(test.url);
      const rows = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM executions');
      await db.close();
      assert.equal(rows[0]!.n, '4');
    });

    it('a dry run (audit rows only) works on a mapping that cannot take EXIT rows', async () => {
      const run = await cli('recon', 'run', '--config', config, '--enable', '--dry-run', '--json', '--lookback-hours', '87600');
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        (JSON.parse(run.stdout) as { audit: { tradeId: string; decision: string }[] }).audit.map((a) => `${a.tradeId}:${a.decision}`),
        ['TRD-0003:NO_GO'],
      );
    });

    it('names a table or a column the database does not have (exit 2)', async () => {
      const bad = join(test.dir, 'bad.yaml');
      writeFileSync(bad, customConfig(MAPPING.replace('quantity: size }', 'quantity: amount }'), test.url));
      const column = await cli('lifecycle', 'report', '--config', bad);
      assert.equal(column.code, 2, column.stderr);
      assert.match(column.stderr, /mapping\.positions\.columns\.quantity: holdings has no column amount/);
      writeFileSync(bad, customConfig(MAPPING.replace('table: holdings', 'table: holding'), test.url));
      const table = await cli('recon', 'detect', '--config', bad);
      assert.equal(table.code, 2, table.stderr);
      assert.match(table.stderr, /mapping\.positions\.table: the database has no table holding/);
    });
  });
}

describe('the mapping', () => {
  const col = (type: string, extra: Partial<UserColumn> = {}): UserColumn => ({ type, notNull: false, hasDefault: false, unique: false, ...extra });
  const executions = (more: [string, UserColumn][] = []): UserCatalog =>
    new Map([
      [
        'executions',
        new Map<string, UserColumn>([
          ['ref', col('text', { notNull: true, unique: true })],
          ['acct', col('text', { notNull: true })],
          ['sym', col('character varying(20)')],
          ['life', col('text')],
          ['leg', col('text')],
          ['state', col('text')],
          ['size', col('numeric(28,10)')],
          ['px', col('double precision')],
          ['booked', col('timestamp with time zone', { notNull: true, hasDefault: true })],
          ...more,
        ]),
      ],
    ]);
  const columns = {
    order_id: 'ref',
    profile_id: 'acct',
    symbol: 'sym',
    trade_id: 'life',
    action: 'leg',
    status: 'state',
    quantity: 'size',
    created_at: 'booked',
  };

  it('refuses an unknown model table, a required model column left out, an unknown one, and a name that is not a plain identifier (exit 2)', () => {
    const orders = (cols: Record<string, string>) => ({ orders: { table: 'executions', columns: cols } });
    assert.throws(
      () => checkMapping(orders({ order_id: 'ref' }), executions()),
      /mapping\.orders\.columns\.profile_id is required: name the column of executions/,
    );
    assert.throws(() => checkMapping(orders({ colour: 'x' }), executions()), /mapping\.orders\.columns\.colour: the model has no such column/);
    // The model's tables are model.ts's to name (the configuration checks only the shape).
    assert.throws(
      () => checkMapping({ orders: { table: 'executions', columns }, fills: { table: 'executions', columns: {} } } as never, executions()),
      /mapping\.fills: the lifecycle model has no such table \(it has orders, trade_history, positions, trading_status, exchange_fills, exchange_positions\)/,
    );
    assert.throws(() => checkMapping({ orders: { table: 'executions; DROP TABLE x', columns: {} } }, executions()), /is not a plain column or table name/);
    assert.throws(
      () => checkMapping({ orders: { table: 'executions', columns }, trading_status: { table: 'executions', columns: { profile_id: 'acct' } } }, executions()),
      /mapping\.trading_status\.columns\.state is required/,
    );
    assert.throws(
      () => checkMapping({ orders: { table: 'executions', columns }, exchange_fills: { table: 'executions', columns: { profile_id: 'acct' } } }, executions()),
      /mapping\.exchange_fills\.columns\.symbol is required/,
    );
  });

  it('refuses, for writing, an orders mapping that cannot take an EXIT row, naming the key or column and the fix', () => {
    const mapping = (extra: Record<string, string | { value: string }> = {}) => ({ orders: { table: 'executions', columns: { ...columns, ...extra } } });
    assert.doesNotThrow(() => checkWritable(mapping(), executions()));
    assert.throws(
      () => checkWritable(mapping({ price: 'px' }), executions()),
      /mapping\.orders\.columns\.price: executions\.px is double precision.*ALTER TABLE executions ALTER COLUMN px TYPE numeric/,
    );
    assert.throws(() => checkWritable(mapping({ status: { value: 'filled' } }), executions()), /mapping\.orders\.columns\.status is a constant/);
    assert.throws(
      () => checkWritable(mapping(), executions([['desk', col('text', { notNull: true })]])),
      /executions\.desk is NOT NULL with no default, and reconciliation's EXIT rows do not fill it: give it a default/,
    );
    assert.throws(
      () => checkWritable(mapping(), executions([['ref', col('character varying(20)', { notNull: true, unique: true })]])),
      /mapping\.orders\.columns\.order_id: executions\.ref is character varying\(20\), too short for the 38 characters.*varchar\(38\)/,
    );
    const notUnique = executions();
    (notUnique.get('executions') as Map<string, UserColumn>).set('ref', col('text', { notNull: true }));
    assert.throws(() => checkWritable(mapping(), notUnique), /has no unique index of its own.*CREATE UNIQUE INDEX ON executions \(ref\)/);
    const requiredCreated = executions();
    (requiredCreated.get('executions') as Map<string, UserColumn>).set('booked', col('timestamp with time zone', { notNull: true }));
    assert.throws(() => checkWritable(mapping(), requiredCreated), /executions\.booked \(mapping\.orders\.columns\.created_at\) is NOT NULL with no default/);
  });
});
