import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../src/db/open.ts';
import { directorySource } from '../../src/migrate/source.ts';
import { migrateUp } from '../../src/migrate/up.ts';
import { readHistory } from '../../src/migrate/history.ts';
import { MigrationFailedError } from '../../src/migrate/run-plan.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { PORTABLE_MIGRATIONS, writeMigrations, testSettings } from '../helpers/migrations.ts';
import { cli } from '../helpers/cli.ts';

// Backups, verify and restore read the files themselves, with plain node:sqlite opened read-only,
// so that a check never goes through the code it checks.
function readOnly<T>(path: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function integrity(path: string): string {
  return readOnly(path, (db) => (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check).join('; '));
}

function tablesOf(path: string): string[] {
  return readOnly(path, (db) =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name),
  );
}

function rowsOf(path: string, sql: string): Record<string, unknown>[] {
  return readOnly(path, (db) =>
    db
      .prepare(sql)
      .all()
      .map((row) => ({ ...row })),
  );
}

function versionOf(path: string): number {
  return readOnly(path, (db) => (db.prepare('SELECT MAX(version) AS v FROM schema_version WHERE success = 1').get() as { v: number | null }).v ?? 0);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file under `dir` with a hash of its content, so that any write shows. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name)] = sha256(join(entry.parentPath, entry.name));
  }
  return out;
}

/** The files in a backup folder, without tradeledger's manifest of them. */
function backupsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name !== '.tradeledger-backups.json')
    .sort();
}

const BACKUP_NAME = /^state_pre_v(\d+)_(\d{8})_(\d{6})(?:_\d+)?\.db$/;

/** The instant a file name's UTC `YYYYMMDD` and `HHMMSS` stand for. */
function utc(d: string, t: string): number {
  return Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +t.slice(0, 2), +t.slice(2, 4), +t.slice(4, 6));
}

/** The UTC instant a backup's name carries. */
function stampOf(name: string): number {
  const match = BACKUP_NAME.exec(name);
  assert.ok(match !== null, `backup name ${name} is <name>_pre_v<N>_<YYYYMMDD_HHMMSS>.db`);
  return utc(match[2]!, match[3]!);
}

