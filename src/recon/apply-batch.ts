import type { Database } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { applyPlannedRows, type ApplyItem } from './apply-rows.ts';
import { writeAuditRows, type AuditRow } from './audit-rows.ts';
import { countDecisions, inBatchTransaction, noGoRow, type CycleResult, type ReconDeps } from './cycle.ts';
import { requireApplyAllowed } from './flags.ts';
import { decideAll, gatherEvidence } from './gather.ts';

interface PendingRow {
  readonly profile_id: string;
  readonly symbol: string | null;
  readonly trade_id: string;
  readonly backfill_order_id: string;
  readonly open_qty: string | null;
  readonly evidence: { hash?: string } | null;
}

/**
 * `recon apply --batch B`: re-checks every gate and the evidence of each PENDING_APPLY candidate
 * of a plan, then inserts it (APPLIED), skips one whose order_id exists (SKIP_EXISTING), reinstates
 * one a rollback canceled (APPLIED), or refuses one whose situation changed (NO_GO, saying what).
 * One transaction under per-profile locks, audit rows first. Refused (SafetyError) while the
 * master switch is off or dry run is on, whoever calls it.
 */
export async function applyBatch(db: Database, deps: ReconDeps, batchId: string, now = new Date()): Promise<CycleResult> {
  requireApplyAllowed(deps.flags);
  const pending = await db.query<PendingRow>(
    `SELECT profile_id, symbol, trade_id, backfill_order_id, open_qty::text AS open_qty, evidence
       FROM reconciliation_backfill_audit WHERE batch_id = $1 AND decision = 'PENDING_APPLY' ORDER BY id`,
    [batchId],
  );
  if (pending.length === 0) {
    throw new UsageError(`batch ${batchId} has no PENDING_APPLY candidates: make one with 'recon plan' (see 'recon audit --batch ${batchId}')`, 'NO_PENDING');
  }
  const unique = new Map(pending.map((row) => [`${row.profile_id}\u0000${row.trade_id}`, { profileId: row.profile_id, tradeId: row.trade_id }]));
  const scope = { keys: [...unique.values()] };
  const profiles = new Set(pending.map((row) => row.profile_id));
  const evidence = await gatherEvidence(db, deps.evidence, deps.flags, scope, now);
  return inBatchTransaction(db, profiles, async (tx) => {
    const decided = (await decideAll(tx, evidence, deps.flags, deps.pause, scope)).decisions;
    const byTrade = new Map(decided.map((d) => [`${d.lifecycle.profileId}\u0000${d.lifecycle.tradeId}`, d]));
    const audit: AuditRow[] = [];
    const items: ApplyItem[] = [];
    const closed: PendingRow[] = [];
    for (const row of pending) {
      const current = byTrade.get(`${row.profile_id}\u0000${row.trade_id}`);
      if (current === undefined) {
        closed.push(row);
        continue;
      }
      if (!current.decision.go) {
        audit.push({ ...noGoRow(batchId, current), backfillOrderId: row.backfill_order_id });
        continue;
      }
      const planned = current.decision.rows.find((r) => r.orderId === row.backfill_order_id);
      if (planned === undefined || current.decision.evidenceHash !== row.evidence?.hash) {
        const detail =
          planned === undefined
            ? `the evidence no longer plans ${row.backfill_order_id} (open ${row.open_qty} then, ${current.decision.openQty.toString()} now)`
            : `open quantity or evidence changed since the plan (open ${row.open_qty} then, ${current.decision.openQty.toString()} now)`;
        audit.push({ ...noGoRow(batchId, current, { reason: 'evidence_changed', detail }), backfillOrderId: row.backfill_order_id });
        continue;
      }
      items.push({ batchId, row: planned, decision: current.decision });
    }
    if (closed.length > 0) {
      // The lifecycle is no longer open: an order already there is a rerun (SKIP_EXISTING); anything else changed.
      const present = await tx.query<{ order_id: string; status: string }>('SELECT order_id, status FROM orders WHERE order_id = ANY ($1::text[])', [
        closed.map((r) => r.backfill_order_id),
      ]);
      const status = new Map(present.map((r) => [r.order_id, r.status]));
      for (const row of closed) {
        const found = status.get(row.backfill_order_id);
        audit.push({
          batchId,
          profileId: row.profile_id,
          symbol: row.symbol,
          tradeId: row.trade_id,
          decision: found === 'filled' ? 'SKIP_EXISTING' : 'NO_GO',
          reason: found === 'filled' ? 'order_id exists (status filled); the lifecycle is closed' : 'lifecycle_closed: the lifecycle is no longer open',
          openQty: null,
          filledQty: null,
          dustQty: null,
          backfillOrderId: row.backfill_order_id,
          exchangeOrderId: null,
          exchangeClientOrderId: null,
          evidence: null,
        });
      }
    }
    await writeAuditRows(tx, audit);
    audit.push(...(await applyPlannedRows(tx, items, (rows) => writeAuditRows(tx, rows))));
    return { disabled: false, mode: 'apply', batchId, audit, counts: countDecisions(audit), mismatches: [], lifecycles: decided.length };
  });
}
