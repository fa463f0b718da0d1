import type { Database, Queryable } from '../db/port.ts';
import type { EvidenceSource } from '../evidence/port.ts';
import { applyPlannedRows, plannedAuditRow, type ApplyItem } from './apply-rows.ts';
import { newReconBatchId, writeAuditRows, type AuditRow } from './audit-rows.ts';
import { decideAll, gatherEvidence, lockProfiles, type LifecycleDecision, type MismatchEvent, type Scope } from './gather.ts';
import { requireApplyAllowed, requireEnabled, type ReconFlags } from './flags.ts';
import type { PauseSource } from './pause.ts';
import { cycleKeys, saveOpenSet } from './open-set.ts';
import { openLifecycleKeys } from './detect.ts';

/** What a cycle needs besides the database. */
export interface ReconDeps {
  readonly evidence: EvidenceSource;
  readonly flags: ReconFlags;
  readonly pause: PauseSource;
}

/** What one cycle did. */
export interface CycleResult {
  /** True when ENABLE_RECON_EXIT_BACKFILL is off: nothing was looked at or written. */
  readonly disabled: boolean;
  readonly mode: 'dry-run' | 'plan' | 'apply';
  readonly batchId: string | null;
  readonly audit: readonly AuditRow[];
  readonly counts: Readonly<Record<string, number>>;
  readonly mismatches: readonly MismatchEvent[];
  readonly lifecycles: number;
}

/** The NO_GO audit row of a decision: its first failing gate is the reason, all of them the evidence. */
export function noGoRow(batchId: string, item: LifecycleDecision, extra?: { reason: string; detail: string }): AuditRow {
  const { lifecycle, decision } = item;
  const first = extra ?? decision.failed[0]!;
  return {
    batchId,
    profileId: lifecycle.profileId,
    symbol: lifecycle.symbol,
    tradeId: lifecycle.tradeId,
    decision: 'NO_GO',
    reason: first.reason,
    openQty: decision.openQty,
    filledQty: decision.filledQty,
    dustQty: decision.dustQty,
    backfillOrderId: null,
    exchangeOrderId: null,
    exchangeClientOrderId: null,
    evidence: {
      gates: decision.failed,
      ...(extra === undefined ? {} : { detail: extra.detail }),
      remainder: decision.remainder.toString(),
      threshold: decision.threshold.toString(),
      planned: decision.rows.map((r) => ({ order_id: r.orderId, exchange_order_id: r.exchangeOrderId, quantity: r.quantity.toString() })),
    },
  };
}

/** Counts audit rows by decision. */
export function countDecisions(rows: readonly AuditRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.decision] = (counts[row.decision] ?? 0) + 1;
  return counts;
}

/** Runs `fn` in the batch's one transaction with the profiles' reconciliation locks held. */
export async function inBatchTransaction<T>(db: Database, profiles: Iterable<string>, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await lockProfiles(tx, profiles);
    return fn(tx);
  });
}

/**
 * One reconciliation cycle (docs/runbooks/reconciliation-exit-backfill.md §5–§7). Dry run: audit
 * rows only (DRY_RUN per candidate row, NO_GO per refused lifecycle), orders untouched. Plan:
 * PENDING_APPLY rows with the evidence hash for `recon apply`. Apply (dry run off): plan and apply
 * in one batch. It looks only at lifecycles open at the last cycle or written since (see
 * `cycleKeys`); a full refresh finds the open ones with one aggregate first (`openLifecycleKeys`),
 * and either way the evidence and the decisions read those keys alone, by index. A lifecycle that
 * opens after the keys were found is left to the next cycle (its orders are past the watermark). Everything a batch writes commits in one transaction under per-profile locks:
 * killed halfway, nothing of it remains. With the master switch off a plain cycle does nothing;
 * asking for a plan or an apply then, or for an apply in dry run, is refused (SafetyError).
 */
export async function runReconCycle(
  db: Database,
  deps: ReconDeps,
  options: { mode?: 'dry-run' | 'plan' | 'apply'; scope?: Pick<Scope, 'profileId'>; now?: Date; full?: boolean } = {},
): Promise<CycleResult> {
  const mode = options.mode ?? (deps.flags.dryRun ? 'dry-run' : 'apply');
  // A plain cycle (the daemon's, `recon run`) with the switch off does nothing; asking for a plan or an apply is refused.
  if (!deps.flags.enabled && options.mode === undefined) return { disabled: true, mode, batchId: null, audit: [], counts: {}, mismatches: [], lifecycles: 0 };
  if (mode === 'apply') requireApplyAllowed(deps.flags);
  else requireEnabled(deps.flags, mode === 'plan' ? 'plan' : 'run a dry run');
  const now = options.now ?? new Date();
  const looked = await cycleKeys(db, options.scope?.profileId, now, options.full === true);
  // The open keys are found once; evidence and the decisions inside the transaction read those keys alone.
  const keys = looked.keys ?? (await openLifecycleKeys(db, options.scope?.profileId));
  const scope = { ...options.scope, keys };
  const evidence = await gatherEvidence(db, deps.evidence, deps.flags, scope, now);
  // The id carries the wall clock even when `now` is a replayed time, so ids sort by when they were made.
  const batchId = newReconBatchId();
  return inBatchTransaction(db, evidence.keys(), async (tx) => {
    const { decisions, mismatches } = await decideAll(tx, evidence, deps.flags, deps.pause, scope);
    await saveOpenSet(
      tx,
      looked,
      decisions.map((d) => d.lifecycle),
      options.scope?.profileId,
      now,
    );
    const audit: AuditRow[] = decisions.filter((d) => !d.decision.go).map((d) => noGoRow(batchId, d));
    const items: ApplyItem[] = decisions.filter((d) => d.decision.go).flatMap((d) => d.decision.rows.map((row) => ({ batchId, row, decision: d.decision })));
    if (mode === 'apply') {
      await writeAuditRows(tx, audit);
      audit.push(...(await applyPlannedRows(tx, items, (rows) => writeAuditRows(tx, rows))));
    } else {
      const decision = mode === 'dry-run' ? 'DRY_RUN' : 'PENDING_APPLY';
      audit.push(
        ...items.map((item) =>
          plannedAuditRow(item, decision, item.row.kind === 'dust' ? 'dust remainder within threshold' : 'covered by exchange fill evidence'),
        ),
      );
      await writeAuditRows(tx, audit);
    }
    return {
      disabled: false,
      mode,
      batchId: audit.length === 0 ? null : batchId,
      audit,
      counts: countDecisions(audit),
      mismatches,
      lifecycles: decisions.length,
    };
  });
}