describe('SQLite backups before migrating', () => {
  let test: TestDatabase;
  let file: string;
  let dir: string;
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
    file = join(test.dir, 'state.db');
    dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
  });
  afterEach(() => test.cleanup());

  it('up writes <name>_pre_v<N>_<UTC ts>.db into backups/ beside the file, checked, holding the data from before', async () => {
    assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1')).code, 0);
    const db = new DatabaseSync(file);
    db.exec("INSERT INTO accounts (id, name) VALUES (1, 'alpha'), (2, 'beta')");
    db.close();

    const startedAt = Math.floor(Date.now() / 1000) * 1000;
    const run = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--json');
    const endedAt = Date.now();
    assert.equal(run.code, 0, run.stderr);
    const backup = JSON.parse(run.stdout).backup as string;
    const backups = join(test.dir, 'backups');
    assert.equal(dirname(backup), backups, 'the backup is in backups/ beside the database');
    const name = basename(backup);
    assert.equal(BACKUP_NAME.exec(name)?.[1], '3', 'N is the version the migration goes to');
    const stamp = stampOf(name);
    assert.ok(stamp >= startedAt && stamp <= endedAt, `the timestamp ${name} is the UTC time of the run`);

    assert.equal(integrity(backup), 'ok');
    assert.deepEqual(rowsOf(backup, 'SELECT id, name FROM accounts ORDER BY id'), [
      { id: 1, name: 'alpha' },
      { id: 2, name: 'beta' },
    ]);
    assert.deepEqual(tablesOf(backup), ['accounts', 'schema_version'], 'the backup is from before trades was created');
    assert.equal(versionOf(backup), 1);
    assert.ok(tablesOf(file).includes('trades'), 'and the database itself moved on');
  });

  it('--config database.backup.directory puts backups in that folder instead', async () => {
    const elsewhere = join(test.dir, 'kept', 'here');
    const config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, `database:\n  backup:\n    directory: ${elsewhere}\n`);
    const run = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--config', config);
    assert.equal(run.code, 0, run.stderr);
    const names = backupsIn(elsewhere);
    assert.equal(names.length, 1);
    assert.match(run.stdout, new RegExp(`backup: ${join(elsewhere, names[0]!)}`));
    assert.equal(BACKUP_NAME.exec(names[0]!)?.[1], '3');
    assert.equal(existsSync(join(test.dir, 'backups')), false, 'nothing went to the default folder');
    assert.equal(integrity(join(elsewhere, names[0]!)), 'ok');
  });

  it('retention never removes a backup younger than retention_days, however many max_backups allows (issue 12)', async () => {
    const config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, 'database:\n  backup:\n    max_backups: 2\n');
    const made: string[] = [];
    const steps: string[][] = [['up', '--to', '1'], ['up'], ['down'], ['down', '--steps', '2'], ['up'], ['down']];
    for (const step of steps) {
      const run = await cli('migrate', ...step, '--db', test.url, '--dir', dir, '--config', config, '--json');
      assert.equal(run.code, 0, `${step.join(' ')}: ${run.stderr}`);
      made.push(JSON.parse(run.stdout).backup as string);
    }
    assert.deepEqual(
      backupsIn(join(test.dir, 'backups')).map((name) => join(test.dir, 'backups', name)),
      made.slice().sort(),
      'all six are younger than 30 days: all kept',
    );
  });

  it('max_backups counts only backups older than retention_days, and only backups tradeledger made are pruned', async () => {
    const config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, 'database:\n  backup:\n    max_backups: 1\n');
    const backups = join(test.dir, 'backups');
    const made: string[] = [];
    for (const step of [['up', '--to', '1'], ['up', '--to', '2'], ['down']]) {
      const run = await cli('migrate', ...step, '--db', test.url, '--dir', dir, '--config', config, '--json');
      assert.equal(run.code, 0, run.stderr);
      made.push(JSON.parse(run.stdout).backup as string);
    }
    const [oldest, old, recent] = made as [string, string, string];
    const handMade = join(backups, 'state_pre_v1_20200101_000000.db');
    const otherDatabase = join(backups, 'ledger_pre_v1_20200101_000000.db');
    const notes = join(backups, 'notes.txt');
    for (const path of [handMade, otherDatabase]) copyFileSync(oldest, path);
    writeFileSync(notes, 'keep me');
    const days = (n: number) => new Date(Date.now() - n * 86_400_000);
    utimesSync(oldest, days(40), days(40));
    utimesSync(old, days(31), days(31));
    utimesSync(recent, days(29), days(29));
    for (const path of [handMade, otherDatabase, notes]) utimesSync(path, days(400), days(400));

    const run = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--config', config, '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(existsSync(oldest), false, 'two older than 30 days, one slot: the oldest goes');
    assert.ok(existsSync(old), 'the newest of the older ones fills max_backups');
    assert.ok(existsSync(recent), 'a backup 29 days old is kept');
    assert.ok(existsSync(handMade), 'a file copied there by hand is not ours to prune, whatever its name');
    assert.ok(existsSync(otherDatabase));
    assert.ok(existsSync(notes));
    assert.ok(existsSync(JSON.parse(run.stdout).backup as string));
  });

  it('migrate verify on SQLite runs PRAGMA integrity_check and reports ok', async () => {
    assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir)).code, 0);
    const run = await cli('migrate', 'verify', '--db', test.url, '--dir', dir, '--json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { ok: boolean; version: number; checks: { name: string; ok: boolean; detail: string }[] };
    assert.equal(report.ok, true);
    assert.equal(report.version, 3);
    assert.deepEqual(
      report.checks.find((c) => c.name === 'integrity_check'),
      { name: 'integrity_check', ok: true, detail: 'ok' },
    );
    const text = await cli('migrate', 'verify', '--db', test.url, '--dir', dir);
    assert.match(text.stdout, /integrity_check\s+ok\s+ok/);
  });
});

