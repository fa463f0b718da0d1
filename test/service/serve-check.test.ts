// Issue 12, Phase 6 as written (docs/runbooks/risk-state-v2.md Phase 6): the start-up lines, an
// optional log file (--log-file logs/daemon.log) and a smoke check (serve --check) to run after a migration.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/databases.ts';
import { reap } from '../helpers/processes.ts';
import { logLines, spawnDaemon, type ChildDaemon } from './daemon.ts';

describe('serve --check and --log-file', () => {
  it('after a migration: starts, verifies, asks /healthz, runs the sample queries, stops; the log file has the start-up lines of docs/runbooks/risk-state-v2.md Phase 6', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      const db = new DatabaseSync(join(test.dir, 'state.db'));
      db.exec(`INSERT INTO positions (id, account_id, contract_id, type, size, average_price, created_at) VALUES (1, 123, 'MNQ', 1, '2', '21000.25', '2025-10-22T14:30:00Z');
               INSERT INTO orders (id, account_id, contract_id, type, side, size, state, created_at) VALUES (10, 123, 'MNQ', 2, 'SELL', '2', 2, '2025-10-22T14:32:00Z');`);
      db.close();
      const logFile = join(test.dir, 'logs', 'daemon.log');
      const run = await cli('serve', '--check', '--db', test.url, '--log-file', logFile);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^ok {5}start-up: schema version 2 verified/m);
      assert.match(run.stderr, /^ok {5}healthz: 200 ok$/m);
      assert.match(run.stderr, /^ok {5}SELECT COUNT\(\*\) FROM positions: 1 rows$/m);
      const messages = logLines(readFileSync(logFile, 'utf8')).map((line) => line.msg);
      const phase6 = ['Database schema version: 2', 'Loaded 1 positions', 'Loaded 1 open orders', 'Daemon started successfully'];
      assert.deepEqual(
        messages.filter((msg) => phase6.includes(msg)),
        phase6,
      );
      assert.equal(messages.at(-1), 'Daemon stopped');
      assert.equal(statSync(logFile).mode & 0o777, 0o600);
    } finally {
      await test.cleanup();
    }
  });

  it('on a schema that does not match: exit 3 naming the fix, as serve would', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      const db = new DatabaseSync(join(test.dir, 'state.db'));
      db.exec('DROP INDEX idx_orders_state_account');
      db.close();
      const run = await cli('serve', '--check', '--db', test.url);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /Missing index: idx_orders_state_account.*run 'tradeledger migrate up --pack risk-state/);
    } finally {
      await test.cleanup();
    }
  });

  it('while the daemon runs: exit 3, another daemon serves the file', async () => {
    const test = await createTestDatabase('sqlite');
    let child: ChildDaemon | undefined;
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      child = await spawnDaemon(['--db', test.url], { cwd: test.dir });
      const run = await cli('serve', '--check', '--db', test.url);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, new RegExp(`another daemon \\(pid ${child.watched.child.pid} `));
    } finally {
      await reap(child?.watched);
      await test.cleanup();
    }
  });
});
