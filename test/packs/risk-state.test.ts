import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../src/db/open.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { verifyRiskState } from '../../src/packs/risk-state/verify.ts';
import { enforcementLogRow, executeEnforcement } from '../../src/domain/enforcement-log.ts';
import { querySqlite as query, type SqliteRow, execSqlite as exec, sqliteTables as tables } from '../helpers/sqlite-file.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { cli } from '../helpers/cli.ts';

const PACK_DIR = fileURLToPath(new URL('../../src/packs/risk-state/migrations/', import.meta.url));

const V1_DESCRIPTION =
  'Baseline schema - 9 tables (lockouts, daily_pnl, contract_cache, trade_history, session_state, positions, orders, enforcement_log, reset_schedule)';
const V2_DESCRIPTION = 'Schema v2: Add schema_version table, analytics indexes, optional daily_unrealized_pnl table';

const V1_TABLES = ['contract_cache', 'daily_pnl', 'enforcement_log', 'lockouts', 'orders', 'positions', 'reset_schedule', 'session_state', 'trade_history'];

// The specification's "Expected indexes" list (docs/runbooks/risk-state-v2.md Phase 2), in its order.
const EXPECTED_V2_INDEXES = [
  'idx_contract_cache_symbol',
  'idx_daily_pnl_date',
  'idx_enforcement_account',
  'idx_enforcement_log_success',
  'idx_enforcement_rule',
  'idx_enforcement_timestamp',
  'idx_lockouts_until',
  'idx_orders_account',
  'idx_orders_contract',
  'idx_orders_state',
  'idx_orders_state_account',
  'idx_positions_account',
  'idx_positions_contract',
  'idx_positions_updated',
  'idx_schema_version_applied',
  'idx_trade_history_account_time',
  'idx_trade_history_timestamp',
];
const V2_NEW_INDEXES = ['idx_enforcement_log_success', 'idx_orders_state_account', 'idx_positions_updated', 'idx_schema_version_applied'];
const UNREALIZED_INDEXES = ['idx_daily_unrealized_pnl_account_date', 'idx_daily_unrealized_pnl_date'];

type Row = SqliteRow;

/** The specification's verification query of docs/runbooks/risk-state-v2.md Phase 2, as written. */
function specIndexList(file: string): string[] {
  return query(file, "SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'idx_%' ORDER BY name").map((row) => String(row['name']));
}

function columns(file: string, table: string): string[] {
  return query(file, 'SELECT name FROM pragma_table_info(?)', table).map((row) => String(row['name']));
}

function historyRows(file: string): Row[] {
  return query(file, 'SELECT version, description, success, applied_by FROM schema_version ORDER BY version');
}

/** What an older daemon left: the nine v1 tables made from 001's own SQL, no schema_version. */
function createOldDaemonDatabase(file: string): void {
  const name = '001_baseline.sql';
  mkdirSync(dirname(file), { recursive: true });
  exec(file, parseMigration(name, readFileSync(join(PACK_DIR, name), 'utf8')).up);
}

