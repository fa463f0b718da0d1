import type { Config } from '../config/schema.ts';
import type { Database } from '../db/port.ts';
import { SafetyError, UsageError } from '../errors.ts';
import type { RunEvent } from '../migrate/run-plan.ts';
import { engineSettings } from '../migrate/settings.ts';
import type { MigrationSource } from '../migrate/source.ts';
import { readMigrationState } from '../migrate/state.ts';
import { describeSource } from '../migrate/status.ts';
import { planRepairs } from '../migrate/repair.ts';
import { migrateUp, type UpResult } from '../migrate/up.ts';
import { verifyDatabase } from '../migrate/verify.ts';
import type { DaemonLogger } from './logger.ts';

/** What the start-up schema check found, and the migration it ran when it was allowed to. */
export interface SchemaCheck {
  readonly pack: string;
  /** The version the database is at now. */
  readonly version: number;
  /** The version the daemon runs on: database.schema.current_version, else the pack's latest. */
  readonly expected: number;
  readonly migrated: UpResult | null;
}

function migrationLogger(log: DaemonLogger): (event: RunEvent) => void {
  return (event) => {
    const migration = { version: event.step.migration.version, file: event.step.migration.fileName };
    if (event.type === 'step-start') log.info({ migration }, `Applying migration ${migration.file}`);
    if (event.type === 'retry')
      log.warn({ migration, attempt: event.attempt, delayMs: event.delayMs, reason: event.reason }, 'Lock timeout; retrying the migration');
    if (event.type === 'step-done') log.info({ migration, elapsedMs: event.elapsedMs, attempts: event.attempts }, `Applied migration ${migration.file}`);
  };
}

/**
 * Compares the database with the pack before the daemon serves anything. Behind with
 * `database.schema.auto_migrate: true`: backs up (SQLite), migrates and verifies as
 * `database.migration` says, through the same `migrateUp` as `migrate up`. Behind without it,
 * drifted, or ahead: a SafetyError whose one line names the command to run.
 */
export async function ensureSchema(db: Database, source: MigrationSource, pack: string, config: Config, log: DaemonLogger): Promise<SchemaCheck> {
  const settings = engineSettings(config);
  const { status } = await readMigrationState(db, source, settings.plan);
  const expected = config.database.schema.current_version ?? status.latest;
  const target = `--pack ${pack} --db ${db.url}`;
  if (expected > status.latest) {
    throw new UsageError(
      `database.schema.current_version ${expected} is above the latest version (${status.latest}) of pack ${pack}: lower it or leave it unset`,
      'BAD_CONFIG',
    );
  }
  const other = status.otherSource[0];
  if (other !== undefined) {
    throw new SafetyError(
      `${db.url}: migration ${other.migration.version} was applied from ${describeSource(other.row.source!)}, not from pack ${pack}; the daemon does not start on a database another source built: serve it with that source's schema, or point --db at a database for pack ${pack}`,
      'SCHEMA_OTHER_SOURCE',
    );
  }
  const drifted = status.drifted[0];
  if (drifted !== undefined) {
    throw new SafetyError(
      `${db.url}: migration ${drifted.migration.fileName} of pack ${pack} was edited after it was applied (drift); the daemon does not start on it: run 'tradeledger migrate status ${target}' and restore what was applied`,
      'SCHEMA_DRIFT',
    );
  }
  if (status.unknown.length > 0) {
    const versions = status.unknown.map((row) => row.version).join(', ');
    throw new SafetyError(
      `${db.url} is ahead of pack ${pack}: it has version(s) ${versions}, this tradeledger knows up to ${status.latest}; run the tradeledger that applied them, or roll them back with its 'migrate down'`,
      'SCHEMA_AHEAD',
    );
  }
  if (status.current > expected) {
    throw new SafetyError(
      `${db.url} is at schema version ${status.current}, ahead of database.schema.current_version ${expected}: run 'tradeledger migrate down ${target} --to ${expected}', or raise current_version to ${status.current}`,
      'SCHEMA_AHEAD',
    );
  }
  const behind = status.pending.some((migration) => migration.version <= expected);
  if (!behind) {
    const repaired = await verifyAtStart(db, source, pack, config, log, status.current);
    return { pack, version: status.current, expected, migrated: repaired };
  }
  const to = expected === status.latest ? '' : ` --to ${expected}`;
  if (!config.database.schema.auto_migrate) {
    throw new SafetyError(
      `${db.url} is at schema version ${status.current}, behind pack ${pack} version ${expected}: run 'tradeledger migrate up ${target}${to}', or set database.schema.auto_migrate: true (TRADELEDGER_AUTO_MIGRATE=true) to migrate at start-up`,
      'SCHEMA_BEHIND',
    );
  }
  log.info(
    { from: status.current, to: expected, pack, backup: db.file !== undefined && settings.createBackup, verify: settings.verifyAfter },
    `Database schema version ${status.current} is behind ${expected}: migrating (database.schema.auto_migrate)`,
  );
  // auto_migrate is the operator's consent given in advance: a daemon has no terminal to ask on.
  const migrated = await migrateUp(db, source, settings, { to: expected, onEvent: migrationLogger(log) });
  log.info(
    { from: migrated.from, to: migrated.to, backup: migrated.backup, verified: migrated.verify?.checks.map((check) => check.name) ?? null },
    `Database migrated from version ${migrated.from} to ${migrated.to}${migrated.backup === null ? '' : ` (backup ${migrated.backup})`}`,
  );
  // With database.migration.verify_after, migrateUp has just run these same checks (it throws when
  // they fail): a second verify would read the whole file again (PRAGMA integrity_check, issue 16).
  if (migrated.verify?.ok !== true) await verifyAtStart(db, source, pack, config, log, migrated.to);
  return { pack, version: migrated.to, expected, migrated };
}

