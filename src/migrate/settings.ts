import { hostname, userInfo } from 'node:os';
import type { Config } from '../config/schema.ts';
import type { BackupSettings } from './backup.ts';
import type { PlanSettings } from './planner.ts';
import type { RetryPolicy } from './run-plan.ts';

/** Everything the engine needs from configuration and flags, resolved. */
export interface EngineSettings {
  readonly plan: PlanSettings;
  readonly retry: RetryPolicy;
  /** How long a second runner waits for the migration lock. */
  readonly lockWaitMs: number;
  readonly backup: BackupSettings;
  readonly createBackup: boolean;
  readonly verifyAfter: boolean;
  readonly packOptions: Readonly<Record<string, string | boolean>>;
}

/** Who applied a migration, as `schema_version.applied_by` records it. */
export function currentActor(): string {
  let user = process.env['USER'] ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment's USER is the best we have.
  }
  return `${user}@${hostname()}`;
}

/** Engine settings from a validated configuration. */
export function engineSettings(config: Config): EngineSettings {
  const migration = config.database.migration;
  return {
    plan: {
      lockTimeoutMs: migration.lock_timeout,
      statementTimeoutMs: migration.statement_timeout,
      appliedBy: currentActor(),
      ...(config.database.migrations_table === undefined ? {} : { historyTable: config.database.migrations_table.trim() }),
    },
    retry: { tries: migration.retries, baseDelayMs: migration.retry_delay },
    lockWaitMs: migration.lock_wait,
    backup: {
      directory: config.database.backup.directory,
      retentionDays: config.database.backup.retention_days,
      maxBackups: config.database.backup.max_backups,
    },
    createBackup: migration.create_backup,
    verifyAfter: migration.verify_after,
    packOptions: { ...config.migrations.options, track_unrealized_pnl: config.database.track_unrealized_pnl },
  };
}
