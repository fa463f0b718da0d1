// Issue 12, items 5 and 6: a backup is written under a temporary name and renamed only after its
// integrity check, so no partial file carries an official name; a failure removes it and says how
// much space the copy needs; restore of a damaged backup is a clear error; backups and restored
// files keep the state file's mode; files and PGlite directories tradeledger creates are private.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../src/db/open.ts';
import { backupBeforeMigration, fileTimestamp } from '../../src/migrate/backup.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, scratchDir, type TestDatabase } from '../helpers/databases.ts';

const SETTINGS = { directory: null, retentionDays: 30, maxBackups: 10 } as const;

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** A SQLite file with a table and an index, then one of the index's pages overwritten: the online backup copies it, integrity_check does not pass it. */
function damagedDatabase(file: string): void {
  const db = new DatabaseSync(file);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v);');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.exec('BEGIN');
  for (let i = 0; i < 2000; i++) insert.run(`value ${i} ${'x'.repeat(40)}`);
  db.exec('COMMIT');
  const root = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 't_v'").get() as { rootpage: number }).rootpage;
  const pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
  db.close();
  const bytes = readFileSync(file);
  bytes.fill(0x5a, (root - 1) * pageSize + 8, root * pageSize);
  writeFileSync(file, bytes);
}

function officialNames(dir: string): string[] {
  return readdirSync(dir).filter((name) => /_pre_v\d+_\d{8}_\d{6}/.test(name) && !name.startsWith('.'));
}

describe('backups are never left half-made under an official name', () => {
  let test: TestDatabase;
  let file: string;
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
    file = join(test.dir, 'state.db');
  });
  afterEach(() => test.cleanup());

  it('a copy that fails its integrity check is removed; nothing with an official name stays', async () => {
    damagedDatabase(file);
    await assert.rejects(backupBeforeMigration(file, 2, SETTINGS), (error: Error) => {
      assert.match(error.message, /failed PRAGMA integrity_check .*the partial file was removed and nothing was migrated/);
      return true;
    });
    assert.deepEqual(readdirSync(join(test.dir, 'backups')), [], 'no backup, no partial file');
  });

  it('a copy that cannot be written is removed and the error says how much space it needs', async () => {
    const db = new DatabaseSync(file);
    db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x');");
    db.close();
    const now = new Date('2026-11-30T12:00:00Z');
    const backups = join(test.dir, 'backups');
    // Something in the way of the temporary file stands in for a disk that is full.
    mkdirSync(join(backups, `.state_pre_v2_${fileTimestamp(now)}.db.partial`), { recursive: true });
    await assert.rejects(backupBeforeMigration(file, 2, SETTINGS, now), (error: Error) => {
      assert.match(
        error.message,
        /backup of .*state\.db to .*backups failed \(.*\): it needs about 0\.0 MB, the disk has [\d.]+ MB free; the partial file was removed/,
      );
      return true;
    });
    assert.deepEqual(officialNames(backups), []);
  });

  it('a partial file left by a killed run is removed by the next backup and never counted', async () => {
    assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url, '--to', '1')).code, 0);
    const backups = join(test.dir, 'backups');
    const leftover = join(backups, '.state_pre_v2_20200101_000000.db.partial');
    writeFileSync(leftover, 'half a database');
    const run = await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!existsSync(leftover));
    assert.equal(officialNames(backups).length, 2);
  });

  it('restore of a damaged or incomplete backup is a one-line error and changes nothing', async () => {
    assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
    const bad = join(test.dir, 'backups', 'state_pre_v2_20200101_000000.db');
    writeFileSync(bad, 'SQLite format 3\u0000 and then the disk was full');
    const before = readFileSync(file);
    const run = await cli('migrate', 'restore', bad, '--db', test.url);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /^tradeledger: backup '.*' fails PRAGMA integrity_check \(.*\): it is damaged or incomplete; nothing was changed — restore another backup\n$/,
    );
    assert.deepEqual(readFileSync(file), before);
  });

  it('restore whose copy cannot be written leaves the database where it was (not moved aside with nothing in its place)', async () => {
    const up = await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url, '--json');
    assert.equal(up.code, 0, up.stderr);
    const backup = (JSON.parse(up.stdout) as { backup: string }).backup;
    const before = readFileSync(file);
    // Something in the way of the restore's temporary copy stands in for a disk that is full.
    mkdirSync(`${file}.restoring`);
    const run = await cli('migrate', 'restore', backup, '--db', test.url);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^tradeledger: restore of .*state\.db from .* failed \(.*\): nothing was changed — .*\n$/);
    assert.deepEqual(readFileSync(file), before, 'the database is still in place, unchanged');
    assert.deepEqual(
      readdirSync(test.dir).filter((name) => name.includes('.failed_v')),
      [],
    );
  });
});

describe('private by default', () => {
  it('a SQLite file migrate up creates is 0600; its backups and a restored file keep the state file mode', async () => {
    const test = await createTestDatabase('sqlite');
    const file = join(test.dir, 'state.db');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url, '--to', '1')).code, 0);
      assert.equal(mode(file), 0o600, 'created private');
      const run = await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url, '--json');
      const backup = JSON.parse(run.stdout).backup as string;
      assert.equal(mode(backup), 0o600, 'the backup is as private as the state file');
      assert.equal(mode(join(test.dir, 'backups')), 0o700);
      chmodSync(backup, 0o644);
      const restored = await cli('migrate', 'restore', backup, '--db', test.url);
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(mode(file), 0o600, 'the restored file keeps the mode of the file it replaced');
    } finally {
      await test.cleanup();
    }
  });

  it('a PGlite data directory tradeledger creates is 0700, its files 0600', async () => {
    const dir = join(scratchDir('pglite-mode-'), 'data');
    const db = await openDatabase(`pglite:${dir}`);
    await db.close();
    assert.equal(mode(dir), 0o700);
    const loose: string[] = [];
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      const path = join(entry.parentPath, entry.name);
      if (entry.isFile() && (mode(path) & 0o077) !== 0) loose.push(`${path} ${mode(path).toString(8)}`);
      if (entry.isDirectory() && (mode(path) & 0o077) !== 0) loose.push(`${path} ${mode(path).toString(8)}`);
    }
    assert.deepEqual(loose.slice(0, 5), [], 'nothing inside is readable by others');
  });
});