describe('migrate restore', () => {
  let test: TestDatabase;
  let file: string;
  let dir: string;
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
    file = join(test.dir, 'state.db');
    dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
  });
  afterEach(() => test.cleanup());

  it('moves the current file and its -wal / -shm aside as <name>.db.failed_v<N>_<ts> and puts the backup in place', async () => {
    assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1')).code, 0);
    const seed = new DatabaseSync(file);
    seed.exec("INSERT INTO accounts (id, name) VALUES (1, 'alpha'), (2, 'beta')");
    seed.close();
    const up = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--json');
    assert.equal(up.code, 0, up.stderr);
    const backup = JSON.parse(up.stdout).backup as string;

    // A daemon in WAL mode wrote a fill and was killed: the commit lives only in state.db-wal.
    const daemon = spawnSync(process.execPath, [
      '-e',
      `
      const { DatabaseSync } = require('node:sqlite');
      const db = new DatabaseSync(${JSON.stringify(file)});
      db.exec("PRAGMA journal_mode = WAL; INSERT INTO trades (id, account_id, quantity) VALUES (7, 1, '5')");
      process.kill(process.pid, 'SIGKILL');`,
    ]);
    assert.equal(daemon.signal, 'SIGKILL', daemon.stderr.toString());
    assert.ok(existsSync(`${file}-wal`) && existsSync(`${file}-shm`), 'the killed daemon left its WAL behind');
    const walBytes = sha256(`${file}-wal`);

    const startedAt = Math.floor(Date.now() / 1000) * 1000;
    const run = await cli('migrate', 'restore', backup, '--db', test.url, '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { restoredFrom: string; failedCopy: string; integrity: string };
    assert.equal(result.integrity, 'ok');
    assert.equal(result.restoredFrom, backup);
    assert.equal(dirname(result.failedCopy), test.dir, 'the replaced file stays beside the database');
    const failedName = basename(result.failedCopy);
    const match = /^state\.db\.failed_v3_(\d{8})_(\d{6})$/.exec(failedName);
    assert.ok(match !== null, `the replaced file is named state.db.failed_v3_<ts>, not ${failedName}`);
    assert.ok(utc(match[1]!, match[2]!) >= startedAt && utc(match[1]!, match[2]!) <= Date.now(), 'its timestamp is the UTC time of the restore');

    // The replaced file kept its WAL, so nothing the daemon committed is lost...
    assert.equal(sha256(`${result.failedCopy}-wal`), walBytes);
    assert.ok(existsSync(`${result.failedCopy}-shm`));
    assert.deepEqual(rowsOf(result.failedCopy, 'SELECT id, account_id FROM trades'), [{ id: 7, account_id: 1 }]);
    // ...and that WAL was not left to replay onto the restored file.
    assert.equal(existsSync(`${file}-wal`), false);
    assert.equal(existsSync(`${file}-shm`), false);
    assert.equal(sha256(file), sha256(backup), 'the backup is in place, byte for byte');
    assert.ok(existsSync(backup), 'the backup itself is kept');

    assert.equal(versionOf(file), 1);
    assert.deepEqual(tablesOf(file), ['accounts', 'schema_version']);
    assert.deepEqual(rowsOf(file, 'SELECT id, name FROM accounts ORDER BY id'), [
      { id: 1, name: 'alpha' },
      { id: 2, name: 'beta' },
    ]);
    const status = await cli('migrate', 'status', '--db', test.url, '--dir', dir, '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual([JSON.parse(status.stdout).current, JSON.parse(status.stdout).pending], [1, [2, 3]]);
    assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir)).code, 0, 'and it migrates forward again');
    assert.equal(versionOf(file), 3);
  });

  it('a backup that does not exist exits 2 and changes nothing', async () => {
    assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir)).code, 0);
    const before = listing(test.dir);
    const run = await cli('migrate', 'restore', join(test.dir, 'backups', 'state_pre_v9_20200101_000000.db'), '--db', test.url);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^tradeledger: backup '.*state_pre_v9_20200101_000000\.db' does not exist/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.deepEqual(listing(test.dir), before);
  });

  it('refuses a database that is not a SQLite file (exit 2), creating nothing', async () => {
    assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir)).code, 0);
    const backup = backupsIn(join(test.dir, 'backups'))[0]!;
    const before = listing(test.dir);
    const targets = [`pglite:${join(test.dir, 'pg')}`, 'postgres://someone:secret@127.0.0.1:1/nowhere', 'sqlite::memory:'];
    for (const url of targets) {
      const run = await cli('migrate', 'restore', join(test.dir, 'backups', backup), '--db', url);
      assert.equal(run.code, 2, `${url}: ${run.stderr}`);
      assert.match(run.stderr, /^tradeledger: migrate restore works on SQLite files; .* pass --db sqlite:<file>\n$/);
      assert.doesNotMatch(run.stderr, /secret/, 'the password is not printed');
    }
    assert.deepEqual(listing(test.dir), before);
  });
});

