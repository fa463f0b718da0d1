// Issue 16: a daemon that upgrades a state file at start-up (database.schema.auto_migrate) verified
// it twice, each time with PRAGMA integrity_check over the whole file: migrateUp's own verify
// (database.migration.verify_after), then the start-up check of the same things. One is enough; with
// verify_after off, the start-up check still runs.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/open.ts';
import type { TracedStatement } from '../../src/db/port.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { packSource } from '../../src/packs/registry.ts';
import { daemonLogger } from '../../src/service/logger.ts';
import { ensureSchema } from '../../src/service/schema-check.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { execSqlite } from '../helpers/sqlite-file.ts';

const BASELINE = fileURLToPath(new URL('../../src/packs/risk-state/migrations/001_baseline.sql', import.meta.url));

const integrityChecks = (trace: readonly TracedStatement[]) => trace.filter((statement) => /PRAGMA\s+integrity_check/i.test(statement.sql)).length;

async function startUpCheck(url: string, env: NodeJS.ProcessEnv) {
  const trace: TracedStatement[] = [];
  const db = await openDatabase(url, { trace: (statement) => trace.push(statement) });
  try {
    const check = await ensureSchema(db, await packSource('risk-state'), 'risk-state', loadConfig({ env }).config, daemonLogger(undefined, 'silent'));
    return { check, integrityChecks: integrityChecks(trace) };
  } finally {
    await db.close();
  }
}

describe('serve with auto_migrate verifies an upgraded file once', () => {
  let test: TestDatabase;
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
    // An older daemon's v1 file: no schema_version.
    execSqlite(test.url.slice('sqlite:'.length), parseMigration('001_baseline.sql', readFileSync(BASELINE, 'utf8')).up);
  });
  afterEach(() => test.cleanup());

  it('migrates v1 → v2 and reads the file with PRAGMA integrity_check once (migrateUp verify)', async () => {
    const { check, integrityChecks } = await startUpCheck(test.url, { TRADELEDGER_AUTO_MIGRATE: 'true' });
    assert.equal(check.version, 2);
    assert.equal(check.migrated?.verify?.ok, true);
    assert.equal(integrityChecks, 1);
  });

  it('with verify_after off, the start-up check verifies the upgraded file itself', async () => {
    const config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, 'database:\n  migration:\n    verify_after: false\n');
    const { check, integrityChecks } = await startUpCheck(test.url, { TRADELEDGER_AUTO_MIGRATE: 'true', TRADELEDGER_CONFIG: config });
    assert.equal(check.version, 2);
    assert.equal(check.migrated?.verify, null);
    assert.equal(integrityChecks, 1);
  });
});
