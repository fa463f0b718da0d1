// `lifecycle report --ledger custom` on a SQLite file of the user's own schema: temporary views,
// exact decimal sums, nothing written; reconciliation refused, saying what works.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { customConfig } from './custom-fixture.ts';

// The user's table of executions is called orders, like the model's: its temporary view must not read itself.
// Quantities are TEXT ('0.1' + '0.2' must close '0.3' exactly) and REAL; times are SQLite datetime() text and Unix seconds.
const USER_SCHEMA = `
CREATE TABLE orders (ref INTEGER PRIMARY KEY, account TEXT NOT NULL, instrument TEXT NOT NULL, lifecycle TEXT, leg TEXT NOT NULL,
  state TEXT NOT NULL, amount TEXT NOT NULL, booked_at TEXT NOT NULL, done_at);
CREATE TABLE closed (hid INTEGER PRIMARY KEY, account TEXT NOT NULL, instrument TEXT NOT NULL, lifecycle TEXT, amount TEXT NOT NULL);
CREATE TABLE book (account TEXT NOT NULL, instrument TEXT NOT NULL, held REAL NOT NULL);
INSERT INTO orders VALUES
  (1, 'acct', 'BTC', 'TRD-A', 'ENTRY', 'filled', '0.3', '2026-01-01 00:00:00', '2026-01-01 00:00:01'),
  (2, 'acct', 'BTC', 'TRD-A', 'EXIT', 'filled', '0.1', '2026-01-01 01:00:00', '2026-01-01 01:00:01'),
  (3, 'acct', 'BTC', 'TRD-A', 'EXIT', 'filled', '0.2', '2026-01-01 02:00:00', '2026-01-01 02:00:01'),
  (4, 'acct', 'BTC', 'TRD-B', 'ENTRY', 'filled', '0.3', '2026-01-02 00:00:00', '2026-01-02 00:00:01'),
  (5, 'acct', 'BTC', 'TRD-B', 'EXIT', 'filled', '0.1', '2026-01-02 01:00:00', '2026-01-02 01:00:01'),
  (6, 'acct', 'BTC', 'TRD-B', 'EXIT', 'filled', '0.2', '2026-01-02 02:00:00', '2026-01-02 02:00:01'),
  (7, 'acct', 'ETH', 'TRD-C', 'EXIT', 'filled', '2', '2026-01-03T00:00:00Z', 1767398401),
  (8, 'acct', 'SOL', 'TRD-D', 'ENTRY', 'filled', '5', '2026-01-04T00:00:00Z', 1767484801),
  (9, 'acct', 'ADA', 'lot 9', 'ENTRY', 'filled', '1', '2026-01-05T00:00:00Z', NULL),
  (10, 'acct', 'ADA', ' ', 'EXIT', 'canceled', '1', '2026-01-05T01:00:00Z', NULL),
  (11, 'acct', 'DOT', NULL, 'ENTRY', 'filled', '4', '2026-01-06T00:00:00+02:00', '2026-01-06T00:00:01+02:00'),
  (12, 'acct', 'DOT', NULL, 'EXIT', 'filled', '4', '2026-01-06T01:00:00+02:00', '2026-01-06T01:00:01+02:00');
INSERT INTO closed VALUES (1, 'acct', 'BTC', 'TRD-A', '0.30');
INSERT INTO book VALUES ('acct', 'SOL', 0), ('acct', 'XRP', 0.1);
`;

const MAPPING = `mapping:
  orders:
    table: orders
    columns: { order_id: ref, profile_id: account, symbol: instrument, trade_id: lifecycle, action: leg, status: state, quantity: amount, created_at: booked_at, filled_at: done_at }
  trade_history:
    table: closed
    columns: { id: hid, profile_id: account, symbol: instrument, trade_id: lifecycle, quantity: amount }
  positions:
    table: book
    columns: { profile_id: account, symbol: instrument, quantity: held }
`;

interface Report {
  anomalies: { kind: string; symbol: string | null; tradeId: string | null; detail: string; rows: { table: string; key: string }[] }[];
  profiles: {
    profileId: string;
    orders: number;
    lifecycles: number;
    openLifecycles: number;
    closedLifecycles: number;
    historyRows: number;
    openPositions: number;
  }[];
}

