import type { Database } from '../db/port.ts';
import { CheckFailedError, errorMessage, SafetyError, type TradeledgerError } from '../errors.ts';
import { backupBeforeMigration } from './backup.ts';
import { assertPlanParses } from './plan-check.ts';
import { assertConsistent, planDown, type DownTarget, type Plan } from './planner.ts';
import { MigrationFailedError, runPlan, type RunEvent, type StepResult } from './run-plan.ts';
import type { EngineSettings } from './settings.ts';
import type { MigrationSource } from './source.ts';
import { MIGRATION_LOCK, readMigrationState } from './state.ts';

/** Options for `migrate down`. */
export interface DownOptions extends DownTarget {
  readonly confirm?: ((plan: Plan) => Promise<boolean>) | undefined;
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
}

/** What `migrate down` did. */
export interface DownResult {
  readonly from: number;
  readonly to: number;
  readonly reverted: readonly StepResult[];
  readonly backup: string | null;
  /** Said before running: down sections that are empty (the version goes, nothing is undone). */
  readonly warnings?: readonly string[];
}

/**
 * Runs down sections newest first under the migration lock, backing up a SQLite file first.
 * Refuses on drift: an edited file's down section may not undo what was applied.
 */
export async function migrateDown(db: Database, source: MigrationSource, settings: EngineSettings, options: DownOptions): Promise<DownResult> {
  return db.withLock(MIGRATION_LOCK, { waitMs: settings.lockWaitMs }, async () => {
    const state = await readMigrationState(db, source, settings.plan);
    assertConsistent(state.status, source.label);
    const plan = planDown(state.status, source.migrations, state.context, options);
    if (plan.steps.length === 0) return { from: plan.from, to: plan.to, reverted: [], backup: null, warnings: [] };
    // Down sections are not linted (squawk reads up sections), so nothing has read their syntax yet:
    // a file PostgreSQL cannot parse is refused before any step runs, as `migrate plan` refuses it.
    await assertPlanParses(plan, db.dialect);
    if (options.confirm !== undefined && !(await options.confirm(plan))) {
      throw new SafetyError('rollback not confirmed; nothing was changed', 'NOT_CONFIRMED');
    }
    const backup = db.file !== undefined && settings.createBackup ? await backupBeforeMigration(db.file, plan.to, settings.backup) : null;
    let reverted: readonly StepResult[];
    try {
      reverted = await runPlan(db, plan, settings.retry, options.onEvent);
    } catch (error) {
      throw dataLossRefusal(error, plan, options, backup) ?? error;
    }
    return { from: plan.from, to: plan.to, reverted, backup, warnings: plan.warnings ?? [] };
  });
}

// Every pack's down guard names the flag that lets it through (RAISE … 'run migrate down with --allow-data-loss').
const GUARD = '--allow-data-loss';

/**
 * A down section's data-loss guard that stopped the run. When nothing had changed (the first step,
 * one transaction, rolled back) it is the safety refusal it is: exit 3, like every gate, which a
 * script may read as "nothing happened". When newer steps had already been reverted, or the step ran
 * statement by statement, something did change: that stays a failed run (exit 1), and the message
 * says what went back.
 */
function dataLossRefusal(error: unknown, plan: Plan, options: DownOptions, backup: string | null): TradeledgerError | undefined {
  if (!(error instanceof MigrationFailedError) || options.allowDataLoss === true) return undefined;
  const guard = errorMessage(error.cause);
  if (!guard.includes(GUARD)) return undefined;
  const step = plan.steps.find((s) => s.migration.version === error.version);
  const done = plan.steps.slice(0, step === undefined ? 0 : plan.steps.indexOf(step)).map((s) => s.migration.version);
  const untouched = done.length === 0 && step?.kind === 'transaction';
  const state = untouched
    ? 'nothing was changed'
    : done.length === 0
      ? `statements of migration ${error.version} that ran before the guard stay done`
      : `migration(s) ${done.join(', ')} were reverted before it; the database is at version ${error.version}`;
  const kept = backup === null ? '' : ` (a backup was taken first: ${backup})`;
  const message = `migration ${error.version} (${step?.migration.fileName ?? '?'}) down refused: ${guard}; ${state}${kept}`;
  return untouched ? new SafetyError(message, 'DATA_LOSS_REFUSED') : new CheckFailedError(message, 'DATA_LOSS_REFUSED', [], { cause: error });
}
