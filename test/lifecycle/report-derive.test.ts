// The TypeScript derivation of the report (src/lifecycle/report-derive.ts, the SQLite path) against
// PostgreSQL's REPORT_SQL on the same generated ledger: the same rows, and the same report.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { generateLedger, type GenerateResult } from '../../src/generate/generate.ts';
import { customLifecycleReport } from '../../src/ledgers/custom/report.ts';
import type { LedgerMapping } from '../../src/ledgers/custom/model.ts';
import { LifecycleTally, type ReportRow, type TallyHistory, type TallyOrder, type TallyPosition } from '../../src/lifecycle/report-derive.ts';
import { REPORT_SQL } from '../../src/lifecycle/report-sql.ts';
import { lifecycleReport, type LifecycleReport } from '../../src/lifecycle/report.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { baseLedger, found } from '../generate/ledger.ts';

// What the generator does not make: quantities of several scales (0.10 + 0.1 + 0.000 closes 0.2,
// history 0.2000 matches it), a quote and a backslash in a malformed id, a no-break space as a
// blank id, symbols whose code point order differs from UTF-16's (U+FFFD and U+1F600), a
// position without a quantity, and a negative zero position.
const EDGES = `
INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, status, source, quantity, qty, created_at, filled_at) VALUES
  ('X1', 'edge', 'BTC', 'TRD-q1', 'ENTRY', 'filled', 'bot', 0.10, NULL, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z'),
  ('X2', 'edge', 'BTC', 'TRD-q1', 'EXIT', 'filled', 'bot', 0.1, NULL, '2026-01-01T00:01:00Z', '2026-01-01T00:01:01Z'),
  ('X3', 'edge', 'BTC', 'TRD-q1', 'ENTRY', 'partially_filled', 'bot', NULL, 0.1, '2026-01-01T00:02:00Z', NULL),
  ('X4', 'edge', 'BTC', 'TRD-q1', 'EXIT', 'filled', 'bot', NULL, 0.1000, '2026-01-01T00:03:00Z', '2026-01-01T00:03:01Z'),
  ('X5', 'edge', 'SOL', E'bad\\\\x''y', 'ENTRY', 'filled', 'bot', 1.5, NULL, '2026-01-01T00:04:00Z', '2026-01-01T00:04:01Z'),
  ('X6', 'edge', 'SOL', E'\\u00A0', 'ENTRY', 'filled', 'bot', 2, NULL, '2026-01-01T00:05:00Z', '2026-01-01T00:05:01Z'),
  ('X7', 'edge', E'\\uFFFD', 'TRD-dup', 'ENTRY', 'filled', 'bot', 1, NULL, '2026-01-01T00:06:00Z', '2026-01-01T00:06:01Z'),
  ('X8', 'edge', U&'\\+01F600', 'TRD-dup', 'EXIT', 'filled', 'bot', 3, NULL, '2026-01-01T00:07:00Z', '2026-01-01T00:07:01Z'),
  ('X9', 'edge', 'ADA', NULL, 'ENTRY', 'filled', 'bot', 4, NULL, '2026-01-01T00:08:00Z', '2026-01-01T00:08:01Z'),
  ('X10', 'edge', 'ADA', NULL, 'EXIT', 'filled', 'bot', 5, NULL, '2026-01-01T00:09:00Z', '2026-01-01T00:09:01Z'),
  ('X11', 'edge', 'DOT', 'TRD-open', 'ENTRY', 'filled', 'bot', 7.25, NULL, '2026-01-01T00:10:00Z', '2026-01-01T00:10:01Z');
INSERT INTO trade_history (profile_id, symbol, trade_id, quantity) VALUES
  ('edge', 'BTC', 'TRD-q1', 0.2000), ('edge', 'SOL', E'\\u00A0', 2), ('edge', 'ADA', NULL, 4), ('edge', 'DOT', 'TRD-gone', 1), ('edge', 'DOT', 'TRD-gone', 1);
INSERT INTO positions (profile_id, symbol, quantity) VALUES ('edge', 'SOL', NULL), ('edge', 'DOT', -0.00), ('edge', 'XRP', 0.50);
`;

