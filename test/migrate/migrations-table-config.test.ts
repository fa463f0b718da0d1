// The history table's name from tradeledger.yaml (database.migrations_table) and TRADELEDGER_MIGRATIONS_TABLE,
// not only --migrations-table: migrate up, status, history and the daemon's start-up check use the same table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/open.ts';
import { engineSettings } from '../../src/migrate/settings.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/databases.ts';
import { PORTABLE_MIGRATIONS, writeMigrations } from '../helpers/migrations.ts';
import { BOT_LEDGER_LATEST, startInProcess } from '../service/daemon.ts';

async function tables(url: string): Promise<string[]> {
  const db = await openDatabase(url);
  try {
    const rows = await db.query<{ name: string }>(
      db.dialect === 'sqlite'
        ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
    );
    return rows.map((row) => row.name);
  } finally {
    await db.close();
  }
}

describe('database.migrations_table', () => {
  it('is where migrate up, status and history keep the history, as --migrations-table', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
      const file = join(test.dir, 'tradeledger.yaml');
      writeFileSync(file, `database:\n  url: ${test.url}\n  migrations_table: app_history\n`);
      const up = await cli('migrate', 'up', '--dir', dir, '--config', file, '--no-backup');
      assert.equal(up.code, 0, up.stderr);
      const names = await tables(test.url);
      assert.ok(names.includes('app_history'), names.join(', '));
      assert.ok(!names.includes('schema_version'), names.join(', '));
      const status = await cli('migrate', 'status', '--dir', dir, '--config', file, '--json');
      assert.equal(status.code, 0, status.stderr);
      assert.equal((JSON.parse(status.stdout) as { pending: unknown[] }).pending.length, 0);
      const history = await cli('migrate', 'history', '--config', file, '--json');
      assert.equal(history.code, 0, history.stderr);
      assert.equal((JSON.parse(history.stdout) as unknown[]).length, Object.keys(PORTABLE_MIGRATIONS).length);
      // The flag still wins over the file.
      const flagged = await cli('migrate', 'history', '--config', file, '--migrations-table', 'schema_version', '--json');
      assert.equal(flagged.code, 0, flagged.stderr);
      assert.equal((JSON.parse(flagged.stdout) as unknown[]).length, 0);
    } finally {
      await test.cleanup();
    }
  });

  it('comes from TRADELEDGER_MIGRATIONS_TABLE too, and a bad name is a configuration error naming the key', () => {
    const { config } = loadConfig({ env: { TRADELEDGER_MIGRATIONS_TABLE: 'app.history' } });
    assert.equal(engineSettings(config).plan.historyTable, 'app.history');
    assert.throws(
      () => loadConfig({ env: { TRADELEDGER_MIGRATIONS_TABLE: 'app history' } }),
      (error: Error) => {
        assert.match(error.message, /migrations_table/);
        return true;
      },
    );
  });

  it('is the table the daemon checks at start-up', async () => {
    const test = await createTestDatabase('postgres');
    try {
      const up = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url, '--migrations-table', 'tl_history');
      assert.equal(up.code, 0, up.stderr);
      const running = await startInProcess(test.url, test.dir, { yaml: 'database:\n  migrations_table: tl_history\nserve:\n  port: 0\n  interval: 1h\n' });
      try {
        const health = (await (await fetch(`${running.base}/healthz`)).json()) as { status: string; database: { schemaVersion: number | null } };
        assert.equal(health.status, 'ok');
        assert.equal(health.database.schemaVersion, BOT_LEDGER_LATEST);
      } finally {
        await running.daemon.stop();
      }
    } finally {
      await test.cleanup();
    }
  });
});
