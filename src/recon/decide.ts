import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Allocation } from './allocate.ts';
import { backfillOrderId, DUST } from './backfill-id.ts';
import { DUST_CEILING_FRACTION, type ReconFlags } from './flags.ts';
import { exitSide, type OpenLifecycle } from './lifecycle.ts';

/** Why a lifecycle may not be closed now; each is one of the specification's gates. */
export type NoGoReason =
  | 'profile_not_paused'
  | 'pause_state_unknown'
  | 'exchange_not_flat'
  | 'pending_blocker'
  | 'evidence_incomplete'
  | 'missing_fill_evidence_for_large_remainder';

/** A compensating EXIT row to insert. */
export interface PlannedExit {
  readonly orderId: string;
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: Decimal;
  readonly price: Decimal | null;
  readonly filledAt: Date;
  /** The evidence order, or `dust` for the remainder row. */
  readonly exchangeOrderId: string;
  readonly clientOrderId: string | null;
  readonly kind: 'evidence' | 'dust';
  readonly exchangeTradeIds: readonly string[];
}

/** The facts the gates read, gathered for one lifecycle. */
export interface DecisionInput {
  readonly lifecycle: OpenLifecycle;
  /** True paused, false running, null unknown (the status source failed). */
  readonly paused: boolean | null;
  /** The exchange's position for the symbol, or null when none was observed. */
  readonly exchangePosition: Decimal | null;
  /** Non-terminal orders of the trade_id. */
  readonly pendingBlockers: readonly string[];
  readonly evidenceComplete: boolean;
  readonly evidenceProblems: readonly string[];
  readonly allocations: readonly Allocation[];
  readonly flags: ReconFlags;
}

/** A failing gate and what it saw. */
export interface FailedGate {
  readonly reason: NoGoReason;
  readonly detail: string;
}

/** What `decide` concluded for one lifecycle. */
export interface Decision {
  readonly go: boolean;
  /** Every failing gate, in the order the specification lists them; the first is the audit's reason. */
  readonly failed: readonly FailedGate[];
  readonly rows: readonly PlannedExit[];
  readonly openQty: Decimal;
  /** Quantity the evidence covers (never above open_qty). */
  readonly filledQty: Decimal;
  /** The remainder, when it is within the dust threshold and will be closed; else 0. */
  readonly dustQty: Decimal;
  readonly remainder: Decimal;
  readonly threshold: Decimal;
  /** sha256 of the planned rows and the open quantity: what `recon apply` re-checks. */
  readonly evidenceHash: string;
}

/**
 * The dust threshold of docs/runbooks/reconciliation-exit-backfill.md §4, max(dust_abs_qty,
 * open_qty × dust_rel_pct), never above DUST_CEILING_FRACTION of the open quantity: no setting
 * can make a real remainder "dust".
 */
export function dustThreshold(openQty: Decimal, flags: Pick<ReconFlags, 'dustAbsQty' | 'dustRelPct'>): Decimal {
  return Decimal.min(Decimal.max(flags.dustAbsQty, openQty.times(flags.dustRelPct)), openQty.abs().times(DUST_CEILING_FRACTION));
}

/** A stable hash of what a decision would insert. */
export function planHash(openQty: Decimal, rows: readonly PlannedExit[]): string {
  const canonical = JSON.stringify({
    open: openQty.toString(),
    rows: rows.map((r) => [r.orderId, r.quantity.toString(), r.price?.toString() ?? null, r.filledAt.toISOString(), r.exchangeOrderId]),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The pure decision for one open lifecycle (docs/runbooks/reconciliation-exit-backfill.md §2–§4):
 * every gate is checked, the covered quantity is always closable, a remainder only when it is at
 * or below the dust threshold. Touches nothing.
 */
export function decide(input: DecisionInput): Decision {
  const { lifecycle, flags } = input;
  const failed: FailedGate[] = [];
  if (flags.requirePause) {
    if (input.paused === null) failed.push({ reason: 'pause_state_unknown', detail: 'the pause state could not be read' });
    else if (!input.paused) failed.push({ reason: 'profile_not_paused', detail: `profile ${lifecycle.profileId} is RUNNING` });
  }
  if (input.exchangePosition === null) {
    failed.push({ reason: 'evidence_incomplete', detail: `no exchange position observed for ${lifecycle.symbol}` });
  } else if (!input.exchangePosition.isZero()) {
    failed.push({ reason: 'exchange_not_flat', detail: `exchange holds ${input.exchangePosition.toString()} ${lifecycle.symbol}` });
  }
  if (input.pendingBlockers.length > 0) {
    failed.push({ reason: 'pending_blocker', detail: `non-terminal order(s) ${input.pendingBlockers.join(', ')}` });
  }
  if (!input.evidenceComplete) {
    failed.push({ reason: 'evidence_incomplete', detail: input.evidenceProblems.join('; ') || 'the evidence source did not cover the lookback window' });
  }
  const openQty = lifecycle.openQty;
  const covered = Decimal.min(
    openQty,
    input.allocations.reduce((sum, a) => sum.plus(a.quantity), new Decimal(0)),
  );
  const remainder = openQty.minus(covered);
  const threshold = dustThreshold(openQty, flags);
  const dust = remainder.gt(0) && remainder.lte(threshold) ? remainder : new Decimal(0);
  if (remainder.gt(threshold)) {
    failed.push({
      reason: 'missing_fill_evidence_for_large_remainder',
      detail: `remainder ${remainder.toString()} of ${openQty.toString()} exceeds the dust threshold ${threshold.toString()}`,
    });
  }
  const side = exitSide(lifecycle);
  const rows: PlannedExit[] = input.allocations.map((a) => ({
    orderId: backfillOrderId(lifecycle.profileId, lifecycle.tradeId, a.exchangeOrderId, a.filledAt),
    profileId: lifecycle.profileId,
    symbol: lifecycle.symbol,
    tradeId: lifecycle.tradeId,
    side,
    quantity: a.quantity,
    price: a.price,
    filledAt: a.filledAt,
    exchangeOrderId: a.exchangeOrderId,
    clientOrderId: a.clientOrderId,
    kind: 'evidence',
    exchangeTradeIds: a.exchangeTradeIds,
  }));
  if (dust.gt(0)) {
    // The dust row's time is the lifecycle's last fill (its own or the evidence's): stable across reruns.
    const last = new Date(Math.max(lifecycle.lastFillAt.getTime(), ...input.allocations.map((a) => a.filledAt.getTime())));
    rows.push({
      orderId: backfillOrderId(lifecycle.profileId, lifecycle.tradeId, DUST, last),
      profileId: lifecycle.profileId,
      symbol: lifecycle.symbol,
      tradeId: lifecycle.tradeId,
      side,
      quantity: dust,
      price: null,
      filledAt: last,
      exchangeOrderId: DUST,
      clientOrderId: null,
      kind: 'dust',
      exchangeTradeIds: [],
    });
  }
  return {
    go: failed.length === 0,
    failed,
    rows,
    openQty,
    filledQty: covered,
    dustQty: dust,
    remainder,
    threshold,
    evidenceHash: planHash(openQty, rows),
  };
}
