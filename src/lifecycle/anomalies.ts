/** Every anomaly kind `lifecycle report` knows, in the order it lists them. */
export const ANOMALY_KINDS = [
  'missing_entry_order',
  'orphan_exit',
  'over_exit',
  'ghost_position',
  'untracked_position',
  'history_mismatch',
  'duplicate_lifecycle_key',
  'missing_trade_id',
  'blank_trade_id',
  'malformed_trade_id',
] as const;

/** One anomaly kind. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** A row that proves an anomaly. */
export interface AnomalyRow {
  readonly table: 'orders' | 'trade_history' | 'positions';
  /** order_id, trade_history id, or `profile_id/symbol` for positions. */
  readonly key: string;
}

/** One anomaly with the rows that prove it. */
export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly profileId: string;
  readonly symbol: string | null;
  readonly tradeId: string | null;
  readonly detail: string;
  readonly rows: readonly AnomalyRow[];
  /** Blocks docs/runbooks/trade-lifecycle-integrity.md Phase D: a row would violate a constraint, or the specification says resolve it first. */
  readonly blocking: boolean;
}

/**
 * Whether an anomaly blocks validation: docs/runbooks/trade-lifecycle-integrity.md Phase C says
 * resolve every missing_entry_order and orphan_exit first, and blank, malformed or missing
 * trade_ids on bot rows violate the constraints.
 * A trade_history row without a trade_id is allowed by its constraints, so it informs only.
 */
export function isBlocking(kind: AnomalyKind, rows: readonly AnomalyRow[]): boolean {
  switch (kind) {
    case 'missing_entry_order':
    case 'orphan_exit':
    case 'blank_trade_id':
    case 'malformed_trade_id':
      return true;
    case 'missing_trade_id':
      return rows.some((row) => row.table === 'orders');
    default:
      return false;
  }
}
