-- migrate:description Baseline schema - 9 tables (lockouts, daily_pnl, contract_cache, trade_history, session_state, positions, orders, enforcement_log, reset_schedule)
--
-- The risk-manager daemon's v1 state (DB-SCHEMA-006). A database an older daemon made with these
-- nine tables and no schema_version is adopted as version 1, never created again (see baseline.ts).
--
-- Money and quantity columns are TEXT holding a decimal string ('21000.25', '-550.5'): SQLite's
-- NUMERIC and REAL affinities would store them as binary floats, and a P&L limit compared against
-- a float drifts by fractions of a cent. Timestamps are ISO-8601 UTC text, dates YYYY-MM-DD.
-- Enumerations (order type, side, state) are checked by the typed models in src/domain, not by
-- CHECK constraints, so that a new value (OrderType.TRAILING_STOP in v2) needs no table rebuild.

-- migrate:up

-- Lockout Manager: one row per account; locked_until NULL locks until an operator resets it.
CREATE TABLE lockouts (
    account_id INTEGER PRIMARY KEY,
    is_locked INTEGER NOT NULL DEFAULT 0 CHECK (is_locked IN (0, 1)),
    reason TEXT,
    rule_id TEXT,
    locked_at TEXT,
    locked_until TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_lockouts_until ON lockouts (locked_until);

-- PnL Tracker: realized P&L per account and trading day.
CREATE TABLE daily_pnl (
    account_id INTEGER NOT NULL,
    date TEXT NOT NULL,
    realized_pnl TEXT NOT NULL DEFAULT '0',
    last_updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (account_id, date)
);
CREATE INDEX idx_daily_pnl_date ON daily_pnl (date);

-- Contract Cache: broker contract metadata, so P&L math needs no API call per quote.
CREATE TABLE contract_cache (
    contract_id TEXT PRIMARY KEY,
    symbol TEXT NOT NULL,
    name TEXT,
    tick_size TEXT NOT NULL,
    tick_value TEXT NOT NULL,
    cached_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_contract_cache_symbol ON contract_cache (symbol);

-- Trade Counter: executions, for frequency limits over rolling windows; pnl NULL on a half-turn.
CREATE TABLE trade_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    contract_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    quantity TEXT NOT NULL,
    price TEXT,
    pnl TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_trade_history_account_time ON trade_history (account_id, timestamp DESC);
CREATE INDEX idx_trade_history_timestamp ON trade_history (timestamp);

-- Trade Counter: when each account's current session began (the last daily reset).
CREATE TABLE session_state (
    account_id INTEGER PRIMARY KEY,
    session_start TEXT NOT NULL,
    trade_count INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- State Manager: open positions mirrored from the broker, reloaded after a crash.
CREATE TABLE positions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    contract_id TEXT NOT NULL,
    type INTEGER NOT NULL,
    size TEXT NOT NULL,
    average_price TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_positions_account ON positions (account_id);
CREATE INDEX idx_positions_contract ON positions (contract_id);

-- State Manager: working orders mirrored from the broker; type, side and state as in src/domain/order.ts.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    contract_id TEXT NOT NULL,
    type INTEGER NOT NULL,
    side TEXT NOT NULL,
    size TEXT NOT NULL,
    filled_size TEXT NOT NULL DEFAULT '0',
    limit_price TEXT,
    stop_price TEXT,
    state INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_orders_account ON orders (account_id);
CREATE INDEX idx_orders_contract ON orders (contract_id);
CREATE INDEX idx_orders_state ON orders (state);

-- Enforcement Actions: the audit trail of every action a rule took; details is JSON.
CREATE TABLE enforcement_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    account_id INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    success INTEGER NOT NULL DEFAULT 1 CHECK (success IN (0, 1)),
    details TEXT
);
CREATE INDEX idx_enforcement_account ON enforcement_log (account_id);
CREATE INDEX idx_enforcement_timestamp ON enforcement_log (timestamp DESC);
CREATE INDEX idx_enforcement_rule ON enforcement_log (rule_id);

-- Reset Scheduler: the last daily reset, so a restart near reset time does not reset twice.
CREATE TABLE reset_schedule (
    account_id INTEGER PRIMARY KEY,
    reset_time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    last_reset_date TEXT,
    next_reset_at TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- migrate:down
-- Guarded like the other packs' down sections: refused while any of the nine tables holds a row,
-- unless `migrate down --allow-data-loss` (temp.tradeledger_settings, set by the planner).
-- RAISE works only in a trigger, hence the temporary one.
CREATE TEMP TABLE IF NOT EXISTS tradeledger_settings (name TEXT PRIMARY KEY, value TEXT);
CREATE TEMP TABLE tradeledger_down_guard (checked INTEGER);
CREATE TEMP TRIGGER tradeledger_down_guard_check BEFORE INSERT ON tradeledger_down_guard
BEGIN
    SELECT RAISE(ABORT, 'the risk-state tables hold the daemon''s state (positions, orders, P&L, lockouts, the enforcement log); to drop them run migrate down --allow-data-loss')
     WHERE NOT EXISTS (SELECT 1 FROM temp.tradeledger_settings WHERE name = 'allow_data_loss' AND value = 'on')
       AND (EXISTS (SELECT 1 FROM main.lockouts) OR EXISTS (SELECT 1 FROM main.daily_pnl) OR EXISTS (SELECT 1 FROM main.contract_cache)
         OR EXISTS (SELECT 1 FROM main.trade_history) OR EXISTS (SELECT 1 FROM main.session_state) OR EXISTS (SELECT 1 FROM main.positions)
         OR EXISTS (SELECT 1 FROM main.orders) OR EXISTS (SELECT 1 FROM main.enforcement_log) OR EXISTS (SELECT 1 FROM main.reset_schedule));
END;
INSERT INTO tradeledger_down_guard VALUES (1);
DROP TABLE tradeledger_down_guard;
-- Dropping a table drops its indexes with it.
DROP TABLE reset_schedule;
DROP TABLE enforcement_log;
DROP TABLE orders;
DROP TABLE positions;
DROP TABLE session_state;
DROP TABLE trade_history;
DROP TABLE contract_cache;
DROP TABLE daily_pnl;
DROP TABLE lockouts;
