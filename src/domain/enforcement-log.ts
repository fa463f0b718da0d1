import { errorMessage } from '../errors.ts';
import { positiveInteger, requiredText } from './fields.ts';

/** One enforcement action a rule took (the `enforcement_log` table); executionTimeMs is new in v2. */
export interface EnforcementLog {
  readonly timestamp: string;
  readonly accountId: number;
  readonly ruleId: string;
  /** What was done: close_all_positions, cancel_all_orders, set_lockout, … */
  readonly action: string;
  readonly reason: string;
  readonly success: boolean;
  /** JSON-able facts: positions closed, orders cancelled, the error when it failed. */
  readonly details: Readonly<Record<string, unknown>> | null;
  /** How long the action took, in whole milliseconds; null for rows logged before schema v2. */
  readonly executionTimeMs: number | null;
}

/** The action to run and log: who, which rule, what and why. */
export interface EnforcementRequest {
  readonly accountId: number;
  readonly ruleId: string;
  readonly action: string;
  readonly reason: string;
}

/** What an action may report back; a resolved action without `success: false` succeeded. */
export interface EnforcementOutcome {
  readonly success?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The clocks timing uses: wall time for the log's timestamp, a monotonic one for the duration. */
export interface EnforcementClock {
  readonly now: () => Date;
  readonly monotonicMs: () => number;
}

const SYSTEM_CLOCK: EnforcementClock = { now: () => new Date(), monotonicMs: () => performance.now() };

const MODEL = 'EnforcementLog';

/**
 * Runs an enforcement action and returns its log entry with executionTimeMs (docs/runbooks/risk-state-v2.md DB-SCHEMA-006 Phase 5).
 * A failure is logged (success false, the error in details), not thrown: the audit row must be
 * written either way, and the caller decides what a failed flatten means.
 */
export async function executeEnforcement(
  request: EnforcementRequest,
  // biome-ignore lint/suspicious/noConfusingVoidType: an action may return nothing, which logs no details
  run: () => Promise<EnforcementOutcome | void>,
  clock: EnforcementClock = SYSTEM_CLOCK,
): Promise<EnforcementLog> {
  const base = {
    accountId: positiveInteger(MODEL, 'accountId', request.accountId),
    ruleId: requiredText(MODEL, 'ruleId', request.ruleId),
    action: requiredText(MODEL, 'action', request.action),
    reason: requiredText(MODEL, 'reason', request.reason),
  };
  const timestamp = clock.now().toISOString();
  const started = clock.monotonicMs();
  let success: boolean;
  let details: Readonly<Record<string, unknown>> | null;
  try {
    const outcome = (await run()) ?? {};
    success = outcome.success !== false;
    details = outcome.details ?? null;
  } catch (error) {
    success = false;
    details = { error: errorMessage(error) };
  }
  // Whole milliseconds, truncated, as the specification's int((end - start) * 1000).
  const executionTimeMs = Math.max(0, Math.floor(clock.monotonicMs() - started));
  return { ...base, timestamp, success, details, executionTimeMs };
}

/** The `enforcement_log` row for an entry: snake_case columns, success as 0/1, details as JSON text. */
export function enforcementLogRow(log: EnforcementLog): Readonly<Record<string, string | number | null>> {
  return {
    timestamp: log.timestamp,
    account_id: log.accountId,
    rule_id: log.ruleId,
    action: log.action,
    reason: log.reason,
    success: log.success ? 1 : 0,
    details: log.details === null ? null : JSON.stringify(log.details),
    execution_time_ms: log.executionTimeMs,
  };
}
