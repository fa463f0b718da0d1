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

/** How `migrate up` creates each v2 index when a v2 file lacks it (the statements of 002_schema_v2.sql). */
export const V2_INDEX_SQL: Readonly<Record<(typeof V2_REQUIRED_INDEXES)[number], string>> = {
  idx_enforcement_log_success: 'CREATE INDEX idx_enforcement_log_success ON enforcement_log (success, timestamp DESC);',
  idx_positions_updated: 'CREATE INDEX idx_positions_updated ON positions (updated_at DESC);',
  idx_orders_state_account: 'CREATE INDEX idx_orders_state_account ON orders (state, account_id);',
  idx_schema_version_applied: 'CREATE INDEX idx_schema_version_applied ON schema_version (applied_at DESC);',
};

/** The optional table's money columns, REAL as the specification writes them (docs/runbooks/risk-state-v2.md Phase 3). */
export const UNREALIZED_PNL_REAL_COLUMNS = ['unrealized_pnl', 'total_exposure'] as const;

/** The optional table as 002_schema_v2.sql creates it, under `name`. */
export function unrealizedPnlTableSql(name: string): string {
  return `CREATE TABLE ${name} (
    account_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    unrealized_pnl REAL NOT NULL,
    positions_count INTEGER NOT NULL,
    total_exposure REAL,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (account_id, timestamp)
);`;
}

/** The optional table's two indexes, as 002_schema_v2.sql creates them. */
export const UNREALIZED_PNL_INDEX_SQL: Readonly<Record<(typeof UNREALIZED_PNL_INDEXES)[number], string>> = {
  idx_daily_unrealized_pnl_date: 'CREATE INDEX idx_daily_unrealized_pnl_date ON daily_unrealized_pnl (timestamp DESC);',
  idx_daily_unrealized_pnl_account_date: 'CREATE INDEX idx_daily_unrealized_pnl_account_date ON daily_unrealized_pnl (account_id, timestamp DESC);',
};
