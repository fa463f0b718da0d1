import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Queryable } from '../db/port.ts';
import { CheckFailedError, driverErrorCode, errorMessage } from '../errors.ts';
import { recordDownFailure, recordFailure } from './history.ts';
import type { Plan, PlanChunk, PlanStep } from './planner.ts';

/** How the runner retries a step that hit `lock_timeout` instead of queueing behind a long transaction. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly tries: number;
  /** Wait before the second try; doubles each time, up to 30 s. */
  readonly baseDelayMs: number;
}

/** Progress a caller can show or log. */
export type RunEvent =
  | { readonly type: 'step-start'; readonly step: PlanStep }
  | { readonly type: 'retry'; readonly step: PlanStep; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'step-done'; readonly step: PlanStep; readonly elapsedMs: number; readonly attempts: number };

/** What one step did. */
export interface StepResult {
  readonly version: number;
  readonly fileName: string;
  readonly direction: 'up' | 'down';
  readonly elapsedMs: number;
  /** Tries it took; above 1 when a lock timeout made it retry. */
  readonly attempts: number;
}

/** A migration step failed; the database stays at the previous version and the failure is recorded. */
export class MigrationFailedError extends CheckFailedError {
  /** The driver's SQLSTATE or SQLite code, kept from the error that stopped the step. */
  readonly driverCode: string | undefined;
  readonly version: number;
  constructor(step: PlanStep, cause: unknown) {
    const code = driverErrorCode(cause);
    const where = step.direction === 'up' ? 'left at the previous version; fix it and run `migrate up` again' : 'still applied';
    super(
      `migration ${step.migration.version} (${step.migration.fileName}) ${step.direction} failed${code === undefined ? '' : ` [${code}]`}: ${errorMessage(cause)} — ${where}`,
      'MIGRATION_FAILED',
      [],
      { cause },
    );
    this.driverCode = code;
    this.version = step.migration.version;
  }
}

/** True for errors worth another try: PostgreSQL lock_timeout (55P03) and SQLite busy (5). */
export function isLockTimeout(error: unknown): boolean {
  const code = driverErrorCode(error);
  return code === '55P03' || code === 'SQLITE_5' || code === 'SQLITE_6';
}

async function runChunk(session: Queryable, chunk: PlanChunk): Promise<void> {
  if (chunk.expectNoRows !== true) {
    await session.exec(chunk.sql);
    return;
  }
  const rows = await session.query(chunk.sql);
  if (rows.length > 0) {
    throw new CheckFailedError(`${chunk.sql.trim()} returned ${rows.length} row(s): ${JSON.stringify(rows.slice(0, 3))}`, 'FOREIGN_KEY_CHECK');
  }
}

async function cleanUp(session: Queryable, step: PlanStep): Promise<void> {
  for (const statement of step.cleanup) {
    try {
      await session.exec(statement);
    } catch (error) {
      // ROLLBACK with no transaction open (the failure came before BEGIN) is expected; anything else is not.
      if (!/no transaction is active|there is no transaction in progress/i.test(errorMessage(error))) throw error;
    }
  }
}

function delayFor(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), 30_000);
}

async function withRetries(
  session: Queryable,
  step: PlanStep,
  policy: RetryPolicy,
  onEvent: ((event: RunEvent) => void) | undefined,
  work: () => Promise<void>,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return attempt;
    } catch (error) {
      if (!isLockTimeout(error) || attempt >= policy.tries) throw error;
      // A transactional step starts again from BEGIN; a statement keeps the session's settings.
      if (step.kind === 'transaction') await cleanUp(session, step);
      const delayMs = delayFor(policy, attempt);
      onEvent?.({ type: 'retry', step, attempt, delayMs, reason: errorMessage(error) });
      await sleep(delayMs);
    }
  }
}

async function runStep(db: Database, session: Queryable, step: PlanStep, policy: RetryPolicy, onEvent?: (event: RunEvent) => void): Promise<StepResult> {
  onEvent?.({ type: 'step-start', step });
  const started = Date.now();
  let attempts = 0;
  try {
    if (step.kind === 'transaction') {
      attempts = await withRetries(session, step, policy, onEvent, async () => {
        for (const chunk of step.chunks) await runChunk(session, chunk);
      });
    } else {
      // Each statement commits on its own: retry only the one that timed out, never redo the others.
      for (const chunk of step.chunks) {
        attempts = Math.max(attempts, await withRetries(session, step, policy, onEvent, () => runChunk(session, chunk)));
      }
    }
  } catch (error) {
    await cleanUp(session, step);
    const message = errorMessage(error);
    if (step.direction === 'up' && step.adopting !== true) await recordFailure(db, step.entry, message);
    else if (step.kind === 'statements')
      await recordDownFailure(db, step.migration.version, `down failed part-way: ${message}; run \`migrate up\` to re-apply or fix and run down again`);
    throw new MigrationFailedError(step, error);
  }
  const elapsedMs = Date.now() - started;
  onEvent?.({ type: 'step-done', step, elapsedMs, attempts });
  return { version: step.migration.version, fileName: step.migration.fileName, direction: step.direction, elapsedMs, attempts };
}

/**
 * Sends a plan's chunks exactly as planned, on one session. Killed halfway: a transactional step
 * rolls back with the connection; a no-transaction step leaves its row marked in progress and
 * `up` completes it (its statements must be re-runnable: IF NOT EXISTS).
 */
export async function runPlan(db: Database, plan: Plan, policy: RetryPolicy, onEvent?: (event: RunEvent) => void): Promise<StepResult[]> {
  return db.session(async (session) => {
    const results: StepResult[] = [];
    for (const step of plan.steps) results.push(await runStep(db, session, step, policy, onEvent));
    return results;
  });
}