/** REPORT_SQL's rows in TypeScript: the same tables read row by row, quantities as text. */
async function derived(db: Database, profileId: string | null): Promise<ReportRow[]> {
  const tally = new LifecycleTally();
  const where = 'WHERE ($1::text IS NULL OR profile_id = $1::text)';
  for (const row of await db.query<TallyOrder>(
    `SELECT profile_id, trade_id, symbol, action, status, source, quantity::text AS quantity, qty::text AS qty FROM orders ${where}`,
    [profileId],
  ))
    tally.addOrder(row);
  for (const row of await db.query<TallyHistory>(`SELECT profile_id, trade_id, symbol, quantity::text AS quantity FROM trade_history ${where}`, [profileId]))
    tally.addHistory(row);
  return tally.rows(await db.query<TallyPosition>(`SELECT profile_id, symbol, quantity::text AS quantity FROM positions ${where}`, [profileId]));
}

/** Rows as sorted JSON lines: UNION ALL and a hash aggregate promise no order. */
const lines = (rows: readonly ReportRow[]) =>
  rows.map((r) => JSON.stringify([r.kind, r.profile_id, r.symbol, r.trade_id, r.detail, r.order_keys, r.history_keys, r.position_key])).sort();

const content = ({ generatedAt, ...rest }: LifecycleReport) => {
  void generatedAt;
  return rest;
};

// The user's SQLite schema: other table and column names, every quantity TEXT, times as text.
const SQLITE_SCHEMA = `
CREATE TABLE executions (ref TEXT PRIMARY KEY, account TEXT NOT NULL, market TEXT NOT NULL, lifecycle TEXT, leg TEXT, state TEXT NOT NULL,
  origin TEXT NOT NULL, size TEXT, legacy_size TEXT, done_at TEXT, booked_at TEXT NOT NULL);
CREATE TABLE closed_trades (hid INTEGER PRIMARY KEY, account TEXT NOT NULL, market TEXT NOT NULL, lifecycle TEXT, size TEXT);
CREATE TABLE holdings (account TEXT NOT NULL, market TEXT NOT NULL, size TEXT);`;

const MAPPING: LedgerMapping = {
  orders: {
    table: 'executions',
    columns: {
      order_id: 'ref',
      profile_id: 'account',
      symbol: 'market',
      trade_id: 'lifecycle',
      action: 'leg',
      status: 'state',
      source: 'origin',
      quantity: 'size',
      qty: 'legacy_size',
      filled_at: 'done_at',
      created_at: 'booked_at',
    },
  },
  trade_history: { table: 'closed_trades', columns: { id: 'hid', profile_id: 'account', symbol: 'market', trade_id: 'lifecycle', quantity: 'size' } },
  positions: { table: 'holdings', columns: { profile_id: 'account', symbol: 'market', quantity: 'size' } },
};

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Copies the ledger into a SQLite file of the user's schema, values as text. */
async function copyToSqlite(db: Database, url: string): Promise<void> {
  const target = await openDatabase(url);
  try {
    await target.exec(SQLITE_SCHEMA);
    await target.transaction(async (tx) => {
      for (const r of await db.query<Record<string, string | null>>(
        `SELECT order_id, profile_id, symbol, trade_id, action, status, source, quantity::text AS quantity, qty::text AS qty, ${ISO('filled_at')} AS filled_at, ${ISO('created_at')} AS created_at FROM orders`,
      ))
        await tx.query('INSERT INTO executions VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
          r['order_id'],
          r['profile_id'],
          r['symbol'],
          r['trade_id'],
          r['action'],
          r['status'],
          r['source'],
          r['quantity'],
          r['qty'],
          r['filled_at'],
          r['created_at'],
        ]);
      for (const r of await db.query<Record<string, string | null>>(
        'SELECT id::text AS id, profile_id, symbol, trade_id, quantity::text AS quantity FROM trade_history',
      ))
        await tx.query('INSERT INTO closed_trades VALUES ($1, $2, $3, $4, $5)', [Number(r['id']), r['profile_id'], r['symbol'], r['trade_id'], r['quantity']]);
      for (const r of await db.query<Record<string, string | null>>('SELECT profile_id, symbol, quantity::text AS quantity FROM positions'))
        await tx.query('INSERT INTO holdings VALUES ($1, $2, $3)', [r['profile_id'], r['symbol'], r['quantity']]);
    });
  } finally {
    await target.close();
  }
}

