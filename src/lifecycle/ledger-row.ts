import type { Decimal } from 'decimal.js';

/** Order statuses whose quantity changed the position (the filter of docs/runbooks/reconciliation-exit-backfill.md §1). */
export const FILLED_STATUSES = ['filled', 'partially_filled', 'partially-filled'] as const;

/** Statuses after which an order can no longer fill. */
export const TERMINAL_STATUSES = ['filled', 'canceled', 'rejected', 'expired'] as const;

/** Sources the backfill never touches: rows a person or an older system wrote. */
export const UNTOUCHED_SOURCES = ['manual', 'legacy'] as const;

/** One `orders` row as the lifecycle walk needs it. */
export interface LedgerRow {
  readonly orderId: string;
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string | null;
  readonly action: 'ENTRY' | 'EXIT' | null;
  readonly status: string;
  readonly source: string;
  /** COALESCE(quantity, qty, 0), exact. */
  readonly quantity: Decimal;
  readonly filledAt: Date | null;
  readonly createdAt: Date;
}

/** An orders row as the walk selects it, its quantity as text and its times as the driver gives them (`T`). */
export interface WalkRecord<T> {
  readonly order_id: string;
  readonly profile_id: string;
  readonly symbol: string;
  readonly trade_id: string | null;
  readonly action: string | null;
  readonly status: string;
  readonly source: string;
  readonly quantity: string;
  readonly filled_at: T | null;
  readonly created_at: T;
}

/** A walk record as the walk reads it, with its quantity and times already read (each dialect reads them its own way). */
export function ledgerRowOf(row: WalkRecord<unknown>, quantity: Decimal, filledAt: Date | null, createdAt: Date): LedgerRow {
  return {
    orderId: row.order_id,
    profileId: row.profile_id,
    symbol: row.symbol,
    tradeId: row.trade_id,
    action: row.action === 'ENTRY' || row.action === 'EXIT' ? row.action : null,
    status: row.status,
    source: row.source,
    quantity,
    filledAt,
    createdAt,
  };
}

/** True when the row's quantity moved the position. */
export function isFilled(row: Pick<LedgerRow, 'status'>): boolean {
  return (FILLED_STATUSES as readonly string[]).includes(row.status);
}