/** The file's bytes and every file beside it: what "nothing written" means. */
function fingerprint(test: TestDatabase, file: string): string {
  return `${createHash('sha256').update(readFileSync(file)).digest('hex')} ${readdirSync(test.dir).sort().join(',')}`;
}

describe('lifecycle report --ledger custom on SQLite', () => {
  let test: TestDatabase;
  let file: string;
  let config: string;
  before(async () => {
    test = await createTestDatabase('sqlite');
    file = join(test.dir, 'state.db');
    const db = await openDatabase(test.url);
    await db.exec(USER_SCHEMA);
    await db.close();
    config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, customConfig(MAPPING, test.url));
  });
  after(async () => test.cleanup());

  it('finds the planted anomalies through temporary views, sums TEXT quantities exactly, and writes nothing to the file', async () => {
    const before = fingerprint(test, file);
    const run = await cli('lifecycle', 'report', '--ledger', 'custom', '--config', config, '--json');
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    assert.deepEqual(
      report.anomalies.map((a) => `${a.kind} ${a.symbol} ${a.tradeId} ${a.rows.map((r) => `${r.table}.${r.key}`).join(',')}: ${a.detail}`),
      [
        'missing_entry_order ETH TRD-C orders.7: no ENTRY order; 1 EXIT order(s), 0 trade_history row(s)',
        'ghost_position ADA lot 9 orders.9: orders say 1 open (lot 9), positions says nothing',
        // A REAL column reads as SQLite's text of it.
        'ghost_position SOL TRD-D orders.8,positions.acct/SOL: orders say 5 open (TRD-D), positions says 0.0',
        'untracked_position XRP null positions.acct/XRP: positions holds 0.1, open lifecycles explain 0',
        // 0.1 + 0.2 closes 0.3 exactly: TRD-A's history (0.30) matches it, TRD-B has none.
        'history_mismatch BTC TRD-B orders.4,orders.5,orders.6: closed lifecycle (0.3) has no trade_history row',
        "missing_trade_id DOT null orders.11,orders.12: 2 bot order(s) without a trade_id; 'lifecycle backfill --apply' fills them",
        'blank_trade_id ADA   orders.10: 1 order(s) with a blank trade_id',
        "malformed_trade_id ADA lot 9 orders.9: trade_id 'lot 9' is not TRD-…",
      ],
    );
    assert.deepEqual(report.profiles, [
      {
        profileId: 'acct',
        orders: 12,
        lifecycles: 5,
        openLifecycles: 2,
        closedLifecycles: 2,
        historyRows: 1,
        openPositions: 1,
        anomalies: {
          missing_entry_order: 1,
          ghost_position: 2,
          untracked_position: 1,
          history_mismatch: 1,
          missing_trade_id: 1,
          blank_trade_id: 1,
          malformed_trade_id: 1,
        },
      },
    ]);
    assert.equal(fingerprint(test, file), before, 'the file and its folder are byte for byte as they were');
    const db = await openDatabase(test.url);
    const schema = await db.query<{ type: string; name: string }>('SELECT type, name FROM sqlite_master ORDER BY name');
    await db.close();
    assert.deepEqual(
      schema.map((s) => `${s.type} ${s.name}`),
      ['table book', 'table closed', 'table orders'],
    );
    const table = await cli('lifecycle', 'report', '--ledger', 'custom', '--config', config);
    assert.equal(table.code, 1, table.stderr);
    assert.match(table.stdout, /history_mismatch +acct +BTC +TRD-B/);
  });

  it('walks the rows without a trade_id in time order, reading zoned text and Unix seconds', async () => {
    const db = await openDatabase(test.url);
    // 23:00Z on the 5th, in Unix seconds: after the ENTRY at 00:00:01+02:00 on the 6th (22:00:01Z), so the open lifecycle absorbs it.
    // Read as local text or as milliseconds it would come first, an EXIT with nothing open: an orphan_exit.
    await db.exec("INSERT INTO orders VALUES (13, 'acct', 'DOT', NULL, 'EXIT', 'filled', '1', '2026-01-05 23:00:00', 1767654000)");
    const run = await cli('lifecycle', 'report', '--ledger', 'custom', '--config', config, '--json', '--profile', 'acct');
    await db.exec('DELETE FROM orders WHERE ref = 13');
    await db.close();
    assert.equal(run.code, 1, run.stderr);
    const walked = (JSON.parse(run.stdout) as Report).anomalies.filter((a) => a.symbol === 'DOT');
    assert.deepEqual(
      walked.map((a) => `${a.kind} ${a.rows.map((r) => r.key).join(',')}`),
      ['missing_trade_id 11,12,13'],
    );
  });

  it('names a table or a column the file does not have (exit 2), and a quantity that is no number', async () => {
    const bad = join(test.dir, 'bad.yaml');
    writeFileSync(bad, customConfig(MAPPING.replace('quantity: held }', 'quantity: size }'), test.url));
    const column = await cli('lifecycle', 'report', '--ledger', 'custom', '--config', bad);
    assert.equal(column.code, 2, column.stderr);
    assert.match(column.stderr, /mapping\.positions\.columns\.quantity: book has no column size \(it has account, instrument, held\)/);
    writeFileSync(bad, customConfig(MAPPING.replace('table: book', 'table: books'), test.url));
    const table = await cli('lifecycle', 'report', '--ledger', 'custom', '--config', bad);
    assert.equal(table.code, 2, table.stderr);
    assert.match(table.stderr, /mapping\.positions\.table: the database has no table books: name an existing table/);
    const missing = join(test.dir, 'missing.db');
    writeFileSync(bad, customConfig(MAPPING, `sqlite:${missing}`));
    const nofile = await cli('lifecycle', 'report', '--ledger', 'custom', '--config', bad);
    assert.equal(nofile.code, 2, nofile.stderr);
    assert.equal(existsSync(missing), false, 'a missing file is not created');

    const db = await openDatabase(test.url);
    await db.exec("UPDATE orders SET amount = 'lots' WHERE ref = 8");
    const words = await cli('lifecycle', 'report', '--ledger', 'custom', '--config', config);
    await db.exec("UPDATE orders SET amount = '5' WHERE ref = 8");
    await db.close();
    assert.equal(words.code, 2, words.stderr);
    assert.match(words.stderr, /orders\.quantity of a acct order on SOL: 'lots' is not a decimal number/);
  });

  it('refuses every recon command with exit 2, saying the report works on SQLite and how to reconcile, and writes nothing', async () => {
    const before = fingerprint(test, file);
    for (const args of [
      ['detect'],
      ['run', '--enable', '--dry-run'],
      ['run', '--enable', '--no-dry-run'],
      ['plan', '--enable'],
      ['apply', '--enable', '--no-dry-run', '--batch', 'RBF-x'],
      ['verify'],
      ['audit'],
      ['rollback', '--batch', 'RBF-x'],
    ]) {
      const run = await cli('recon', ...args, '--ledger', 'custom', '--config', config);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(
        run.stderr,
        /reconciliation of a custom ledger runs on PostgreSQL and PGlite only .*'lifecycle report --ledger custom' works \(read only, through temporary views.*To reconcile, copy the mapped tables into a PostgreSQL or PGlite database/,
        args.join(' '),
      );
    }
    assert.equal(fingerprint(test, file), before);
  });
});

describe('Database.iterate on SQLite (the report streams its tables through it)', () => {
  it('yields the rows one at a time, and a loop stopped early leaves no read lock behind', async () => {
    const test = await createTestDatabase('sqlite');
    const db = await openDatabase(test.url);
    const other = await openDatabase(test.url);
    try {
      await db.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3)');
      assert.deepEqual([...db.iterate!<{ n: number }>('SELECT n FROM t WHERE n > $1 ORDER BY n', [1])], [{ n: 2 }, { n: 3 }]);
      for (const row of db.iterate!<{ n: number }>('SELECT n FROM t ORDER BY n')) {
        assert.equal(row.n, 1);
        break;
      }
      // A statement still stepping would hold the file's shared lock, and this write would wait out the busy timeout and fail.
      await other.exec('PRAGMA busy_timeout = 0; INSERT INTO t VALUES (4)');
      assert.deepEqual(await db.query('SELECT count(*) AS n FROM t'), [{ n: 4 }]);
    } finally {
      await other.close();
      await db.close();
      await test.cleanup();
    }
  });
});