/**
 * The pack's verify at start-up (tables, columns, indexes, the optional table as configured): the
 * version number alone says nothing of a file migrated by hand or an index dropped since. A mismatch
 * is repaired with `database.schema.auto_migrate: true` (the same recorded repairs as `migrate up`),
 * else refused (exit 3) naming what is wrong and the command that fixes it. Returns the repair run.
 */
async function verifyAtStart(
  db: Database,
  source: MigrationSource,
  pack: string,
  config: Config,
  log: DaemonLogger,
  version: number,
): Promise<UpResult | null> {
  const settings = engineSettings(config);
  const report = await verifyDatabase(db, source, settings.packOptions, settings.plan.historyTable);
  if (report.ok) return null;
  const failures = report.checks.filter((check) => !check.ok).map((check) => check.detail);
  const target = `--pack ${pack} --db ${db.url}`;
  const repairs = await planRepairs(db, source, version, settings.packOptions, false);
  if (repairs.length > 0 && config.database.schema.auto_migrate) {
    log.info(
      { failures, repairs: repairs.map((step) => step.description) },
      `The schema lacks what version ${version} declares: repairing (database.schema.auto_migrate)`,
    );
    const repaired = await migrateUp(db, source, settings, { to: version });
    const again = await verifyDatabase(db, source, settings.packOptions, settings.plan.historyTable);
    if (again.ok) return repaired;
    failures.splice(0, failures.length, ...again.checks.filter((check) => !check.ok).map((check) => check.detail));
  }
  const fix =
    repairs.length > 0
      ? `run 'tradeledger migrate up ${target}', which adds what is missing (${repairs.map((step) => step.description).join('; ')}) and records it, or set database.schema.auto_migrate: true`
      : `run 'tradeledger migrate verify ${target}' for every check, then restore a backup ('tradeledger migrate restore FILE') or roll back and apply again ('migrate down', 'migrate up')`;
  throw new SafetyError(
    `${db.url} is at schema version ${version} but does not match pack ${pack}: ${failures.join('; ')}; the daemon does not start on it: ${fix}`,
    'SCHEMA_MISMATCH',
    failures,
  );
}