function insertSampleData(file: string): void {
  exec(
    file,
    `INSERT INTO lockouts (account_id, is_locked, reason, rule_id, locked_at, locked_until)
       VALUES (123, 1, 'Daily loss limit: -550.25', 'RULE-003', '2025-10-21T20:00:00Z', '2025-10-21T21:00:00Z');
     INSERT INTO daily_pnl (account_id, date, realized_pnl) VALUES (123, '2025-10-21', '-550.25'), (123, '2025-10-22', '21000.10');
     INSERT INTO contract_cache (contract_id, symbol, name, tick_size, tick_value) VALUES ('CON.F.US.MNQ.U25', 'F.US.MNQ', 'MNQU5', '0.25', '0.50');
     INSERT INTO trade_history (account_id, contract_id, timestamp, quantity, price, pnl) VALUES (123, 'CON.F.US.MNQ.U25', '2025-10-21T19:59:00Z', '2', '21000.25', '-550.25');
     INSERT INTO session_state (account_id, session_start, trade_count) VALUES (123, '2025-10-20T22:00:00Z', 4);
     INSERT INTO positions (id, account_id, contract_id, type, size, average_price, created_at) VALUES (9001, 123, 'CON.F.US.MNQ.U25', 1, '2', '21000.25', '2025-10-21T19:00:00Z');
     INSERT INTO orders (id, account_id, contract_id, type, side, size, limit_price, state, created_at) VALUES (7001, 123, 'CON.F.US.MNQ.U25', 2, 'SELL', '2', '21100.00', 2, '2025-10-21T19:01:00Z');
     INSERT INTO enforcement_log (account_id, rule_id, action, reason, success, details) VALUES (123, 'RULE-003', 'close_all_positions', 'Daily loss limit: -550.25', 1, '{"positions_closed":1}');
     INSERT INTO reset_schedule (account_id, reset_time, timezone, last_reset_date, next_reset_at) VALUES (123, '17:00', 'America/New_York', '2025-10-20', '2025-10-21T21:00:00Z');`,
  );
}

/** Every v1 table's rows, for comparing before and after an upgrade or a restore. */
function dataSnapshot(file: string): Record<string, Row[]> {
  return Object.fromEntries(V1_TABLES.map((table) => [table, query(file, `SELECT * FROM ${table} ORDER BY rowid`)]));
}

function withoutColumn(rows: Record<string, Row[]>, table: string, column: string): Record<string, Row[]> {
  return { ...rows, [table]: rows[table]!.map(({ [column]: _dropped, ...rest }) => rest) };
}

interface VerifyJson {
  readonly version: number;
  readonly ok: boolean;
  readonly checks: readonly { name: string; ok: boolean; detail: string }[];
}

async function verifyJson(...extra: string[]): Promise<VerifyJson> {
  const run = await cli('migrate', 'verify', '--pack', 'risk-state', '--json', ...extra);
  return JSON.parse(run.stdout) as VerifyJson;
}

