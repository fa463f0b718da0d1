import type { Database } from '../db/port.ts';
import { CheckFailedError, SafetyError, isTradeledgerError } from '../errors.ts';
import { backupBeforeMigration } from './backup.ts';
import { formatFinding, lintMigrations, type LintFinding } from './lint.ts';
import { assertConsistent, planUp, type Plan } from './planner.ts';
import { runPlan, type RunEvent, type StepResult } from './run-plan.ts';
import type { EngineSettings } from './settings.ts';
import type { MigrationSource } from './source.ts';
import { MIGRATION_LOCK, readMigrationState } from './state.ts';
import { verifyDatabase, type VerifyReport } from './verify.ts';

/** Options for `migrate up`. */
export interface UpOptions {
  readonly to?: number | undefined;
  /** Apply migrations that squawk flags. */
  readonly allowUnsafe?: boolean;
  /** Asked before anything is written; a false answer refuses (exit 3). */
  readonly confirm?: ((plan: Plan) => Promise<boolean>) | undefined;
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
}

/** What `migrate up` did. */
export interface UpResult {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly StepResult[];
  /** Applied migrations whose invalid (or missing) indexes were built again; their versions stay applied. */
  readonly rebuilt: readonly StepResult[];
  /** The SQLite backup taken first, when there was one. */
  readonly backup: string | null;
  readonly lint: readonly LintFinding[];
  readonly verify: VerifyReport | null;
}

async function lintPending(plan: Plan, allowUnsafe: boolean): Promise<readonly LintFinding[]> {
  try {
    // A rebuild runs an applied migration's own statement again: it was linted when it was applied.
    return await lintMigrations(plan.steps.filter((step) => step.rebuild === undefined).map((step) => step.migration));
  } catch (error) {
    // --allow-unsafe applies whatever squawk would say, so a machine without squawk can still apply.
    if (allowUnsafe && isTradeledgerError(error) && error.code === 'SQUAWK_MISSING') return [];
    throw error;
  }
}

/**
 * Applies pending migrations under the migration lock: lint (PostgreSQL), confirm, back up
 * (SQLite files), run, verify. Killed halfway: see `runPlan`; the lock goes with the process.
 */
export async function migrateUp(db: Database, source: MigrationSource, settings: EngineSettings, options: UpOptions = {}): Promise<UpResult> {
  return db.withLock(MIGRATION_LOCK, { waitMs: settings.lockWaitMs }, async () => {
    const state = await readMigrationState(db, source, settings.plan);
    assertConsistent(state.status, source.label);
    const plan = planUp(state.status, state.context, options.to);
    if (plan.steps.length === 0) return { from: plan.from, to: plan.to, applied: [], rebuilt: [], backup: null, lint: [], verify: null };
    const lint = db.dialect === 'postgres' ? await lintPending(plan, options.allowUnsafe === true) : [];
    if (lint.length > 0 && options.allowUnsafe !== true) {
      const first = lint[0]!;
      throw new SafetyError(
        `squawk flags ${first.fileName} line ${first.line} (${first.rule}): ${first.message} — fix the migration, or pass --allow-unsafe to apply it anyway`,
        'UNSAFE_MIGRATION',
        lint.map(formatFinding),
      );
    }
    if (options.confirm !== undefined && !(await options.confirm(plan))) {
      throw new SafetyError('migration not confirmed; nothing was applied', 'NOT_CONFIRMED');
    }
    const backup = db.file !== undefined && settings.createBackup ? await backupBeforeMigration(db.file, plan.to, settings.backup) : null;
    const results = await runPlan(db, plan, settings.retry, options.onEvent);
    const applied = results.filter((result) => result.rebuilt === undefined);
    const rebuilt = results.filter((result) => result.rebuilt !== undefined);
    let verify: VerifyReport | null = null;
    if (settings.verifyAfter && source.verify !== undefined) {
      verify = await verifyDatabase(db, source, settings.packOptions, settings.plan.historyTable);
      if (!verify.ok) {
        const failed = verify.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`);
        const restore = backup === null ? '' : `; to go back, run 'tradeledger migrate restore ${backup}'`;
        throw new CheckFailedError(`migrated to version ${plan.to} but verification failed: ${failed.join('; ')}${restore}`, 'VERIFY_FAILED', failed);
      }
    }
    return { from: plan.from, to: plan.to, applied, rebuilt, backup, lint, verify };
  });
}
