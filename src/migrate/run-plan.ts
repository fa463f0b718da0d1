import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Queryable } from '../db/port.ts';
import { CheckFailedError, driverErrorCode, errorMessage } from '../errors.ts';
import { BlockerWatch, formatBlockers } from './blockers.ts';
import { DEFAULT_HISTORY, recordDownFailure, recordFailure, recordRebuildFailure, type HistoryTable, type RecordTimeouts } from './history.ts';
import type { Plan, PlanChunk, PlanStep } from './planner.ts';
import { errorLine } from './error-line.ts';
import { stripComments } from './split-statements.ts';

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
  | {
      readonly type: 'retry';
      readonly step: PlanStep;
      readonly attempt: number;
      readonly delayMs: number;
      readonly reason: string;
      /** Who held the lock ("blocked by pid …"), empty when unknown (SQLite, PGlite). */
      readonly blockers: string;
    }
  | { readonly type: 'step-done'; readonly step: PlanStep; readonly elapsedMs: number; readonly attempts: number };

/** What one step did. */
export interface StepResult {
  readonly version: number;
  readonly fileName: string;
  readonly direction: 'up' | 'down';
  readonly elapsedMs: number;
  /** Tries it took; above 1 when a lock timeout made it retry. */
  readonly attempts: number;
  /** The indexes it built again, for a step that rebuilt an applied migration's indexes. */
  readonly rebuilt?: readonly string[];
}

/** What went wrong besides the error itself, for the message. */
export interface FailureNotes {
  /** Who held the lock a statement timed out on. */
  readonly blockers?: string;
  /** Recording the failure in schema_version failed too (often the same lock timeout). */
  readonly recordError?: unknown;
  /** Leaving the session clean (ROLLBACK, RESET) failed too. */
  readonly cleanupError?: unknown;
  /** The history table's name, for the message (default schema_version). */
  readonly historyTable?: string;
  /** The file line the server's error points at (`file line N`), when it gave a position in the migration's SQL. */
  readonly line?: string | null;
}

/** True for errors worth another try: PostgreSQL lock_timeout (55P03) and SQLite busy (5). */
export function isLockTimeout(error: unknown): boolean {
  const code = driverErrorCode(error);
  return code === '55P03' || code === 'SQLITE_5' || code === 'SQLITE_6';
}

function advice(step: PlanStep, cause: unknown): string {
  const code = driverErrorCode(cause);
  // A lock held too long is nothing the migration did wrong: the same file goes through once it is free.
  const lock = code === '55P03' ? 'retry later or raise --lock-timeout' : isLockTimeout(cause) ? 'retry later' : null;
  if (step.rebuild !== undefined) {
    return `migration ${step.migration.version} stays applied, and \`migrate up\` builds ${step.rebuild.join(', ')} again${lock === null ? '' : `; ${lock}`}`;
  }
  if (step.direction === 'down') return `still applied${lock === null ? '' : `; ${lock}`}`;
  return `left at the previous version; ${lock ?? 'fix it and run `migrate up` again'}`;
}

/**
 * A migration step failed; the database stays at the previous version and the failure is recorded
 * (when recording it failed too, the message says so). A lock timeout names who held the lock.
 */
export class MigrationFailedError extends CheckFailedError {
  /** The driver's SQLSTATE or SQLite code, kept from the error that stopped the step. */
  readonly driverCode: string | undefined;
  readonly version: number;
  constructor(step: PlanStep, cause: unknown, notes: FailureNotes = {}) {
    const code = driverErrorCode(cause);
    const what = step.rebuild === undefined ? step.direction : `index rebuild (${step.rebuild.join(', ')})`;
    const blockers = notes.blockers === undefined || notes.blockers === '' ? '' : `; ${notes.blockers}`;
    const recordCode = driverErrorCode(notes.recordError);
    const unrecorded =
      notes.recordError === undefined
        ? ''
        : ` (the failure could not be recorded in ${notes.historyTable ?? 'schema_version'}${recordCode === undefined ? '' : ` [${recordCode}]`}: ${errorMessage(notes.recordError)})`;
    const cleanupCode = driverErrorCode(notes.cleanupError);
    const unclean =
      notes.cleanupError === undefined
        ? ''
        : ` (cleaning up the session failed too${cleanupCode === undefined ? '' : ` [${cleanupCode}]`}: ${errorMessage(notes.cleanupError)})`;
    super(
      `migration ${step.migration.version} (${step.migration.fileName}) ${what} failed${code === undefined ? '' : ` [${code}]`}${notes.line === undefined || notes.line === null ? '' : ` at ${notes.line}`}: ${errorMessage(cause)}${blockers} — ${advice(step, cause)}${unrecorded}${unclean}`,
      'MIGRATION_FAILED',
      [],
      { cause },
    );
    this.driverCode = code;
    this.version = step.migration.version;
  }
}