describe('the lifecycle report derived in TypeScript (SQLite) equals REPORT_SQL (PostgreSQL) on one generated ledger', () => {
  let test: TestDatabase;
  let db: Database;
  let result: GenerateResult;
  let sqliteUrl: string;
  before(async () => {
    test = await baseLedger('pglite');
    db = await openDatabase(test.url);
    result = await generateLedger(db, { profiles: 8, orders: 2500, anomalyRate: '0.1', seed: 'report-derive' });
    sqliteUrl = `sqlite:${join(test.dir, 'user-ledger.db')}`;
  });
  after(async () => {
    await db?.close();
    await test.cleanup();
  });

  it('the generated ledger alone: the same rows, every anomaly kind among them', async () => {
    const sql = await db.query<ReportRow>(REPORT_SQL, [null]);
    const ts = await derived(db, null);
    assert.deepEqual(lines(ts), lines(sql));
    const kinds = new Set(sql.map((r) => r.kind));
    for (const kind of [
      'blank_trade_id',
      'malformed_trade_id',
      'missing_trade_id',
      'missing_entry_order',
      'over_exit',
      'duplicate_lifecycle_key',
      'history_mismatch',
      'ghost_position',
      'untracked_position',
      '_walk',
      '_summary',
    ])
      assert.ok(kinds.has(kind), `the generated ledger has a ${kind} row`);
  });

  it('with the edge rows: the same rows for the whole ledger and for one profile', async () => {
    await db.exec(EDGES);
    for (const profile of [null, 'edge', result.expected.anomalies[0]!.profileId]) {
      const sql = await db.query<ReportRow>(REPORT_SQL, [profile]);
      assert.deepEqual(lines(await derived(db, profile)), lines(sql), `profile ${profile}`);
    }
    const edge = lines(await db.query<ReportRow>(REPORT_SQL, ['edge'])).join('\n');
    // The cases the edge rows are there for, as PostgreSQL words them.
    assert.match(edge, /trade_id E'bad\\\\\\\\x''y' is not TRD-…/);
    assert.match(edge, /"trade_id on symbols \uFFFD and \u{1F600}"/u);
    assert.match(edge, /orders say 1\.5 open \(bad\\\\x'y\), positions says nothing/);
    assert.match(edge, /exits 3 exceed entries 1/);
    assert.doesNotMatch(edge, /TRD-q1/, 'entries 0.10 + 0.1 close exits 0.1 + 0.1000, and history 0.2000 matches');
  });

  it("the whole report through a SQLite file of the user's schema equals the PostgreSQL report, and finds what generate injected", async () => {
    await copyToSqlite(db, sqliteUrl);
    const postgres = await lifecycleReport(db);
    const sqlite = await customLifecycleReport(sqliteUrl, MAPPING);
    assert.deepEqual(content(sqlite), content(postgres));
    const edge = await customLifecycleReport(sqliteUrl, MAPPING, 'edge');
    assert.deepEqual(content(edge), content(await lifecycleReport(db, 'edge')));
    const generated = found(sqlite).filter((a) => a.profileId !== 'edge');
    assert.deepEqual(generated, result.expected.anomalies);
  });
});

describe('the TypeScript derivation and REPORT_SQL agree on a NULL profile_id (a custom mapping onto a nullable account column)', () => {
  it('no position matches a NULL profile, on either side: ghost and untracked rows as PostgreSQL gives them', async () => {
    const test = await createTestDatabase('pglite');
    const db = await openDatabase(test.url);
    try {
      await db.exec(`
CREATE TABLE orders (order_id TEXT, profile_id TEXT, symbol TEXT, trade_id TEXT, action TEXT, status TEXT, source TEXT, quantity NUMERIC, qty NUMERIC);
CREATE TABLE trade_history (id BIGINT, profile_id TEXT, symbol TEXT, trade_id TEXT, quantity NUMERIC);
CREATE TABLE positions (profile_id TEXT, symbol TEXT, quantity NUMERIC);
INSERT INTO orders VALUES ('N1', NULL, 'BTC', 'TRD-n1', 'ENTRY', 'filled', 'bot', 2, NULL), ('N2', 'p', 'BTC', 'TRD-p1', 'ENTRY', 'filled', 'bot', 1, NULL);
INSERT INTO positions VALUES (NULL, 'BTC', 2), ('p', 'BTC', 1);`);
      const sql = await db.query<ReportRow>(REPORT_SQL, [null]);
      assert.deepEqual(lines(await derived(db, null)), lines(sql));
      const kinds = sql.filter((r) => r.profile_id === null).map((r) => r.kind);
      assert.ok(kinds.includes('ghost_position') && kinds.includes('untracked_position'), 'PostgreSQL matches no NULL profile to its position');
    } finally {
      await db.close();
      await test.cleanup();
    }
  });
});
