import type { Decimal } from 'decimal.js';

/** An open lifecycle as reconciliation sees it: the figures of docs/runbooks/reconciliation-exit-backfill.md §1 plus what the gates need. */
export interface OpenLifecycle {
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string;
  readonly entryQty: Decimal;
  readonly exitQty: Decimal;
  /** entry_qty − exit_qty, > 0. */
  readonly openQty: Decimal;
  /** Side of the first ENTRY ('buy' for a long); exits are the other side. */
  readonly entrySide: 'buy' | 'sell';
  readonly firstEntryAt: Date;
  /** Latest fill of the lifecycle's own (non-backfill) orders. */
  readonly lastFillAt: Date;
}

/** The side that closes a lifecycle. */
export function exitSide(lifecycle: Pick<OpenLifecycle, 'entrySide'>): 'buy' | 'sell' {
  return lifecycle.entrySide === 'buy' ? 'sell' : 'buy';
}
