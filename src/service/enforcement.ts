import type { Database } from '../db/port.ts';
import { enforcementLogRow, executeEnforcement, type EnforcementLog } from '../domain/enforcement-log.ts';

/** The enforcement actions the daemon can carry out on its own state (the broker-side ones belong to the bot). */
export const ENFORCEMENT_ACTIONS = ['set_lockout', 'clear_lockout'] as const;

/** One of ENFORCEMENT_ACTIONS. */
export type EnforcementAction = (typeof ENFORCEMENT_ACTIONS)[number];

/** An enforcement request on a risk-state database. */
export interface EnforcementInput {
  readonly accountId: number;
  readonly ruleId: string;
  readonly action: EnforcementAction;
  readonly reason: string;
  /** set_lockout: when the lockout ends (ISO-8601); null locks until an operator clears it. */
  readonly lockedUntil?: string | null;
}

/** The enforcement_log row written, with its id. */
export interface RecordedEnforcement extends EnforcementLog {
  readonly id: number;
}

async function runAction(db: Database, input: EnforcementInput, now: string): Promise<void> {
  await db.transaction(
    async (tx) => {
      if (input.action === 'set_lockout') {
        await tx.query(
          `INSERT INTO lockouts (account_id, is_locked, reason, rule_id, locked_at, locked_until, updated_at) VALUES ($1, 1, $2, $3, $4, $5, $4)
         ON CONFLICT (account_id) DO UPDATE SET is_locked = 1, reason = excluded.reason, rule_id = excluded.rule_id,
           locked_at = excluded.locked_at, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
          [input.accountId, input.reason, input.ruleId, now, input.lockedUntil ?? null],
        );
      } else {
        await tx.query('UPDATE lockouts SET is_locked = 0, locked_until = NULL, updated_at = $2 WHERE account_id = $1', [input.accountId, now]);
      }
    },
    { immediate: true },
  );
}

/**
 * Carries out an enforcement action on the risk-state database and logs it to enforcement_log
 * with the time it took (execution_time_ms, schema v2), through the domain's executeEnforcement.
 * A failed action is logged with success 0 and its error, as the specification's audit trail needs.
 */
export async function recordEnforcement(db: Database, input: EnforcementInput): Promise<RecordedEnforcement> {
  const log = await executeEnforcement({ accountId: input.accountId, ruleId: input.ruleId, action: input.action, reason: input.reason }, async () => {
    await runAction(db, input, new Date().toISOString());
    return input.action === 'set_lockout' ? { details: { locked_until: input.lockedUntil ?? null } } : {};
  });
  const row = enforcementLogRow(log);
  const inserted = await db.query<{ id: number | bigint }>(
    `INSERT INTO enforcement_log (timestamp, account_id, rule_id, action, reason, success, details, execution_time_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [row['timestamp'], row['account_id'], row['rule_id'], row['action'], row['reason'], row['success'], row['details'], row['execution_time_ms']],
  );
  return { ...log, id: Number(inserted[0]!.id) };
}
