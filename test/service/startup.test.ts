// The daemon's start-up schema check: refusals (behind without auto_migrate, drifted, ahead) with
// exit 3 and one line naming what to run; auto-migration when allowed (SQLite risk-state with a
// backup, PGlite bot-ledger); the phase 6 log lines; start-up time; the timed enforcement log.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../src/db/open.ts';
import { cli, runBinary } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/databases.ts';
import { reap } from '../helpers/processes.ts';
import { BOT_LEDGER_LATEST, post, spawnDaemon, TOKEN, type ChildDaemon } from './daemon.ts';

const BEHIND = BOT_LEDGER_LATEST - 1;

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line on stderr: ${stderr}`);
  return lines[0]!;
}

async function stopped(child: ChildDaemon): Promise<void> {
  child.watched.child.kill('SIGTERM');
  const end = await child.watched.exited;
  assert.equal(end.code, 0, child.watched.stderr());
  assert.equal(child.lines().at(-1)?.msg, 'Daemon stopped');
}

describe('tradeledger serve refuses to start on a schema it does not match (exit 3)', () => {
  it('behind without auto_migrate (PGlite bot-ledger one version short): names migrate up --pack bot-ledger', async () => {
    const test = await createTestDatabase('pglite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--to', String(BEHIND), '--db', test.url)).code, 0);
      const run = await cli('serve', '--db', test.url, '--port', '0');
      assert.equal(run.code, 3);
      assert.equal(
        oneLine(run.stderr),
        `tradeledger: ${test.url} is at schema version ${BEHIND}, behind pack bot-ledger version ${BOT_LEDGER_LATEST}: run 'tradeledger migrate up --pack bot-ledger --db ${test.url}', or set database.schema.auto_migrate: true (TRADELEDGER_AUTO_MIGRATE=true) to migrate at start-up`,
      );
      assert.doesNotMatch(run.stdout, /Daemon started/);
      const db = await openDatabase(test.url);
      try {
        // version is BIGINT, which the PostgreSQL adapters return as text.
        assert.equal(Number((await db.query<{ v: string }>('SELECT max(version) AS v FROM schema_version'))[0]!.v), BEHIND, 'nothing was migrated');
      } finally {
        await db.close();
      }
    } finally {
      await test.cleanup();
    }
  });

  it('behind as a real process (an empty SQLite file serves risk-state): exit 3, one line, nothing created', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      const run = await runBinary(['serve', '--db', test.url, '--port', '0'], { cwd: test.dir });
      assert.equal(run.code, 3, run.stderr);
      assert.match(oneLine(run.stderr), /is at schema version 0, behind pack risk-state version 2: run 'tradeledger migrate up --pack risk-state --db sqlite:/);
      assert.equal(run.stdout, '');
      assert.ok(!existsSync(join(test.dir, 'backups')));
    } finally {
      await test.cleanup();
    }
  });

  it('drifted: names migrate status', async () => {
    const test = await createTestDatabase('pglite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url)).code, 0);
      const db = await openDatabase(test.url);
      await db.query(`UPDATE schema_version SET checksum = 'edited' WHERE version = 4`);
      await db.close();
      const run = await cli('serve', '--db', test.url, '--port', '0');
      assert.equal(run.code, 3);
      assert.match(
        oneLine(run.stderr),
        /migration 004_create_trading_status\.sql of pack bot-ledger was edited after it was applied \(drift\).*run 'tradeledger migrate status --pack bot-ledger --db /,
      );
    } finally {
      await test.cleanup();
    }
  });

  it('ahead of database.schema.current_version: names migrate down --to', async () => {
    const test = await createTestDatabase('pglite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url)).code, 0);
      const config = join(test.dir, 'tradeledger.yaml');
      writeFileSync(config, `database:\n  schema:\n    current_version: ${BEHIND}\n    auto_migrate: true\n`);
      const run = await cli('serve', '--db', test.url, '--config', config, '--port', '0');
      assert.equal(run.code, 3);
      assert.match(
        oneLine(run.stderr),
        new RegExp(
          `is at schema version ${BOT_LEDGER_LATEST}, ahead of database.schema.current_version ${BEHIND}: run 'tradeledger migrate down --pack bot-ledger --db ${test.url} --to ${BEHIND}'`,
        ),
      );
    } finally {
      await test.cleanup();
    }
  });

  it('a port in use is a usage error naming the fix (exit 2), and the database is let go', async () => {
    const test = await createTestDatabase('pglite');
    const busy = createServer();
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url)).code, 0);
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      const port = (busy.address() as AddressInfo).port;
      const run = await cli('serve', '--db', test.url, '--port', String(port));
      assert.equal(run.code, 2);
      assert.equal(oneLine(run.stderr), `tradeledger: cannot listen on 127.0.0.1 port ${port} (EADDRINUSE): pick another with --port (0 picks a free one)`);
      assert.equal(
        (await cli('migrate', 'status', '--pack', 'bot-ledger', '--db', test.url)).code,
        0,
        'PGlite lets one process in at a time: the daemon let go of it',
      );
    } finally {
      busy.close();
      await test.cleanup();
    }
  });

  it('bad serve flags are usage errors (exit 2)', async () => {
    assert.equal((await cli('serve', '--port', '70000')).code, 2);
    assert.equal((await cli('serve', '--interval', '0s')).code, 2);
    const token = await runBinary(['serve', '--db', 'sqlite::memory:', '--port', '0'], { env: { TRADELEDGER_ADMIN_TOKEN: 'short' } });
    assert.equal(token.code, 2);
    assert.match(oneLine(token.stderr), /TRADELEDGER_ADMIN_TOKEN is 5 characters long: use at least 16/);
  });
});

describe('tradeledger serve migrates at start-up when database.schema.auto_migrate is true', () => {
  it('SQLite risk-state v1 → v2: backup, migrate, verify, phase 6 lines; enforcement actions logged with execution_time_ms', async (t) => {
    const test = await createTestDatabase('sqlite');
    const file = join(test.dir, 'state.db');
    let child: ChildDaemon | undefined;
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--to', '1', '--db', test.url, '--no-backup')).code, 0);
      const seed = new DatabaseSync(file);
      seed.exec(`INSERT INTO positions (id, account_id, contract_id, type, size, average_price, created_at) VALUES
                   (1, 123, 'CON.F.US.MNQ', 1, '2', '21000.25', '2025-10-22T14:30:00Z'), (2, 123, 'CON.F.US.ES', 2, '1', '5800.5', '2025-10-22T14:31:00Z');
                 INSERT INTO orders (id, account_id, contract_id, type, side, size, state, created_at) VALUES
                   (10, 123, 'CON.F.US.MNQ', 2, 'SELL', '2', 2, '2025-10-22T14:32:00Z'), (11, 123, 'CON.F.US.MNQ', 1, 'BUY', '1', 3, '2025-10-22T14:33:00Z');`);
      seed.close();

      child = await spawnDaemon(['--db', test.url], { cwd: test.dir, env: { TRADELEDGER_AUTO_MIGRATE: 'true', TRADELEDGER_ADMIN_TOKEN: TOKEN } });
      t.diagnostic(`SQLite start-up with a v1 → v2 migration: ${child.readyMs} ms from spawn to ready`);
      const messages = child.lines().map((line) => line.msg);
      const backupLine = child.lines().find((line) => line.msg.startsWith('Database migrated from version 1 to 2'))!;
      assert.ok(backupLine !== undefined, messages.join(' | '));
      const backups = readdirSync(join(test.dir, 'backups')).filter((name) => !name.startsWith('.'));
      assert.equal(backups.length, 1);
      assert.match(backups[0]!, /^state_pre_v2_\d{8}_\d{6}\.db$/);
      assert.equal(backupLine['backup'], join(test.dir, 'backups', backups[0]!));
      assert.deepEqual(backupLine['verified'], ['history', 'integrity_check', 'pack:risk-state checks']);
      const phase6 = ['Database schema version: 2', 'Loaded 2 positions', 'Loaded 1 open orders', 'Daemon started successfully'];
      assert.deepEqual(
        messages.filter((msg) => phase6.includes(msg)),
        phase6,
      );

      const health = (await (await fetch(`${child.base}/healthz`)).json()) as { database: { schemaVersion: number }; lastCycle: unknown };
      assert.equal(health.database.schemaVersion, 2);
      assert.equal(health.lastCycle, null, 'no reconciliation on a risk-state file');
      assert.equal((await fetch(`${child.base}/internal/trading/status`)).status, 404, 'trading status belongs to bot-ledger');

      assert.equal(
        (await post(`${child.base}/internal/enforcement`, { account_id: 123, rule_id: 'RULE-004', action: 'set_lockout', reason: 'x' }, {})).status,
        401,
      );
      const bad = await post(`${child.base}/internal/enforcement`, { account_id: 123, rule_id: 'RULE-004', action: 'close_all_positions', reason: 'x' });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { message: string }).message, /body\.action must be equal to one of the allowed values/);
      const badTime = await post(`${child.base}/internal/enforcement`, {
        account_id: 123,
        rule_id: 'RULE-004',
        action: 'set_lockout',
        reason: 'x',
        locked_until: 'tomorrow',
      });
      assert.equal(badTime.status, 400);
      assert.match(((await badTime.json()) as { message: string }).message, /locked_until must be an ISO-8601 time with a zone/);

      const lock = await post(`${child.base}/internal/enforcement`, {
        account_id: 123,
        rule_id: 'RULE-004',
        action: 'set_lockout',
        reason: 'Daily unrealized loss: -750.00',
        locked_until: '2025-10-22T21:00:00Z',
      });
      assert.equal(lock.status, 201);
      const logged = (await lock.json()) as { id: number; executionTimeMs: number; success: boolean; action: string };
      assert.equal(logged.success, true);
      assert.ok(Number.isInteger(logged.executionTimeMs) && logged.executionTimeMs >= 0);
      const clear = (await (
        await post(`${child.base}/internal/enforcement`, { account_id: 123, rule_id: 'RULE-004', action: 'clear_lockout', reason: 'operator reset' })
      ).json()) as { id: number };
      assert.ok(clear.id > logged.id);
      const metrics = await (await fetch(`${child.base}/metrics`)).text();
      assert.match(metrics, /^tradeledger_enforcement_actions_total\{action="set_lockout",success="true"\} 1$/m);
      await stopped(child);

      const db = new DatabaseSync(file, { readOnly: true });
      try {
        const rows = db.prepare('SELECT id, rule_id, action, success, details, execution_time_ms FROM enforcement_log ORDER BY id').all();
        assert.deepEqual(
          rows.map((row) => [row['id'], row['action'], row['success'], typeof row['execution_time_ms']]),
          [
            [logged.id, 'set_lockout', 1, 'number'],
            [clear.id, 'clear_lockout', 1, 'number'],
          ],
        );
        assert.equal(rows[0]!['execution_time_ms'], logged.executionTimeMs);
        assert.deepEqual(JSON.parse(String(rows[0]!['details'])), { locked_until: '2025-10-22T21:00:00.000Z' }, 'normalised to UTC with milliseconds');
        assert.deepEqual(
          { ...db.prepare('SELECT is_locked, rule_id, locked_until FROM lockouts WHERE account_id = 123').get() },
          { is_locked: 0, rule_id: 'RULE-004', locked_until: null },
        );
      } finally {
        db.close();
      }
    } finally {
      await reap(child?.watched);
      await test.cleanup();
    }
  });

  // How fast it starts is measured by `npm run bench` (daemon start-up), not asserted here.
  it('PGlite bot-ledger from empty: migrates to the latest version; then starts again with nothing to migrate', async (t) => {
    const test = await createTestDatabase('pglite');
    let child: ChildDaemon | undefined;
    try {
      child = await spawnDaemon(['--db', test.url], { cwd: test.dir, env: { TRADELEDGER_AUTO_MIGRATE: 'true' } });
      const migrated = child.lines().find((line) => line.msg === `Database migrated from version 0 to ${BOT_LEDGER_LATEST}`)!;
      assert.ok(
        migrated !== undefined,
        child
          .lines()
          .map((line) => line.msg)
          .join(' | '),
      );
      assert.equal(migrated['backup'], null, 'backups are for SQLite files');
      assert.deepEqual(migrated['verified'], ['history', 'pack:bot-ledger checks']);
      assert.equal(child.lines().filter((line) => line.msg.startsWith('Applied migration')).length, BOT_LEDGER_LATEST);
      assert.equal(
        ((await (await fetch(`${child.base}/healthz`)).json()) as { database: { schemaVersion: number } }).database.schemaVersion,
        BOT_LEDGER_LATEST,
      );
      await stopped(child);

      child = await spawnDaemon(['--db', test.url], { cwd: test.dir });
      const started = child.lines().find((line) => line.msg === 'Daemon started successfully')!;
      t.diagnostic(
        `PGlite start-up: ${child.readyMs} ms from spawn to ready; the daemon reports ${String(started['startupMs'])} ms in startDaemon, ${String(started['sinceProcessStartMs'])} ms since its process started`,
      );
      assert.ok(!child.lines().some((line) => line.msg.startsWith('Database migrated')), 'nothing to migrate the second time');
      await stopped(child);
    } finally {
      await reap(child?.watched);
      await test.cleanup();
    }
  });
});
