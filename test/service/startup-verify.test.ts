// Issue 12, item 2: the daemon verifies the schema at start-up, not only the version number. A
// file migrated by the specification's own SQL (no execution_time_ms), one with a dropped index,
// one whose optional table is enabled but missing: refused (exit 3) naming what is wrong and the
// command that fixes it, or repaired with auto_migrate. A schema error at run time turns /healthz to 503.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { isTradeledgerError } from '../../src/errors.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { cli } from '../helpers/cli.ts';
import { execSqlite as exec } from '../helpers/sqlite-file.ts';
import { createTestDatabase } from '../helpers/databases.ts';
import { post, startInProcess, TOKEN, type InProcessDaemon } from './daemon.ts';

const PACK_DIR = fileURLToPath(new URL('../../src/packs/risk-state/migrations/', import.meta.url));

/** A v1 file an older daemon made, then taken to "v2" by the specification's own SQL, as written (docs/runbooks/risk-state-v2.md Phase 1 and Phase 2). */
function specMigratedFile(file: string): void {
  exec(file, parseMigration('001_baseline.sql', readFileSync(join(PACK_DIR, '001_baseline.sql'), 'utf8')).up);
  exec(
    file,
    `BEGIN TRANSACTION;
     CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, description TEXT NOT NULL,
       migration_script TEXT, rollback_script TEXT, execution_time_ms INTEGER, success BOOLEAN NOT NULL DEFAULT 1, error_message TEXT);
     CREATE INDEX IF NOT EXISTS idx_schema_version_applied ON schema_version(applied_at DESC);
     INSERT INTO schema_version (version, applied_at, description, success) VALUES (1, datetime('now'), 'Baseline schema - 9 tables', 1);
     INSERT INTO schema_version (version, applied_at, description, success) VALUES (2, datetime('now'), 'Schema v2', 1);
     COMMIT;
     BEGIN TRANSACTION;
     CREATE INDEX IF NOT EXISTS idx_enforcement_log_success ON enforcement_log(success, timestamp DESC);
     CREATE INDEX IF NOT EXISTS idx_positions_updated ON positions(updated_at DESC);
     CREATE INDEX IF NOT EXISTS idx_orders_state_account ON orders(state, account_id);
     COMMIT;`,
  );
}

/** Starts a daemon in this process and expects a refusal; a daemon that starts anyway is stopped and fails the test. */
async function refusedStart(url: string, dir: string, yaml: string): Promise<{ exitCode: number; message: string }> {
  let daemon: InProcessDaemon | undefined;
  try {
    daemon = await startInProcess(url, dir, { yaml, env: { TRADELEDGER_ADMIN_TOKEN: TOKEN } });
  } catch (error) {
    assert.ok(isTradeledgerError(error), String(error));
    return { exitCode: error.exitCode, message: error.message };
  }
  await daemon.daemon.stop();
  assert.fail('the daemon started on a schema that does not match');
}

