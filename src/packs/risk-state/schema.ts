/** The nine tables of risk-state v1 (docs/runbooks/risk-state-v2.md DB-SCHEMA-006 Phase 0, "Expected v1 Tables"), in the specification's order. */
export const V1_TABLES = [
  'lockouts',
  'daily_pnl',
  'contract_cache',
  'trade_history',
  'session_state',
  'positions',
  'orders',
  'enforcement_log',
  'reset_schedule',
] as const;

/** The thirteen indexes v1 has, by the names the specification's list gives (docs/runbooks/risk-state-v2.md Phase 2). */
export const V1_INDEXES = [
  'idx_contract_cache_symbol',
  'idx_daily_pnl_date',
  'idx_enforcement_account',
  'idx_enforcement_rule',
  'idx_enforcement_timestamp',
  'idx_lockouts_until',
  'idx_orders_account',
  'idx_orders_contract',
  'idx_orders_state',
  'idx_positions_account',
  'idx_positions_contract',
  'idx_trade_history_account_time',
  'idx_trade_history_timestamp',
] as const;

/** The indexes v2 must have (docs/runbooks/risk-state-v2.md DB-SCHEMA-006 Phase 4, check 5); the last is made by the migration engine. */
export const V2_REQUIRED_INDEXES = ['idx_enforcement_log_success', 'idx_positions_updated', 'idx_orders_state_account', 'idx_schema_version_applied'] as const;

/** The optional v2 table, created only with `database.track_unrealized_pnl: true`. */
export const UNREALIZED_PNL_TABLE = 'daily_unrealized_pnl';

/** The optional table's indexes. */
export const UNREALIZED_PNL_INDEXES = ['idx_daily_unrealized_pnl_date', 'idx_daily_unrealized_pnl_account_date'] as const;

/** The pack option that turns the optional table on. */
export const TRACK_UNREALIZED_PNL = 'track_unrealized_pnl';

/**
 * Columns v2 builds on (its indexes and ALTER): a v1 database without them cannot be upgraded,
 * so adoption refuses it up front instead of failing half-way through version 2.
 */
export const V2_PREREQUISITE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  enforcement_log: ['success', 'timestamp'],
  positions: ['updated_at'],
  orders: ['state', 'account_id'],
};
