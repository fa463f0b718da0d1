// Migration folders and history as an adversarial operator meets them (issue 11, input hardening):
// an entry named like a migration that is a folder, a dangling link or not a regular file is a
// usage error naming it (exit 2), never a migration silently left out or a raw stack; and a role
// that may not read schema_version gets an error from `migrate status`, not "version 0".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cli } from '../helpers/cli.ts';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { PORTABLE_MIGRATIONS, writeMigrations } from '../helpers/migrations.ts';

describe('entries named like migrations that cannot be read', () => {
  let test: TestDatabase;
  before(async () => {
    test = await createTestDatabase('sqlite');
  });
  after(async () => {
    await test?.cleanup();
  });

  for (const [label, make, said] of [
    ['a folder', (dir: string) => mkdirSync(join(dir, '004_folder.sql')), /'004_folder\.sql' in migration folder .* is a folder, not a file/],
    ['a dangling link', (dir: string) => symlinkSync(join(dir, 'gone.sql.txt'), join(dir, '004_link.sql')), /'004_link\.sql' .* is a link that leads nowhere/],
    ['a named pipe', (dir: string) => execFileSync('mkfifo', [join(dir, '004_pipe.sql')]), /'004_pipe\.sql' .* is not a regular file/],
  ] as const) {
    it(`${label}: exit 2, one line naming it, nothing written`, async () => {
      const dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS, `with-${label.replace(/\W+/g, '-')}`);
      make(dir);
      for (const command of ['status', 'up']) {
        const run = await cli('migrate', command, '--db', test.url, '--dir', dir);
        assert.equal(run.code, 2, `${command}: ${run.stdout}${run.stderr}`);
        assert.match(run.stderr, said);
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      }
      const history = await cli('migrate', 'history', '--db', test.url, '--json');
      assert.deepEqual(JSON.parse(history.stdout || '[]'), [], 'nothing was applied');
    });
  }
});

describe('migrate status by a role that may not read schema_version (PostgreSQL)', () => {
  const role = `tl_noread_${randomBytes(4).toString('hex')}`;
  let test: TestDatabase;
  let dir: string;
  before(async () => {
    test = await createTestDatabase('postgres');
    dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
    const up = await cli('migrate', 'up', '--db', test.url, '--dir', dir);
    assert.equal(up.code, 0, up.stderr);
    await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD 'noread'`);
  });
  after(async () => {
    await test?.cleanup();
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  it('fails naming the permission, instead of reporting version 0 with everything pending', async () => {
    const url = new URL(test.url);
    url.username = role;
    url.password = 'noread';
    const status = await cli('migrate', 'status', '--db', url.toString(), '--dir', dir);
    assert.notEqual(status.code, 0, status.stdout);
    assert.doesNotMatch(status.stdout, /version 0/);
    assert.match(status.stderr, /permission denied for table schema_version/);
  });
});