describe('serve verifies the schema at start-up, not the version number', () => {
  it("a file migrated by the specification's own SQL (no execution_time_ms): exit 3, names the column and 'migrate up'", async () => {
    const test = await createTestDatabase('sqlite');
    try {
      specMigratedFile(join(test.dir, 'state.db'));
      const refusal = await refusedStart(test.url, test.dir, 'serve:\n  port: 0\n');
      assert.equal(refusal.exitCode, 3);
      assert.match(refusal.message, /is at schema version 2 but does not match pack risk-state: .*Missing column: enforcement_log\.execution_time_ms/);
      assert.match(refusal.message, new RegExp(`run 'tradeledger migrate up --pack risk-state --db ${test.url}'`));
      // And the command it names fixes it.
      const fixed = await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url);
      assert.equal(fixed.code, 0, fixed.stderr);
      const daemon = await startInProcess(test.url, test.dir, { env: { TRADELEDGER_ADMIN_TOKEN: TOKEN } });
      try {
        const logged = await post(`${daemon.base}/internal/enforcement`, { account_id: 1, rule_id: 'RULE-004', action: 'set_lockout', reason: 'x' });
        assert.equal(logged.status, 201);
      } finally {
        await daemon.daemon.stop();
      }
    } finally {
      await test.cleanup();
    }
  });

  it('a dropped v2 index: exit 3 naming it', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      exec(join(test.dir, 'state.db'), 'DROP INDEX idx_positions_updated');
      const refusal = await refusedStart(test.url, test.dir, 'serve:\n  port: 0\n');
      assert.equal(refusal.exitCode, 3);
      assert.match(refusal.message, /Missing index: idx_positions_updated.*create the missing index idx_positions_updated/);
    } finally {
      await test.cleanup();
    }
  });

  it('the optional table enabled but missing: exit 3 naming it', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      const refusal = await refusedStart(test.url, test.dir, 'serve:\n  port: 0\ndatabase:\n  track_unrealized_pnl: true\n');
      assert.equal(refusal.exitCode, 3);
      assert.match(refusal.message, /Missing daily_unrealized_pnl table \(enabled in config\)/);
    } finally {
      await test.cleanup();
    }
  });

  it('with auto_migrate the daemon repairs it (recorded, after a backup) and starts', async () => {
    const test = await createTestDatabase('sqlite');
    const file = join(test.dir, 'state.db');
    try {
      specMigratedFile(file);
      const daemon = await startInProcess(test.url, test.dir, {
        yaml: 'serve:\n  port: 0\ndatabase:\n  schema:\n    auto_migrate: true\n',
        env: { TRADELEDGER_ADMIN_TOKEN: TOKEN },
      });
      try {
        assert.ok(daemon.lines().some((line) => line.msg.startsWith('The schema lacks what version 2 declares: repairing')));
        const logged = await post(`${daemon.base}/internal/enforcement`, { account_id: 1, rule_id: 'RULE-004', action: 'set_lockout', reason: 'x' });
        assert.equal(logged.status, 201);
      } finally {
        await daemon.daemon.stop();
      }
      assert.equal(readdirSync(join(test.dir, 'backups')).filter((name) => !name.startsWith('.')).length, 1, 'a backup was taken before the repair');
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        assert.deepEqual(
          db
            .prepare('SELECT description FROM schema_repairs')
            .all()
            .map((row) => row['description']),
          // docs/runbooks/risk-state-v2.md DB-SCHEMA-003
          ['add enforcement_log.execution_time_ms (DB-SCHEMA-003)'],
        );
      } finally {
        db.close();
      }
    } finally {
      await test.cleanup();
    }
  });
});

describe('a schema error at run time turns /healthz to 503', () => {
  it('enforcement on a file whose execution_time_ms went away: 503 with the reason, and /healthz says so', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      const daemon = await startInProcess(test.url, test.dir, { env: { TRADELEDGER_ADMIN_TOKEN: TOKEN } });
      try {
        assert.equal((await fetch(`${daemon.base}/healthz`)).status, 200);
        // Something outside tradeledger changes the file under the daemon (main's own migrate down did this).
        exec(join(test.dir, 'state.db'), 'ALTER TABLE enforcement_log DROP COLUMN execution_time_ms');
        const failed = await post(`${daemon.base}/internal/enforcement`, { account_id: 1, rule_id: 'RULE-004', action: 'set_lockout', reason: 'x' });
        assert.equal(failed.status, 503);
        const health = await fetch(`${daemon.base}/healthz`);
        assert.equal(health.status, 503);
        const body = (await health.json()) as { status: string; reason: string };
        assert.equal(body.status, 'schema_mismatch');
        assert.match(body.reason, /execution_time_ms/);
      } finally {
        await daemon.daemon.stop();
      }
    } finally {
      await test.cleanup();
    }
  });

  it('clears once the route that met the error succeeds again (the column put back by hand), and comes back if it fails again', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      const daemon = await startInProcess(test.url, test.dir, { env: { TRADELEDGER_ADMIN_TOKEN: TOKEN } });
      const file = join(test.dir, 'state.db');
      const enforce = () => post(`${daemon.base}/internal/enforcement`, { account_id: 1, rule_id: 'RULE-004', action: 'set_lockout', reason: 'x' });
      try {
        exec(file, 'ALTER TABLE enforcement_log DROP COLUMN execution_time_ms');
        assert.equal((await enforce()).status, 503);
        assert.equal((await fetch(`${daemon.base}/healthz`)).status, 503);
        // The daemon lock keeps migrate out, but a DBA can put the column back while the daemon runs.
        exec(file, 'ALTER TABLE enforcement_log ADD COLUMN execution_time_ms INTEGER');
        assert.equal((await enforce()).status, 201);
        const health = await fetch(`${daemon.base}/healthz`);
        assert.equal(health.status, 200);
        assert.equal(((await health.json()) as { status: string }).status, 'ok');
        exec(file, 'ALTER TABLE enforcement_log DROP COLUMN execution_time_ms');
        assert.equal((await enforce()).status, 503);
        assert.equal((await fetch(`${daemon.base}/healthz`)).status, 503);
      } finally {
        await daemon.daemon.stop();
      }
    } finally {
      await test.cleanup();
    }
  });
});