/** A chunk's error with who blocked it, when it was a lock timeout on a PostgreSQL server. */
class ChunkFailure extends Error {
  readonly error: unknown;
  readonly blockers: string;
  constructor(error: unknown, blockers: string) {
    super(errorMessage(error));
    this.error = error;
    this.blockers = blockers;
  }
}

function unwrap(error: unknown): { error: unknown; blockers: string } {
  return error instanceof ChunkFailure ? { error: error.error, blockers: error.blockers } : { error, blockers: '' };
}

/** The runner's session: where chunks go, and the backend pid another connection watches while they run. */
interface Session {
  readonly db: Database;
  readonly queryable: Queryable;
  readonly pid: number | null;
}

async function sendChunk(session: Queryable, chunk: PlanChunk): Promise<void> {
  if (chunk.buildsIndex !== undefined) await dropIfInvalid(session, chunk.buildsIndex);
  if (chunk.expectNoRows !== true) {
    await session.exec(chunk.sql);
    return;
  }
  const rows = await session.query(chunk.sql);
  if (rows.length > 0) {
    throw new CheckFailedError(`${chunk.sql.trim()} returned ${rows.length} row(s): ${JSON.stringify(rows.slice(0, 3))}`, 'FOREIGN_KEY_CHECK');
  }
}

/**
 * Before every try of a CREATE INDEX CONCURRENTLY: a try that failed (a lock timeout while it waited
 * for older transactions, a kill) leaves its index in the catalog, invalid, and IF NOT EXISTS would
 * then skip it. Nothing to send when the index is absent or valid, so a clean run sends the plan as printed.
 */
async function dropIfInvalid(session: Queryable, index: string): Promise<void> {
  const rows = await session.query<{ valid: boolean }>('SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)', [index]);
  if (rows[0]?.valid === false) await session.exec(`DROP INDEX CONCURRENTLY IF EXISTS ${index};`);
}

/** Sends one chunk; a lock timeout comes back with who held the lock, found before the session sends anything else. */
async function runChunk(session: Session, chunk: PlanChunk): Promise<void> {
  const watch = BlockerWatch.start(session.db, session.pid);
  try {
    await sendChunk(session.queryable, chunk);
  } catch (error) {
    if (watch === null || driverErrorCode(error) !== '55P03') throw error;
    throw new ChunkFailure(error, formatBlockers(await watch.report()));
  } finally {
    await watch?.stop();
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
  session: Session,
  step: PlanStep,
  policy: RetryPolicy,
  onEvent: ((event: RunEvent) => void) | undefined,
  work: () => Promise<void>,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return attempt;
    } catch (failure) {
      const { error, blockers } = unwrap(failure);
      if (!isLockTimeout(error) || attempt >= policy.tries) throw failure;
      // A transactional step starts again from BEGIN; a statement keeps the session's settings (on
      // SQLite a statements step's chunk may hold its own BEGIN … COMMIT, and its cleanup is ROLLBACK).
      if (step.kind === 'transaction' || session.db.dialect === 'sqlite') await cleanUp(session.queryable, step);
      const delayMs = delayFor(policy, attempt);
      onEvent?.({ type: 'retry', step, attempt, delayMs, reason: errorMessage(error), blockers });
      await sleep(delayMs);
    }
  }
}

/** Records a failed step where `status` and the next `up` find it; returns the error when even that failed. */
async function recordStepFailure(db: Database, step: PlanStep, message: string, timeouts: RecordTimeouts, table: HistoryTable): Promise<unknown> {
  try {
    if (step.rebuild !== undefined) await recordRebuildFailure(db, step.migration.version, step.rebuild, message, timeouts, table);
    else if (step.direction === 'up' && step.adopting !== true) await recordFailure(db, step.entry, message, timeouts, table);
    else if (step.kind === 'statements')
      await recordDownFailure(
        db,
        step.migration.version,
        `down failed part-way: ${message}; run \`migrate up\` to re-apply or fix and run down again`,
        timeouts,
        table,
      );
    return undefined;
  } catch (error) {
    return error;
  }
}

