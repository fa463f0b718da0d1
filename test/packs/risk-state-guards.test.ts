// Issue 12, items 3 and 4: risk-state rollbacks are guarded like the other packs' (--allow-data-loss
// to drop rows or a column that holds values); track_unrealized_pnl is a forward step (turned on
// after v2: `migrate up` creates the table as a recorded repair, losing nothing; turned off: kept
// unless --allow-data-loss); the optional table's money columns are REAL as the specification says.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.ts';
import { querySqlite as query, execSqlite as exec, sqliteTables as tables } from '../helpers/sqlite-file.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

const V1_TABLES = ['contract_cache', 'daily_pnl', 'enforcement_log', 'lockouts', 'orders', 'positions', 'reset_schedule', 'session_state', 'trade_history'];

describe('risk-state down is guarded against data loss', () => {
  let test: TestDatabase;
  let file: string;
  const migrate = (...args: string[]) => cli('migrate', ...args, '--pack', 'risk-state', '--db', test.url);
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
    file = join(test.dir, 'state.db');
    assert.equal((await migrate('up')).code, 0);
  });
  afterEach(() => test.cleanup());

  it('down --to 0 refuses while the nine tables hold rows (exit 1 after 002 went back; names --allow-data-loss and what went back first); with it, drops them', async () => {
    exec(
      file,
      "INSERT INTO positions (id, account_id, contract_id, type, size, average_price, created_at) VALUES (1, 123, 'MNQ', 1, '2', '21000.25', '2025-10-21T19:00:00Z')",
    );
    const refused = await migrate('down', '--to', '0');
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /migration 1 \(001_baseline\.sql\) down refused: the risk-state tables hold the daemon's state .*; to drop them run migrate down --allow-data-loss; migration\(s\) 2 were reverted before it; the database is at version 1 \(a backup was taken first: /,
    );
    assert.deepEqual(
      tables(file).filter((name) => V1_TABLES.includes(name)),
      V1_TABLES,
      'all nine tables are still there',
    );
    assert.equal(query(file, 'SELECT COUNT(*) AS n FROM positions')[0]!['n'], 1);
    assert.deepEqual(
      query(file, 'SELECT version FROM schema_version WHERE success = 1 ORDER BY version').map((row) => row['version']),
      [1],
      'version 2 (which had nothing to lose) went back; version 1 refused whole',
    );
    const forced = await migrate('down', '--to', '0', '--allow-data-loss');
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(tables(file), ['schema_version']);
  });

  it('down --to 1 refuses while enforcement_log.execution_time_ms holds timings; --allow-data-loss drops the column', async () => {
    exec(
      file,
      "INSERT INTO enforcement_log (account_id, rule_id, action, reason, success, execution_time_ms) VALUES (123, 'RULE-003', 'set_lockout', 'x', 1, 42)",
    );
    const refused = await migrate('down', '--to', '1');
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /down refused: enforcement_log\.execution_time_ms holds the timings .*; to drop them run migrate down --allow-data-loss/);
    assert.deepEqual(query(file, 'SELECT execution_time_ms FROM enforcement_log'), [{ execution_time_ms: 42 }]);
    assert.equal(query(file, 'SELECT MAX(version) AS v FROM schema_version WHERE success = 1')[0]!['v'], 2);
    const forced = await migrate('down', '--to', '1', '--allow-data-loss');
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(!query(file, 'SELECT name FROM pragma_table_info(?)', 'enforcement_log').some((row) => row['name'] === 'execution_time_ms'));
  });

  it('down with nothing to lose needs no flag, and leaves no consent behind for the next step', async () => {
    const back = await migrate('down', '--to', '1');
    assert.equal(back.code, 0, back.stderr);
    exec(file, 'INSERT INTO lockouts (account_id, is_locked) VALUES (1, 1)');
    assert.equal((await migrate('down', '--to', '0')).code, 3, 'rows now: refused, nothing changed');
  });

  it('the optional table: down refuses while it holds snapshots', async () => {
    const config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, 'database:\n  track_unrealized_pnl: true\n');
    assert.equal((await migrate('up', '--config', config)).code, 0);
    exec(file, "INSERT INTO daily_unrealized_pnl (account_id, timestamp, unrealized_pnl, positions_count) VALUES (123, '2025-10-21', -550.25, 1)");
    const refused = await migrate('down', '--to', '1', '--config', config);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /daily_unrealized_pnl holds unrealized P&L snapshots; to drop them run migrate down --allow-data-loss/);
    assert.equal(query(file, 'SELECT COUNT(*) AS n FROM daily_unrealized_pnl')[0]!['n'], 1);
  });
});

