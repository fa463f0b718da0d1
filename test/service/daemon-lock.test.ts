// Issue 12, items 1, 7 and 8: the daemon holds a lock on the database it serves, so migrate up,
// down, stamp and restore refuse (exit 3, the daemon's pid, "stop the daemon first"); locks are
// held through an open file, so a stale lock file (pid 1, empty, garbage, a kill -9) blocks no one;
// --lock-wait applies on PGlite; read-only commands never create a database.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, scratchDir } from '../helpers/databases.ts';
import { reap } from '../helpers/processes.ts';
import { post, spawnDaemon, TOKEN, type ChildDaemon } from './daemon.ts';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line on stderr: ${stderr}`);
  return lines[0]!;
}

describe('a running daemon keeps migrate up, down, stamp and restore off its SQLite file (exit 3)', () => {
  it('each refuses naming the pid and "stop the daemon first"; the file is untouched and enforcement still answers 201', async () => {
    const test = await createTestDatabase('sqlite');
    const file = join(test.dir, 'state.db');
    let child: ChildDaemon | undefined;
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--to', '1', '--db', test.url)).code, 0);
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url, '--json')).code, 0);
      const backup = readdirSync(join(test.dir, 'backups')).find((name) => name.startsWith('state_pre_v2_'))!;
      child = await spawnDaemon(['--db', test.url], { cwd: test.dir, env: { TRADELEDGER_ADMIN_TOKEN: TOKEN } });
      const pid = child.watched.child.pid!;
      const before = sha256(file);
      const attempts: string[][] = [
        ['migrate', 'up', '--pack', 'risk-state', '--db', test.url],
        ['migrate', 'down', '--pack', 'risk-state', '--db', test.url, '--to', '1', '--allow-data-loss'],
        ['migrate', 'down', '--pack', 'risk-state', '--db', test.url, '--to', '0', '--allow-data-loss'],
        ['migrate', 'stamp', '1', '--pack', 'risk-state', '--db', test.url],
        ['migrate', 'restore', join(test.dir, 'backups', backup), '--db', test.url],
      ];
      for (const argv of attempts) {
        const run = await cli(...argv);
        assert.equal(run.code, 3, `${argv.join(' ')}: ${run.stderr}`);
        const line = oneLine(run.stderr);
        assert.match(line, new RegExp(`pid ${pid} on ${hostname()}`), line);
        assert.match(line, /stop the daemon first/, line);
      }
      assert.equal(sha256(file), before, 'nothing was written to the served file');
      assert.ok(existsSync(file), 'restore did not rename it away');
      const lock = await post(`${child.base}/internal/enforcement`, { account_id: 7, rule_id: 'RULE-004', action: 'set_lockout', reason: 'x' });
      assert.equal(lock.status, 201, await lock.text());
      assert.equal(((await (await fetch(`${child.base}/healthz`)).json()) as { status: string }).status, 'ok');
    } finally {
      await reap(child?.watched);
      await test.cleanup();
    }
  });

  it('a daemon killed with SIGKILL leaves its lock files behind, and they block nothing', async () => {
    const test = await createTestDatabase('sqlite');
    let child: ChildDaemon | undefined;
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      child = await spawnDaemon(['--db', test.url], { cwd: test.dir });
      child.watched.child.kill('SIGKILL');
      await child.watched.exited;
      assert.ok(
        readdirSync(test.dir).some((name) => name.includes('tradeledger-daemon')),
        'the lock file is still there',
      );
      const run = await cli('migrate', 'down', '--pack', 'risk-state', '--db', test.url, '--to', '1', '--lock-wait', '0s');
      assert.equal(run.code, 0, run.stderr);
    } finally {
      await reap(child?.watched);
      await test.cleanup();
    }
  });
});

describe('a running daemon keeps migrate off its PGlite directory (exit 3)', () => {
  it('migrate down refuses at once naming the pid, whatever --lock-wait says', async () => {
    const test = await createTestDatabase('pglite');
    let child: ChildDaemon | undefined;
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url)).code, 0);
      child = await spawnDaemon(['--db', test.url], { cwd: test.dir });
      const run = await cli('migrate', 'down', '--pack', 'bot-ledger', '--db', test.url, '--lock-wait', '10m');
      assert.equal(run.code, 3, run.stderr);
      assert.match(oneLine(run.stderr), new RegExp(`pid ${child.watched.child.pid} .*stop the daemon first`));
    } finally {
      await reap(child?.watched);
      await test.cleanup();
    }
  });
});

describe('stale and broken lock files block no one', () => {
  const stale: Record<string, string> = {
    'naming pid 1 on this host (a restarted container)': JSON.stringify({ pid: 1, host: hostname(), since: '2026-01-01T00:00:00.000Z' }),
    empty: '',
    'garbage (half-written)': '{"pid": 12',
  };
  for (const [what, content] of Object.entries(stale)) {
    it(`SQLite: a lock file ${what}`, async () => {
      const test = await createTestDatabase('sqlite');
      try {
        writeFileSync(join(test.dir, 'state.db.tradeledger-lock'), content);
        writeFileSync(join(test.dir, 'state.db.tradeledger-daemon'), content);
        const run = await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url, '--lock-wait', '1s');
        assert.equal(run.code, 0, run.stderr);
      } finally {
        await test.cleanup();
      }
    });
  }

  it('PGlite: a directory lock file naming pid 1 on this host', async () => {
    const test = await createTestDatabase('pglite');
    try {
      writeFileSync(`${test.url.slice('pglite:'.length)}.lock`, stale['naming pid 1 on this host (a restarted container)']!);
      const run = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url, '--to', '1', '--lock-wait', '1s');
      assert.equal(run.code, 0, run.stderr);
    } finally {
      await test.cleanup();
    }
  });
});

describe('--lock-wait applies on PGlite', () => {
  it('migrate up waits for another holder of the data directory instead of failing at once', async () => {
    const test = await createTestDatabase('pglite');
    try {
      const holder = await openDatabase(test.url);
      let released = false;
      // Let go once the runner is surely waiting; on main it has already failed by then.
      const timer = setTimeout(() => {
        released = true;
        void holder.close();
      }, 1_500);
      const run = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url, '--to', '1', '--lock-wait', '2m');
      clearTimeout(timer);
      if (!released) await holder.close();
      assert.equal(run.code, 0, run.stderr);
      assert.ok(released, 'the runner finished only after the holder let go');
    } finally {
      await test.cleanup();
    }
  });

  it('and without it the message says what to raise', async () => {
    const test = await createTestDatabase('pglite');
    const holder = await openDatabase(test.url);
    try {
      const run = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url, '--to', '1', '--lock-wait', '200ms');
      assert.equal(run.code, 3, run.stderr);
      assert.match(oneLine(run.stderr), new RegExp(`pid ${process.pid} .*raise --lock-wait`));
    } finally {
      await holder.close();
      await test.cleanup();
    }
  });
});

describe('read-only commands never create a database (exit 2)', () => {
  const sqliteCommands: string[][] = [
    ['migrate', 'status', '--pack', 'risk-state'],
    ['migrate', 'history'],
    ['migrate', 'verify', '--pack', 'risk-state'],
    ['migrate', 'plan', '--pack', 'risk-state'],
    ['lifecycle', 'report'],
    ['recon', 'detect'],
    ['recon', 'audit'],
  ];
  for (const argv of sqliteCommands) {
    it(`${argv.join(' ')} on a SQLite file that is not there`, async () => {
      const dir = scratchDir('typo-');
      const file = join(dir, 'sub', 'typo.db');
      const run = await cli(...argv, '--db', `sqlite:${file}`);
      assert.equal(run.code, 2, run.stderr);
      assert.match(oneLine(run.stderr), new RegExp(`no database at sqlite:${file} .*; migrate up creates it`));
      assert.deepEqual(readdirSync(dir), [], 'no file and no folder was made');
    });
  }

  for (const argv of [
    ['migrate', 'history'],
    ['migrate', 'status', '--pack', 'bot-ledger'],
    ['recon', 'audit'],
  ]) {
    it(`${argv.join(' ')} on a PGlite directory that is not there`, async () => {
      const dir = scratchDir('typo-');
      const target = join(dir, 'typo-dir');
      const run = await cli(...argv, '--db', `pglite:${target}`);
      assert.equal(run.code, 2, run.stderr);
      assert.match(oneLine(run.stderr), /no database at pglite:.*typo-dir .*; migrate up creates it/);
      assert.deepEqual(readdirSync(dir), [], 'no directory (and no lock file) was made');
    });
  }

  it('an existing file is read as before', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      const copy = join(test.dir, 'copy.db');
      copyFileSync(join(test.dir, 'state.db'), copy);
      const run = await cli('migrate', 'status', '--pack', 'risk-state', '--db', `sqlite:${copy}`);
      assert.equal(run.code, 0, run.stderr);
      const db = new DatabaseSync(copy, { readOnly: true });
      db.close();
    } finally {
      await test.cleanup();
    }
  });
});
