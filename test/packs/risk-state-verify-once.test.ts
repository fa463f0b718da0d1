// Issue 16: the risk-state v1 → v2 upgrade of a big state file spent most of its time in
// PRAGMA integrity_check, run twice over the whole migrated file by one verify (tradeledger's own
// check, then the pack's check 6 of docs/runbooks/risk-state-v2.md Phase 4). One run now serves
// both, and still fails both when the file is damaged; `migrateUp`'s onPhase tells a caller (the
// benchmark) how long the backup, the migration and the verify took.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/open.ts';
import type { TracedStatement } from '../../src/db/port.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { engineSettings } from '../../src/migrate/settings.ts';
import { migrateUp, type UpPhase } from '../../src/migrate/up.ts';
import { verifyDatabase } from '../../src/migrate/verify.ts';
import { packSource } from '../../src/packs/registry.ts';
import { verifyRiskState } from '../../src/packs/risk-state/verify.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

const BASELINE = fileURLToPath(new URL('../../src/packs/risk-state/migrations/001_baseline.sql', import.meta.url));

/** An older daemon's v1 state file (no schema_version) with some orders, so that their indexes span several pages. */
function oldDaemonFile(file: string): void {
  const db = new DatabaseSync(file);
  try {
    db.exec(parseMigration('001_baseline.sql', readFileSync(BASELINE, 'utf8')).up);
    const insert = db.prepare(
      `INSERT INTO orders (account_id, contract_id, type, side, size, state, created_at) VALUES (?, 'CON.F.US.MNQ', 2, 'BUY', '1', ?, '2026-01-01T00:00:00Z')`,
    );
    db.exec('BEGIN');
    for (let i = 0; i < 3000; i++) insert.run(i % 50, i % 4);
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}

/**
 * Makes v2's idx_orders_state_account disagree with its table without damaging a page: the schema
 * says it indexes (state, contract_id) while its b-tree holds (state, account_id). integrity_check
 * reports the rows missing from the index; a damaged page would make it throw instead.
 */
function damageIndex(file: string): void {
  // Not defensive: only then may sqlite_master be written (SQLITE_DBCONFIG_DEFENSIVE).
  const db = new DatabaseSync(file, { defensive: false });
  try {
    db.exec('PRAGMA writable_schema = ON');
    db.exec("UPDATE sqlite_master SET sql = replace(sql, 'account_id', 'contract_id') WHERE name = 'idx_orders_state_account'");
    db.exec('PRAGMA writable_schema = OFF');
  } finally {
    db.close();
  }
}

function settings() {
  return { ...engineSettings(loadConfig({ env: {} }).config), createBackup: true, verifyAfter: true };
}

const integrityChecks = (trace: readonly TracedStatement[]) => trace.filter((statement) => /PRAGMA\s+integrity_check/i.test(statement.sql)).length;

describe('risk-state v1 → v2: one integrity_check per verify', () => {
  let test: TestDatabase;
  let file: string;
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
    file = test.url.slice('sqlite:'.length);
    oldDaemonFile(file);
  });
  afterEach(() => test.cleanup());

  it('migrate up with verify reads the migrated file with PRAGMA integrity_check once, and tells backup, migrate and verify', async () => {
    const trace: TracedStatement[] = [];
    const phases: UpPhase[] = [];
    const db = await openDatabase(test.url, { trace: (statement) => trace.push(statement) });
    try {
      const result = await migrateUp(db, await packSource('risk-state'), settings(), { onPhase: (phase) => phases.push(phase) });
      assert.equal(result.to, 2);
      assert.notEqual(result.backup, null);
      assert.equal(result.verify?.ok, true, JSON.stringify(result.verify?.checks));
      // The backup's own integrity_check runs on the copy through its own connection, not this one.
      assert.equal(integrityChecks(trace), 1, 'verify sends PRAGMA integrity_check once');
      const packChecks = result.verify.checks.find((check) => check.name === 'pack:risk-state checks');
      assert.deepEqual(packChecks, { name: 'pack:risk-state checks', ok: true, detail: 'schema matches the specification' });
      assert.deepEqual(
        phases.map((phase) => phase.phase),
        ['backup', 'migrate', 'verify'],
      );
      for (const phase of phases) assert.ok(Number.isFinite(phase.elapsedMs) && phase.elapsedMs >= 0, `${phase.phase}: ${phase.elapsedMs}`);
    } finally {
      await db.close();
    }
  });

  it('a damaged file fails both the integrity_check and the pack check 6 from that one run', async () => {
    const up = await openDatabase(test.url);
    try {
      await migrateUp(up, await packSource('risk-state'), { ...settings(), createBackup: false });
    } finally {
      await up.close();
    }
    damageIndex(file);
    const trace: TracedStatement[] = [];
    const db = await openDatabase(test.url, { trace: (statement) => trace.push(statement) });
    try {
      const report = await verifyDatabase(db, await packSource('risk-state'), { track_unrealized_pnl: false });
      assert.equal(report.ok, false);
      const integrity = report.checks.find((check) => check.name === 'integrity_check');
      assert.equal(integrity?.ok, false);
      assert.notEqual(integrity?.detail, 'ok');
      const pack = report.checks.find((check) => check.name === 'pack:risk-state checks');
      assert.equal(pack?.ok, false);
      // verify adds the way back to its own detail; the pack's check 6 quotes the check's answer.
      assert.match(integrity?.detail ?? '', /: restore a backup \(tradeledger migrate restore\)/);
      const answer = (integrity?.detail ?? '').replace(/: restore a backup .*$/, '');
      assert.ok(pack?.detail.includes(`Integrity check failed: ${answer}`), pack?.detail);
      assert.equal(integrityChecks(trace), 1);
    } finally {
      await db.close();
    }
  });

  it("the pack's checks called on their own still run integrity_check and report a damaged file", async () => {
    const up = await openDatabase(test.url);
    try {
      await migrateUp(up, await packSource('risk-state'), { ...settings(), createBackup: false, verifyAfter: false });
    } finally {
      await up.close();
    }
    damageIndex(file);
    const db = await openDatabase(test.url);
    try {
      const failures = await verifyRiskState(db, { version: 2, options: { track_unrealized_pnl: false } });
      assert.equal(failures.filter((failure) => failure.startsWith('Integrity check failed: ')).length, 1, failures.join('\n'));
    } finally {
      await db.close();
    }
  });
});