async function runStep(
  session: Session,
  step: PlanStep,
  policy: RetryPolicy,
  timeouts: RecordTimeouts,
  table: HistoryTable,
  onEvent?: (event: RunEvent) => void,
): Promise<StepResult> {
  onEvent?.({ type: 'step-start', step });
  const started = Date.now();
  let attempts = 0;
  let sending: PlanChunk | undefined;
  try {
    if (step.kind === 'transaction') {
      attempts = await withRetries(session, step, policy, onEvent, async () => {
        for (const chunk of step.chunks) {
          sending = chunk;
          await runChunk(session, chunk);
        }
      });
    } else {
      // Each statement commits on its own: retry only the one that timed out, never redo the others.
      for (const chunk of step.chunks) {
        sending = chunk;
        attempts = Math.max(attempts, await withRetries(session, step, policy, onEvent, () => runChunk(session, chunk)));
      }
    }
  } catch (failure) {
    const { error, blockers } = unwrap(failure);
    // Neither a failed cleanup nor a failed record may hide why the step failed: all three are reported.
    let cleanupError: unknown;
    try {
      await cleanUp(session.queryable, step);
    } catch (caught) {
      cleanupError = caught;
    }
    const message = `${errorMessage(error)}${blockers === '' ? '' : `; ${blockers}`}`;
    const recordError = await recordStepFailure(session.db, step, message, timeouts, table);
    throw new MigrationFailedError(step, error, {
      blockers,
      line: errorLine(sending, error),
      historyTable: table.name,
      ...(recordError === undefined ? {} : { recordError }),
      ...(cleanupError === undefined ? {} : { cleanupError }),
    });
  }
  const elapsedMs = Date.now() - started;
  onEvent?.({ type: 'step-done', step, elapsedMs, attempts });
  return {
    version: step.migration.version,
    fileName: step.migration.fileName,
    direction: step.direction,
    elapsedMs,
    attempts,
    ...(step.rebuild === undefined ? {} : { rebuilt: step.rebuild }),
  };
}

/** The extensions a plan's statements create (`CREATE EXTENSION [IF NOT EXISTS] name`). */
export function extensionsCreatedBy(plan: Pick<Plan, 'steps'>): string[] {
  const names = new Set<string>();
  for (const step of plan.steps) {
    for (const chunk of step.chunks) {
      for (const match of stripComments(chunk.sql).matchAll(/\bCREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"([^"]+)"|([A-Za-z_][\w$]*))/gi)) {
        names.add(match[1] ?? match[2]!.toLowerCase());
      }
    }
  }
  return [...names];
}

/**
 * Sends a plan's chunks exactly as planned, on one session. Killed halfway: a transactional step
 * rolls back with the connection; a no-transaction step leaves its row marked in progress and
 * `up` completes it (its statements must be re-runnable: IF NOT EXISTS). On a PostgreSQL server,
 * another connection watches the session while each chunk runs, so that a lock timeout can name
 * the backends that held the lock.
 */
export async function runPlan(db: Database, plan: Plan, policy: RetryPolicy, onEvent?: (event: RunEvent) => void): Promise<StepResult[]> {
  const timeouts: RecordTimeouts = { lockTimeoutMs: plan.settings.lockTimeoutMs, statementTimeoutMs: plan.settings.statementTimeoutMs };
  // PGlite registers contrib extensions at start-up only: before the session, so a restart loses nothing.
  const extensions = db.ensureExtensions === undefined ? [] : extensionsCreatedBy(plan);
  if (extensions.length > 0) await db.ensureExtensions!(extensions);
  return db.session(async (queryable) => {
    const watched = db.dialect === 'postgres' && db.capabilities.concurrentSessions && plan.steps.length > 0;
    const pid = watched ? ((await queryable.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]?.pid ?? null) : null;
    const session: Session = { db, queryable, pid };
    const results: StepResult[] = [];
    const table = plan.history ?? DEFAULT_HISTORY;
    for (const step of plan.steps) results.push(await runStep(session, step, policy, timeouts, table, onEvent));
    return results;
  });
}