describe('SQLite migrations with -- migrate:disable-foreign-keys', () => {
  const SCHEMA = [
    '-- migrate:up',
    'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);',
    'CREATE TABLE fills (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id), quantity TEXT NOT NULL);',
    '-- migrate:down',
    'DROP TABLE fills;',
    'DROP TABLE accounts;',
    '',
  ].join('\n');
  // The SQLite 12-step rebuild of a referenced table: new table, copy, drop the old one, rename.
  const REBUILD_ACCOUNTS = [
    '-- migrate:up',
    "CREATE TABLE accounts_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL CHECK (name <> ''), venue TEXT);",
    'INSERT INTO accounts_new (id, name) SELECT id, name FROM accounts;',
    'DROP TABLE accounts;',
    'ALTER TABLE accounts_new RENAME TO accounts;',
    '-- migrate:down',
    'CREATE TABLE accounts_old (id INTEGER PRIMARY KEY, name TEXT NOT NULL);',
    'INSERT INTO accounts_old (id, name) SELECT id, name FROM accounts;',
    'DROP TABLE accounts;',
    'ALTER TABLE accounts_old RENAME TO accounts;',
    '',
  ].join('\n');
  // A rebuild of fills that smuggles in a fill of an account that does not exist.
  const DANGLING = [
    '-- migrate:up',
    '-- migrate:disable-foreign-keys',
    'CREATE TABLE fills_new (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id), quantity TEXT NOT NULL, fee TEXT);',
    'INSERT INTO fills_new (id, account_id, quantity) SELECT id, account_id, quantity FROM fills;',
    "INSERT INTO fills_new (id, account_id, quantity) VALUES (99, 404, '1');",
    'DROP TABLE fills;',
    'ALTER TABLE fills_new RENAME TO fills;',
    '-- migrate:down',
    'SELECT 1;',
    '',
  ].join('\n');

  let test: TestDatabase;
  beforeEach(async () => (test = await createTestDatabase('sqlite')));
  afterEach(() => test.cleanup());

  it('rebuilds a referenced table with foreign keys off, and switches them on again', async () => {
    const plain = writeMigrations(test.dir, { '001_schema.sql': SCHEMA, '002_rebuild_accounts.sql': REBUILD_ACCOUNTS }, 'plain');
    const directed = writeMigrations(
      test.dir,
      { '001_schema.sql': SCHEMA, '002_rebuild_accounts.sql': REBUILD_ACCOUNTS.replace('-- migrate:up\n', '-- migrate:up\n-- migrate:disable-foreign-keys\n') },
      'directed',
    );
    const db = await openDatabase(test.url);
    try {
      await migrateUp(db, directorySource(plain), testSettings(), { to: 1 });
      await db.exec(
        "INSERT INTO accounts (id, name) VALUES (1, 'alpha'), (2, 'beta'); INSERT INTO fills (id, account_id, quantity) VALUES (10, 1, '0.5'), (11, 2, '12.25000000');",
      );

      // Without the directive, dropping a referenced table fails while foreign keys are on.
      await assert.rejects(migrateUp(db, directorySource(plain), testSettings()), (error: unknown) => {
        assert.ok(error instanceof MigrationFailedError);
        assert.match(error.message, /FOREIGN KEY constraint failed/);
        return true;
      });
      assert.deepEqual(await db.query("SELECT name FROM sqlite_master WHERE name LIKE 'accounts%' ORDER BY name"), [{ name: 'accounts' }]);

      const result = await migrateUp(db, directorySource(directed), testSettings());
      assert.deepEqual(
        result.applied.map((s) => s.version),
        [2],
      );
      assert.deepEqual(await db.query('PRAGMA foreign_keys'), [{ foreign_keys: 1 }], 'foreign keys are on again on this connection');
      assert.deepEqual(await db.query('SELECT id, name, venue FROM accounts ORDER BY id'), [
        { id: 1, name: 'alpha', venue: null },
        { id: 2, name: 'beta', venue: null },
      ]);
      assert.deepEqual(await db.query('SELECT id, account_id, quantity FROM fills ORDER BY id'), [
        { id: 10, account_id: 1, quantity: '0.5' },
        { id: 11, account_id: 2, quantity: '12.25000000' },
      ]);
      assert.deepEqual(await db.query('PRAGMA foreign_key_check'), []);
      // The reference now resolves to the rebuilt table, and is enforced.
      await assert.rejects(db.exec("INSERT INTO fills (id, account_id, quantity) VALUES (12, 3, '1')"), /FOREIGN KEY constraint failed/);
      assert.deepEqual(
        (await readHistory(db)).rows.map((r) => [r.version, r.success, r.errorMessage]),
        [
          [1, true, null],
          [2, true, null],
        ],
      );
    } finally {
      await db.close();
    }
  });

  it('a rebuild that leaves a dangling reference fails at PRAGMA foreign_key_check and rolls back', async () => {
    const folder = writeMigrations(test.dir, { '001_schema.sql': SCHEMA, '002_rebuild_fills.sql': DANGLING });
    const db = await openDatabase(test.url);
    try {
      await migrateUp(db, directorySource(folder), testSettings(), { to: 1 });
      await db.exec("INSERT INTO accounts (id, name) VALUES (1, 'alpha'); INSERT INTO fills (id, account_id, quantity) VALUES (10, 1, '0.5');");
      const schemaBefore = await db.query("SELECT name, sql FROM sqlite_master WHERE name <> 'schema_version' ORDER BY name");

      await assert.rejects(migrateUp(db, directorySource(folder), testSettings()), (error: unknown) => {
        assert.ok(error instanceof MigrationFailedError);
        assert.equal(error.exitCode, 1);
        assert.match(error.message, /PRAGMA foreign_key_check; returned 1 row\(s\): .*"table":"fills","rowid":99/);
        return true;
      });
      assert.deepEqual(
        await db.query("SELECT name, sql FROM sqlite_master WHERE name <> 'schema_version' ORDER BY name"),
        schemaBefore,
        'fills is as it was; fills_new is gone',
      );
      assert.deepEqual(await db.query('SELECT id, account_id, quantity FROM fills ORDER BY id'), [{ id: 10, account_id: 1, quantity: '0.5' }]);
      const rows = (await readHistory(db)).rows;
      assert.deepEqual(
        rows.map((r) => [r.version, r.success]),
        [
          [1, true],
          [2, false],
        ],
      );
      assert.match(rows[1]!.errorMessage ?? '', /foreign_key_check/);
      assert.deepEqual(await db.query('PRAGMA foreign_keys'), [{ foreign_keys: 1 }], 'foreign keys are on again on this connection');
      await assert.rejects(db.exec("INSERT INTO fills (id, account_id, quantity) VALUES (11, 404, '1')"), /FOREIGN KEY constraint failed/);
      // No transaction was left open: a new one begins.
      await db.transaction(async (tx) => tx.query('SELECT 1'));
    } finally {
      await db.close();
    }
  });
});