describe('risk-state pack on sqlite', () => {
  let test: TestDatabase;
  let file: string;
  let url: string;
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
    url = test.url;
    file = url.slice('sqlite:'.length);
  });
  afterEach(async () => {
    await test.cleanup();
  });

  const up = (...extra: string[]) => cli('migrate', 'up', '--pack', 'risk-state', '--db', url, ...extra);

  it('a fresh database goes up to version 2 and passes verify, with the history the specification gives', async () => {
    const run = await up();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /version 0 → 2 \(2 applied\)/);

    const report = await verifyJson('--db', url);
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    assert.equal(report.version, 2);
    assert.deepEqual(
      report.checks.map((check) => [check.name, check.ok]),
      [
        ['history', true],
        ['integrity_check', true],
        ['pack:risk-state checks', true],
      ],
    );

    // The verification queries of docs/runbooks/risk-state-v2.md Phase 1, as written.
    assert.deepEqual(query(file, "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"), [{ name: 'schema_version' }]);
    assert.deepEqual(query(file, 'SELECT version, description, success FROM schema_version ORDER BY version'), [
      { version: 1, description: V1_DESCRIPTION, success: 1 },
      { version: 2, description: V2_DESCRIPTION, success: 1 },
    ]);
    assert.deepEqual(query(file, 'SELECT MAX(version) AS version FROM schema_version WHERE success = 1'), [{ version: 2 }]);
    // docs/runbooks/risk-state-v2.md Phase 2's: exactly the expected list; the optional table's indexes only when it is enabled.
    assert.deepEqual(specIndexList(file), EXPECTED_V2_INDEXES);
    assert.deepEqual(tables(file), [...V1_TABLES, 'schema_version'].sort());
    assert.ok(columns(file, 'enforcement_log').includes('execution_time_ms'));
  });

  it("up twice is a no-op the second time (the specification's idempotency test)", async () => {
    assert.equal((await up()).code, 0);
    const before = query(file, 'SELECT sql FROM sqlite_master ORDER BY name');
    const again = await up();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /up to date at version 2/);
    assert.deepEqual(query(file, 'SELECT sql FROM sqlite_master ORDER BY name'), before);
    assert.equal(historyRows(file).length, 2);
  });

  it('stores money and quantities as exact decimal text, not floats', async () => {
    assert.equal((await up()).code, 0);
    insertSampleData(file);
    // NUMERIC or REAL affinity would have turned '21000.10' into the float 21000.1.
    assert.deepEqual(query(file, "SELECT realized_pnl, typeof(realized_pnl) AS type FROM daily_pnl WHERE date = '2025-10-22'"), [
      { realized_pnl: '21000.10', type: 'text' },
    ]);
    assert.deepEqual(query(file, 'SELECT typeof(size) AS size, typeof(average_price) AS price FROM positions'), [{ size: 'text', price: 'text' }]);
  });

  it('verify reports each failed check on its own line', async () => {
    assert.equal((await up()).code, 0);
    insertSampleData(file);
    const db = await openDatabase(url);
    try {
      assert.deepEqual(await verifyRiskState(db, { version: 2, options: { track_unrealized_pnl: false } }), []);
      // 4. the optional table, when the configuration asks for it.
      assert.deepEqual(await verifyRiskState(db, { version: 2, options: { track_unrealized_pnl: true } }), [
        'Missing daily_unrealized_pnl table (enabled in config)',
      ]);
      await db.exec('DROP INDEX idx_positions_updated; DROP INDEX idx_orders_account; DROP TABLE orders;');
      await db.exec('PRAGMA ignore_check_constraints = ON; UPDATE enforcement_log SET success = 7; PRAGMA ignore_check_constraints = OFF;');
      await db.exec('DELETE FROM schema_version WHERE version = 2');
      const failures = await verifyRiskState(db, { version: 2, options: { track_unrealized_pnl: false } });
      assert.deepEqual(failures, [
        'Schema version 1 != 2', // 1.
        'Missing v1 table: orders', // 2.
        'Missing index: idx_orders_account', // 5. (v1 indexes; dropping orders took its three with it)
        'Missing index: idx_orders_contract',
        'Missing index: idx_orders_state',
        'Missing index: idx_positions_updated',
        'Missing index: idx_orders_state_account',
        'Integrity check failed: CHECK constraint failed in enforcement_log', // 6.
        'Sample query failed: no such table: orders', // 7.
      ]);
      await db.exec('DROP TABLE schema_version');
      assert.ok((await verifyRiskState(db, { version: 2, options: {} })).includes('Missing schema_version table')); // 3.
      assert.ok((await verifyRiskState(db, { version: 2, options: {} })).includes('Missing index: idx_schema_version_applied'));
    } finally {
      await db.close();
    }
  });

  it('down to 0 removes everything it made, and up again rebuilds the same schema', async () => {
    assert.equal((await up()).code, 0);
    const applied = query(file, "SELECT type, name, sql FROM sqlite_master WHERE name <> 'schema_version' ORDER BY name");
    const down = await cli('migrate', 'down', '--pack', 'risk-state', '--db', url, '--to', '0');
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /version 2 → 0 \(2 rolled back\)/);
    assert.deepEqual(tables(file), ['schema_version']);
    assert.deepEqual(specIndexList(file), ['idx_schema_version_applied']);
    assert.deepEqual(historyRows(file), []);

    assert.equal((await up()).code, 0);
    assert.deepEqual(query(file, "SELECT type, name, sql FROM sqlite_master WHERE name <> 'schema_version' ORDER BY name"), applied);
    assert.equal((await verifyJson('--db', url)).ok, true);
  });

  it('down to 1 undoes exactly version 2, and verify at version 1 checks only what v1 has', async () => {
    assert.equal((await up()).code, 0);
    insertSampleData(file);
    const down = await cli('migrate', 'down', '--pack', 'risk-state', '--db', url);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(
      specIndexList(file),
      EXPECTED_V2_INDEXES.filter((name) => !V2_NEW_INDEXES.includes(name) || name === 'idx_schema_version_applied'),
    );
    assert.ok(!columns(file, 'enforcement_log').includes('execution_time_ms'));
    assert.deepEqual(query(file, 'SELECT version FROM schema_version'), [{ version: 1 }]);
    const report = await verifyJson('--db', url);
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    assert.equal(report.version, 1);
    assert.equal(query(file, 'SELECT COUNT(*) AS n FROM positions')[0]!['n'], 1);
  });

  it('with track_unrealized_pnl: true in tradeledger.yaml, v2 adds daily_unrealized_pnl and its two indexes', async () => {
    const config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, 'database:\n  track_unrealized_pnl: true\n');
    const run = await up('--config', config);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(tables(file), [...V1_TABLES, 'daily_unrealized_pnl', 'schema_version'].sort());
    assert.deepEqual(specIndexList(file), [...EXPECTED_V2_INDEXES, ...UNREALIZED_INDEXES].sort());
    assert.deepEqual(columns(file, 'daily_unrealized_pnl'), ['account_id', 'timestamp', 'unrealized_pnl', 'positions_count', 'total_exposure', 'created_at']);
    exec(
      file,
      "INSERT INTO daily_unrealized_pnl (account_id, timestamp, unrealized_pnl, positions_count, total_exposure) VALUES (123, '2025-10-22', '-120.10', 2, '84001.00')",
    );
    // REAL, as the specification writes it (issue 12): the snapshot is a report, not a limit.
    assert.deepEqual(query(file, 'SELECT unrealized_pnl, typeof(unrealized_pnl) AS type FROM daily_unrealized_pnl'), [
      { unrealized_pnl: -120.1, type: 'real' },
    ]);
    assert.equal((await verifyJson('--db', url, '--config', config)).ok, true);

    // Turning tracking off later is a configuration change, not drift: the table stays unused, and
    // down drops it (with its rows) only with --allow-data-loss.
    const status = await cli('migrate', 'status', '--pack', 'risk-state', '--db', url, '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.equal((await cli('migrate', 'down', '--pack', 'risk-state', '--db', url)).code, 3);
    const down = await cli('migrate', 'down', '--pack', 'risk-state', '--db', url, '--allow-data-loss');
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!tables(file).includes('daily_unrealized_pnl'));
  });

  it("an old daemon's v1 database (no schema_version) is recognised as version 1 and upgraded in place", async () => {
    createOldDaemonDatabase(file);
    insertSampleData(file);
    const before = dataSnapshot(file);

    const status = await cli('migrate', 'status', '--pack', 'risk-state', '--db', url, '--json');
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { current: number; pending: number[] };
    assert.equal(parsed.current, 1);
    assert.deepEqual(parsed.pending, [2]);
    assert.ok(!tables(file).includes('schema_version'), 'status only reads');
    const untracked = await cli('migrate', 'verify', '--pack', 'risk-state', '--db', url);
    assert.equal(untracked.code, 1);
    assert.match(untracked.stdout, /Missing schema_version table: this is an untracked v1 database; run 'migrate up'/);

    const run = await up();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /version 1 → 2 \(1 applied\)/);
    assert.ok(!/applying 001/.test(run.stderr), 'the baseline is adopted, never re-run');
    const backup = /^backup: (.+)$/m.exec(run.stdout)?.[1];
    assert.ok(backup !== undefined && existsSync(backup), run.stdout);
    assert.match(basename(backup), /^state_pre_v2_\d{8}_\d{6}\.db$/);
    assert.ok(
      !query(backup, "SELECT name FROM sqlite_master WHERE type = 'table'").some((row) => row['name'] === 'schema_version'),
      'the backup is the v1 file',
    );

    const rows = historyRows(file);
    assert.deepEqual(
      rows.map((row) => [row['version'], row['description'], row['success']]),
      [
        [1, V1_DESCRIPTION, 1],
        [2, V2_DESCRIPTION, 1],
      ],
    );
    assert.match(String(rows[0]!['applied_by']), /adopted/);
    // Data preserved; the old enforcement rows have no execution time.
    const after = dataSnapshot(file);
    assert.deepEqual(withoutColumn(after, 'enforcement_log', 'execution_time_ms'), before);
    assert.deepEqual(query(file, 'SELECT execution_time_ms FROM enforcement_log'), [{ execution_time_ms: null }]);
    assert.deepEqual(specIndexList(file), EXPECTED_V2_INDEXES);
    assert.equal((await verifyJson('--db', url)).ok, true);

    // The daemon's timed enforcement entry (docs/runbooks/risk-state-v2.md Phase 5) fits the upgraded table.
    const log = await executeEnforcement({ accountId: 123, ruleId: 'RULE-004', action: 'set_lockout', reason: 'Daily unrealized loss: -750.00' }, async () => ({
      details: { lockout_until: '2025-10-22T21:00:00Z' },
    }));
    const row = enforcementLogRow(log);
    const names = Object.keys(row);
    const db = new DatabaseSync(file);
    try {
      db.prepare(`INSERT INTO enforcement_log (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`).run(...Object.values(row));
    } finally {
      db.close();
    }
    assert.deepEqual(query(file, "SELECT execution_time_ms, success FROM enforcement_log WHERE rule_id = 'RULE-004'"), [
      { execution_time_ms: log.executionTimeMs, success: 1 },
    ]);
  });

  it('rollback scenario 2: restoring the pre-v2 backup gives back the v1 file, the replaced one kept as failed_v2', async () => {
    createOldDaemonDatabase(file);
    insertSampleData(file);
    const before = dataSnapshot(file);
    const run = await up();
    assert.equal(run.code, 0, run.stderr);
    const backup = /^backup: (.+)$/m.exec(run.stdout)![1]!;

    const restore = await cli('migrate', 'restore', backup, '--db', url);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /integrity_check: ok/);
    const failed = readdirSync(dirname(file)).filter((name) => name.startsWith('state.db.failed_v2_'));
    assert.equal(failed.length, 1, readdirSync(dirname(file)).join(', '));
    assert.match(failed[0]!, /^state\.db\.failed_v2_\d{8}_\d{6}$/);
    assert.deepEqual(
      historyRows(join(dirname(file), failed[0]!)).map((row) => row['version']),
      [1, 2],
    );

    // The specification's "Verify Restore" queries.
    assert.deepEqual(query(file, 'PRAGMA integrity_check;'), [{ integrity_check: 'ok' }]);
    assert.deepEqual(tables(file), V1_TABLES);
    assert.deepEqual(dataSnapshot(file), before);
    const status = JSON.parse((await cli('migrate', 'status', '--pack', 'risk-state', '--db', url, '--json')).stdout) as { current: number };
    assert.equal(status.current, 1);
  });

  it('refuses a database that is neither empty nor risk-state v1, naming what is missing, and writes nothing', async () => {
    exec(file, 'CREATE TABLE accounts (id INTEGER PRIMARY KEY); CREATE TABLE fills (id INTEGER PRIMARY KEY);');
    const run = await up();
    assert.equal(run.code, 2, run.stdout);
    assert.match(
      run.stderr,
      /not a risk-state v1 database: missing tables lockouts, daily_pnl, contract_cache, trade_history, session_state, positions, orders, enforcement_log, reset_schedule \(it has accounts, fills\)/,
    );
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.deepEqual(tables(file), ['accounts', 'fills']);
    assert.ok(!existsSync(join(dirname(file), 'backups')), 'refused before the backup');
    assert.equal((await cli('migrate', 'status', '--pack', 'risk-state', '--db', url)).code, 2);
  });

  it('refuses a v1 database with tables missing, listing them', async () => {
    createOldDaemonDatabase(file);
    exec(file, 'DROP TABLE positions; DROP TABLE orders;');
    const run = await up();
    assert.equal(run.code, 2);
    assert.match(run.stderr, /not a risk-state v1 database: missing tables positions, orders \(/);
    assert.ok(!tables(file).includes('schema_version'));
  });

  it('rollback scenario 1 (old daemon): a failure part-way leaves no trace of v2, and the fixed upgrade then runs', async () => {
    createOldDaemonDatabase(file);
    insertSampleData(file);
    // An index of the name v2 creates, already on another table: v2's second statement fails.
    exec(file, 'CREATE INDEX idx_positions_updated ON orders (updated_at);');
    const schemaBefore = query(file, 'SELECT type, name, sql FROM sqlite_master ORDER BY name');
    const before = dataSnapshot(file);

    const run = await up();
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /migration 2 \(002_schema_v2\.sql\) up failed.*index idx_positions_updated already exists/);
    // The specification's check: no schema_version at all, and no other v2 change either.
    assert.deepEqual(query(file, "SELECT name FROM sqlite_master WHERE name='schema_version'"), []);
    assert.deepEqual(query(file, 'SELECT type, name, sql FROM sqlite_master ORDER BY name'), schemaBefore);
    assert.ok(!specIndexList(file).includes('idx_enforcement_log_success'));
    assert.ok(!columns(file, 'enforcement_log').includes('execution_time_ms'));
    assert.deepEqual(dataSnapshot(file), before);
    const status = JSON.parse((await cli('migrate', 'status', '--pack', 'risk-state', '--db', url, '--json')).stdout) as { current: number };
    assert.equal(status.current, 1, 'still recognised as v1');

    exec(file, 'DROP INDEX idx_positions_updated;');
    const retry = await up();
    assert.equal(retry.code, 0, retry.stderr);
    assert.deepEqual(
      historyRows(file).map((row) => [row['version'], row['success']]),
      [
        [1, 1],
        [2, 1],
      ],
    );
    assert.equal((await verifyJson('--db', url)).ok, true);
  });

  it('rollback scenario 1 (tracked): a broken statement at the end of 002 rolls back all of v2 and the failure is recorded', async () => {
    const first = await up('--to', '1');
    assert.equal(first.code, 0, first.stderr);
    insertSampleData(file);
    const schemaBefore = query(file, "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '%schema_version%' ORDER BY name");
    const before = dataSnapshot(file);
    // The pack's own files, with a statement that fails after every v2 change has been made.
    const dir = join(test.dir, 'broken');
    mkdirSync(dir);
    copyFileSync(join(PACK_DIR, '001_baseline.sql'), join(dir, '001_baseline.sql'));
    const v2 = readFileSync(join(PACK_DIR, '002_schema_v2.sql'), 'utf8').replace('-- migrate:down', 'INSERT INTO no_such_table VALUES (1);\n\n-- migrate:down');
    writeFileSync(join(dir, '002_schema_v2.sql'), v2.replace(/^-- pack:(if|end).*\n/gm, ''));

    const run = await cli('migrate', 'up', '--dir', dir, '--db', url);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /no such table: no_such_table/);
    assert.deepEqual(query(file, "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '%schema_version%' ORDER BY name"), schemaBefore);
    assert.ok(!tables(file).includes('daily_unrealized_pnl'));
    assert.ok(!columns(file, 'enforcement_log').includes('execution_time_ms'));
    assert.deepEqual(dataSnapshot(file), before);
    assert.deepEqual(query(file, 'SELECT version, success FROM schema_version ORDER BY version'), [
      { version: 1, success: 1 },
      { version: 2, success: 0 },
    ]);

    const retry = await up();
    assert.equal(retry.code, 0, retry.stderr);
    assert.deepEqual(
      historyRows(file).map((row) => [row['version'], row['success']]),
      [
        [1, 1],
        [2, 1],
      ],
    );
  });
});
