import type { Queryable, Database } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import {
  SUMMARY_DROP_SQL,
  SUMMARY_FIGURES,
  SUMMARY_INSTALL_SQL,
  SUMMARY_RECOUNT_SQL,
  SUMMARY_STATE_TABLE,
  SUMMARY_TABLE,
  SUMMARY_TRIGGERS,
} from '../packs/bot-ledger/summaries.ts';

/** What a rebuild did. */
export interface SummaryRebuild {
  readonly lifecycles: number;
}

/** One lifecycle key whose summary and recount disagree. */
export interface SummaryMismatch {
  readonly profileId: string;
  readonly lifecycleKey: string;
  /** `missing`: counted but not summarised; `extra`: summarised but no row counts; `differs`: the columns named differ. */
  readonly problem: 'missing' | 'extra' | 'differs';
  readonly columns: readonly string[];
}

/** The result of comparing the summaries with a recount. */
export interface SummaryCheck {
  readonly ready: boolean;
  readonly lifecycles: number;
  readonly mismatchCount: number;
  /** The first 100 mismatches, by key. */
  readonly mismatches: readonly SummaryMismatch[];
  readonly ok: boolean;
}

/**
 * True when the ledger keeps per-lifecycle summaries and they are complete: rebuilt and not
 * truncated since, and every trigger that keeps them present and enabled (a dropped and recreated
 * orders table, or ALTER TABLE … DISABLE TRIGGER or ENABLE REPLICA TRIGGER — which fires for
 * replication sessions only — would otherwise leave them stale unnoticed).
 */
export async function summariesReady(db: Queryable): Promise<boolean> {
  const kept = await db.query<{ kept: boolean }>(
    `SELECT to_regclass('${SUMMARY_STATE_TABLE}') IS NOT NULL AND to_regclass('${SUMMARY_TABLE}') IS NOT NULL AS kept`,
  );
  if (kept[0]?.kept !== true) return false;
  const rows = await db.query<{ ready: boolean | null; triggers: number }>(
    `SELECT (SELECT bool_and(ready) FROM ${SUMMARY_STATE_TABLE}) AS ready,
            (SELECT count(*)::int FROM pg_trigger t JOIN unnest($1::text[], $2::text[]) AS k(name, tab) ON t.tgname = k.name AND t.tgrelid = to_regclass(k.tab)
              WHERE t.tgenabled IN ('O', 'A')) AS triggers`,
    [SUMMARY_TRIGGERS.map((t) => t.name), SUMMARY_TRIGGERS.map((t) => t.table)],
  );
  return rows[0]?.ready === true && rows[0].triggers === SUMMARY_TRIGGERS.length;
}

const COLUMNS = ['profile_id', 'lifecycle_key', ...SUMMARY_FIGURES].join(', ');

/** How long a rebuild or a drop waits for its table locks before it gives up (a long reader would otherwise queue every writer behind it). */
export interface SummaryLockSettings {
  readonly lockTimeoutMs?: number;
}

/**
 * Installs the summaries if missing (table, trigger functions, triggers on orders and
 * trade_history) and fills them from a recount, in one transaction that holds SHARE ROW EXCLUSIVE
 * locks on both tables (the lock CREATE TRIGGER needs, taken first): writers wait for it (seconds
 * on millions of rows), none is missed between the recount and the triggers, and two rebuilds run
 * one after the other. Run it once to start keeping summaries, and after a TRUNCATE or a failed check.
 */
export async function rebuildSummaries(db: Database, settings: SummaryLockSettings = {}): Promise<SummaryRebuild> {
  return db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL lock_timeout = ${Math.trunc(settings.lockTimeoutMs ?? 0)}`);
    await tx.exec('LOCK TABLE orders, trade_history IN SHARE ROW EXCLUSIVE MODE');
    await tx.exec('SET LOCAL lock_timeout = 0');
    await tx.exec(SUMMARY_INSTALL_SQL);
    await tx.exec(`DELETE FROM ${SUMMARY_TABLE}`);
    await tx.query(`INSERT INTO ${SUMMARY_TABLE} (${COLUMNS}) SELECT ${COLUMNS} FROM (${SUMMARY_RECOUNT_SQL}) AS recount`, [null]);
    await tx.exec(
      `INSERT INTO ${SUMMARY_STATE_TABLE} (id, ready, built_at) VALUES (1, true, now()) ON CONFLICT (id) DO UPDATE SET ready = true, built_at = now()`,
    );
    const counted = await tx.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${SUMMARY_TABLE}`);
    return { lifecycles: Number(counted[0]!.n) };
  });
}

/**
 * Compares every summary with a recount of orders and trade_history (optionally one profile's), in
 * one snapshot; any difference means a write bypassed the triggers (e.g. with
 * session_replication_role = replica) and `rebuildSummaries` puts it right. Read-only.
 */
export async function checkSummaries(db: Database, profileId?: string): Promise<SummaryCheck> {
  if (!(await summariesReady(db))) {
    throw new UsageError(`${db.url} keeps no complete lifecycle summaries: build them with 'tradeledger lifecycle summaries --rebuild'`, 'NO_SUMMARIES');
  }
  const differs = SUMMARY_FIGURES.map((c) => `CASE WHEN r.${c} IS DISTINCT FROM s.${c} THEN '${c}' END`).join(', ');
  return db.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const rows = await tx.query<{ profile_id: string; lifecycle_key: string; problem: SummaryMismatch['problem']; columns: string[] }>(
      `WITH r AS (${SUMMARY_RECOUNT_SQL}),
            s AS (SELECT * FROM ${SUMMARY_TABLE} WHERE ($1::text IS NULL OR profile_id = $1::text))
       SELECT COALESCE(r.profile_id, s.profile_id) AS profile_id, COALESCE(r.lifecycle_key, s.lifecycle_key) AS lifecycle_key,
              CASE WHEN s.profile_id IS NULL THEN 'missing' WHEN r.profile_id IS NULL THEN 'extra' ELSE 'differs' END AS problem,
              array_remove(ARRAY[${differs}]::text[], NULL) AS columns
         FROM r FULL JOIN s ON s.profile_id = r.profile_id AND s.lifecycle_key = r.lifecycle_key
        WHERE r.profile_id IS NULL OR s.profile_id IS NULL
           OR (${SUMMARY_FIGURES.map((c) => `r.${c}`).join(', ')}) IS DISTINCT FROM (${SUMMARY_FIGURES.map((c) => `s.${c}`).join(', ')})
        ORDER BY 1, 2`,
      [profileId ?? null],
    );
    const counted = await tx.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${SUMMARY_TABLE} WHERE ($1::text IS NULL OR profile_id = $1::text)`, [
      profileId ?? null,
    ]);
    const mismatches = rows.slice(0, 100).map((r) => ({
      profileId: r.profile_id,
      lifecycleKey: r.lifecycle_key,
      problem: r.problem,
      columns: r.problem === 'differs' ? r.columns : [],
    }));
    return { ready: true, lifecycles: Number(counted[0]!.n), mismatchCount: rows.length, mismatches, ok: rows.length === 0 };
  });
}

/** Stops keeping summaries: drops the triggers, their functions and the tables. The report and reconciliation go back to aggregating the ledger. */
export async function dropSummaries(db: Database, settings: SummaryLockSettings = {}): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL lock_timeout = ${Math.trunc(settings.lockTimeoutMs ?? 0)}`);
    await tx.exec('LOCK TABLE orders, trade_history IN ACCESS EXCLUSIVE MODE');
    await tx.exec(SUMMARY_DROP_SQL);
  });
}
