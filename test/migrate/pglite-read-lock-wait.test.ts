// Read-only commands on PGlite (status, plan, history, verify, dump) take the data directory's lock
// like every opener: they take --lock-wait (and database.migration.lock_wait), which their refusal
// tells the user to raise, instead of refusing at once and naming a flag they do not have.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/databases.ts';
import { PORTABLE_MIGRATIONS, writeMigrations } from '../helpers/migrations.ts';

const DAEMON_LOCK = fileURLToPath(new URL('../../src/db/daemon-lock.ts', import.meta.url));

/** Another process holding the directory's lock as a running migration does, until its stdin closes. */
async function holdLock(dir: string) {
  const script = `import { guardAgainstDaemon } from ${JSON.stringify(DAEMON_LOCK)};
const lock = await guardAgainstDaemon(${JSON.stringify(dir)}, 'held', 0);
process.stdout.write('held\\n');
process.stdin.resume();
process.stdin.on('end', () => { lock.release(); process.exit(0); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return {
    release: async () => {
      child.stdin!.end();
      await once(child, 'exit');
    },
  };
}

describe('read-only commands on PGlite while a migration holds the directory', () => {
  it('refuse naming --lock-wait, which they take', async () => {
    const test = await createTestDatabase('pglite');
    const holder = { release: async () => {} };
    try {
      const dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
      assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--allow-unsafe')).code, 0);
      const held = await holdLock(test.url.slice('pglite:'.length));
      holder.release = held.release;
      for (const command of [['status', '--dir', dir], ['plan', '--dir', dir], ['verify', '--dir', dir], ['history'], ['dump']]) {
        const run = await cli('migrate', ...command, '--db', test.url, '--lock-wait', '0');
        assert.equal(run.code, 3, `${command[0]}: ${run.stderr}`);
        assert.match(run.stderr, /another process holds the .* lock .* raise --lock-wait\n$/);
      }
    } finally {
      await holder.release();
      await test.cleanup();
    }
  });
});
