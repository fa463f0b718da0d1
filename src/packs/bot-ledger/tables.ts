/**
 * The bot-ledger pack's schema facts that other modules ask for: which of its tables each feature
 * needs, and its guardrail constraints. The one place these names are written outside the pack's SQL.
 */

/** Tables the lifecycle commands read and write (all from this pack). */
export const LIFECYCLE_TABLES = [
  'orders',
  'trade_history',
  'positions',
  'lifecycle_snapshots',
  'lifecycle_backfill_batches',
  'lifecycle_backfill_changes',
] as const;

/** Tables a reconciliation cycle reads and writes. */
export const RECON_TABLES = ['orders', 'trading_status', 'exchange_fills', 'exchange_positions', 'reconciliation_backfill_audit'] as const;

/** Tables the reconciliation reports (verify, rollback) read. */
export const RECON_REPORT_TABLES = ['orders', 'reconciliation_backfill_audit'] as const;

/** The reconciliation audit table alone (`recon audit`). */
export const RECON_AUDIT_TABLES = ['reconciliation_backfill_audit'] as const;

/** Tables the `table` evidence source reads: the exchange mirror. */
export const EVIDENCE_TABLES = ['exchange_fills', 'exchange_positions'] as const;

/** Tables the daemon's smoke check counts (docs/runbooks/risk-state-v2.md Phase 4's sample reads, for this pack). */
export const SAMPLE_TABLES = ['orders', 'positions', 'trade_history'] as const;

/** Tables `recon detect` reads. */
export const DETECT_TABLES = ['orders'] as const;

/** Migration 007's five guardrail constraints, in the order of docs/runbooks/trade-lifecycle-integrity.md Phase D. */
export const GUARDRAILS = [
  { table: 'orders', name: 'chk_orders_action_lifecycle' },
  { table: 'orders', name: 'chk_orders_trade_id_not_blank' },
  { table: 'orders', name: 'chk_orders_trade_id_format' },
  { table: 'trade_history', name: 'chk_trade_history_trade_id_not_blank' },
  { table: 'trade_history', name: 'chk_trade_history_trade_id_format' },
] as const;