describe('track_unrealized_pnl is a forward step', () => {
  let test: TestDatabase;
  let file: string;
  let config: string;
  const migrate = (...args: string[]) => cli('migrate', ...args, '--pack', 'risk-state', '--db', test.url, '--config', config);
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
    file = join(test.dir, 'state.db');
    config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, 'database:\n  track_unrealized_pnl: false\n');
    assert.equal((await migrate('up')).code, 0);
    exec(
      file,
      "INSERT INTO enforcement_log (account_id, rule_id, action, reason, success, execution_time_ms) VALUES (123, 'RULE-004', 'set_lockout', 'x', 1, 17)",
    );
  });
  afterEach(() => test.cleanup());

  it('turned on after v2: migrate up creates the table (REAL money columns) as a recorded repair, execution_time_ms intact', async () => {
    writeFileSync(config, 'database:\n  track_unrealized_pnl: true\n');
    const before = await cli('migrate', 'verify', '--pack', 'risk-state', '--db', test.url, '--config', config);
    assert.equal(before.code, 1, 'verify names the missing table first');
    const run = await migrate('up');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /repaired at version 2: create daily_unrealized_pnl \(track_unrealized_pnl turned on\)/);
    assert.deepEqual(query(file, 'SELECT execution_time_ms FROM enforcement_log'), [{ execution_time_ms: 17 }], 'nothing was erased');
    assert.deepEqual(
      query(file, "SELECT name, type FROM pragma_table_info('daily_unrealized_pnl') WHERE name IN ('unrealized_pnl', 'total_exposure') ORDER BY name"),
      [
        { name: 'total_exposure', type: 'REAL' },
        { name: 'unrealized_pnl', type: 'REAL' },
      ],
    );
    assert.deepEqual(query(file, 'SELECT version, description FROM schema_repairs'), [
      { version: 2, description: 'create daily_unrealized_pnl (track_unrealized_pnl turned on)' },
    ]);
    assert.equal(query(file, 'SELECT COUNT(*) AS n FROM schema_version')[0]!['n'], 2, 'the history keeps its two versions');
    const verify = await cli('migrate', 'verify', '--pack', 'risk-state', '--db', test.url, '--config', config);
    assert.equal(verify.code, 0, verify.stdout);
    const again = await migrate('up');
    assert.match(again.stdout, /up to date at version 2/);
  });

  it('turned off again: the table and its rows are kept; migrate up --allow-data-loss drops it, recorded', async () => {
    writeFileSync(config, 'database:\n  track_unrealized_pnl: true\n');
    assert.equal((await migrate('up')).code, 0);
    exec(file, "INSERT INTO daily_unrealized_pnl (account_id, timestamp, unrealized_pnl, positions_count) VALUES (123, '2025-10-21', -550.25, 1)");
    writeFileSync(config, 'database:\n  track_unrealized_pnl: false\n');
    const kept = await migrate('up');
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /up to date at version 2/);
    assert.equal(query(file, 'SELECT COUNT(*) AS n FROM daily_unrealized_pnl')[0]!['n'], 1);
    assert.equal((await cli('migrate', 'verify', '--pack', 'risk-state', '--db', test.url, '--config', config)).code, 0);
    const dropped = await migrate('up', '--allow-data-loss');
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.ok(!tables(file).includes('daily_unrealized_pnl'));
    assert.equal(query(file, 'SELECT COUNT(*) AS n FROM schema_repairs')[0]!['n'], 2);
  });

  it('a file whose optional table an earlier tradeledger made with decimal TEXT: not drift, and up converts it to REAL keeping the values', async () => {
    exec(
      file,
      `CREATE TABLE daily_unrealized_pnl (account_id INTEGER NOT NULL, timestamp TEXT NOT NULL, unrealized_pnl TEXT NOT NULL, positions_count INTEGER NOT NULL,
         total_exposure TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (account_id, timestamp));
       CREATE INDEX idx_daily_unrealized_pnl_date ON daily_unrealized_pnl (timestamp DESC);
       CREATE INDEX idx_daily_unrealized_pnl_account_date ON daily_unrealized_pnl (account_id, timestamp DESC);
       INSERT INTO daily_unrealized_pnl (account_id, timestamp, unrealized_pnl, positions_count, total_exposure) VALUES (123, '2025-10-21', '-550.25', 2, '42000.5');
       UPDATE schema_version SET checksum = '9dc5adea1d6b293ada187933b6586aa849315fa0a64538682fff1c20c652a95a' WHERE version = 2;`,
    );
    writeFileSync(config, 'database:\n  track_unrealized_pnl: true\n');
    const status = await migrate('status');
    assert.equal(status.code, 0, `the earlier text of 002 is not drift: ${status.stdout}`);
    const run = await migrate('up');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(query(file, 'SELECT unrealized_pnl, typeof(unrealized_pnl) AS t, total_exposure, positions_count FROM daily_unrealized_pnl'), [
      { unrealized_pnl: -550.25, t: 'real', total_exposure: 42000.5, positions_count: 2 },
    ]);
    assert.equal((await cli('migrate', 'verify', '--pack', 'risk-state', '--db', test.url, '--config', config)).code, 0);
  });
});
