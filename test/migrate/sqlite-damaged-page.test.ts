// A state file with a damaged page made `PRAGMA integrity_check` itself throw "database disk image
// is malformed", so `migrate verify` printed a raw driver error instead of a failed check that names
// the damage and the way back (a backup).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/databases.ts';

const PAGE = 4096;

describe('migrate verify on a SQLite file with a damaged page', () => {
  it('fails the integrity_check (exit 1) naming the damage and migrate restore; other checks still report', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      const file = join(test.dir, 'state.db');
      const db = new DatabaseSync(file);
      const insert = db.prepare(
        `INSERT INTO trade_history (account_id, contract_id, timestamp, quantity, price) VALUES (?, 'MNQ', '2026-01-01T00:00:00Z', '1', '21000.25')`,
      );
      db.exec('BEGIN');
      for (let i = 0; i < 20_000; i++) insert.run(i % 50);
      db.exec('COMMIT');
      assert.equal(db.prepare('PRAGMA page_size').get()!['page_size'], PAGE);
      db.close();
      // Overwrite a page in the middle of the file (trade_history's rows or indexes, never page 1 or the schema).
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.alloc(PAGE, 0xff), 0, PAGE, Math.floor(statSync(file).size / PAGE / 2) * PAGE);
      closeSync(fd);
      const run = await cli('migrate', 'verify', '--pack', 'risk-state', '--db', test.url, '--json');
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
      assert.equal(report.ok, false);
      const integrity = report.checks.find((check) => check.name === 'integrity_check');
      assert.equal(integrity?.ok, false);
      assert.match(
        integrity?.detail ?? '',
        /^the file is damaged \(SQLITE_11: database disk image is malformed\): restore a backup \(tradeledger migrate restore\)/,
      );
      assert.equal(report.checks.find((check) => check.name === 'history')?.ok, true, 'the history was still read');
    } finally {
      await test.cleanup();
    }
  });
});
