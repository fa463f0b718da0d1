-- migrate:description Schema v2: Add schema_version table, analytics indexes, optional daily_unrealized_pnl table
--
-- DB-SCHEMA-006 phases 1-3, in one transaction: a failure part-way leaves no trace of v2.
-- Phase 1 (schema_version and idx_schema_version_applied, with the rows for versions 1 and 2) is
-- done by tradeledger itself in this same transaction, so it is not repeated here.
-- No IF NOT EXISTS: the history guarantees this runs once, and an index of the same name already
-- on another table must stop the upgrade rather than be taken for ours.

-- migrate:up

-- Phase 2: analytics indexes (DB-SCHEMA-005).
CREATE INDEX idx_enforcement_log_success ON enforcement_log (success, timestamp DESC);
CREATE INDEX idx_positions_updated ON positions (updated_at DESC);
CREATE INDEX idx_orders_state_account ON orders (state, account_id);

-- DB-SCHEMA-003: how long each enforcement action took; NULL for rows logged before v2.
ALTER TABLE enforcement_log ADD COLUMN execution_time_ms INTEGER;

-- Phase 3 (optional, database.track_unrealized_pnl): daily unrealized P&L snapshots (DB-SCHEMA-002).
-- REAL, as the specification writes it: these are reporting snapshots, never compared against a
-- limit; tradeledger reads and writes them through decimal.js, never adding binary floats.
-- Turned on after v2, `migrate up` creates it as a recorded repair (src/packs/risk-state/repair.ts).
-- pack:if track_unrealized_pnl
CREATE TABLE daily_unrealized_pnl (
    account_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL, -- YYYY-MM-DD
    unrealized_pnl REAL NOT NULL,
    positions_count INTEGER NOT NULL,
    total_exposure REAL,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (account_id, timestamp)
);
CREATE INDEX idx_daily_unrealized_pnl_date ON daily_unrealized_pnl (timestamp DESC);
CREATE INDEX idx_daily_unrealized_pnl_account_date ON daily_unrealized_pnl (account_id, timestamp DESC);
-- pack:end

-- migrate:down
-- Guarded like the other packs' down sections: refused while execution_time_ms holds values or the
-- optional table holds rows, unless `migrate down --allow-data-loss` (temp.tradeledger_settings,
-- set by the planner). RAISE works only in a trigger, hence the temporary one.
CREATE TEMP TABLE IF NOT EXISTS tradeledger_settings (name TEXT PRIMARY KEY, value TEXT);
-- So that the check below can name it when tracking was off (it is dropped again below).
CREATE TABLE IF NOT EXISTS main.daily_unrealized_pnl (account_id INTEGER);
CREATE TEMP TABLE tradeledger_down_guard (checked INTEGER);
CREATE TEMP TRIGGER tradeledger_down_guard_check BEFORE INSERT ON tradeledger_down_guard
BEGIN
    SELECT RAISE(ABORT, 'enforcement_log.execution_time_ms holds the timings of actions logged since v2; to drop them run migrate down --allow-data-loss')
     WHERE NOT EXISTS (SELECT 1 FROM temp.tradeledger_settings WHERE name = 'allow_data_loss' AND value = 'on')
       AND EXISTS (SELECT 1 FROM main.enforcement_log WHERE execution_time_ms IS NOT NULL);
    SELECT RAISE(ABORT, 'daily_unrealized_pnl holds unrealized P&L snapshots; to drop them run migrate down --allow-data-loss')
     WHERE NOT EXISTS (SELECT 1 FROM temp.tradeledger_settings WHERE name = 'allow_data_loss' AND value = 'on')
       AND EXISTS (SELECT 1 FROM main.daily_unrealized_pnl);
END;
INSERT INTO tradeledger_down_guard VALUES (1);
DROP TABLE tradeledger_down_guard;
DROP TABLE daily_unrealized_pnl;
ALTER TABLE enforcement_log DROP COLUMN execution_time_ms;
DROP INDEX idx_orders_state_account;
DROP INDEX idx_positions_updated;
DROP INDEX idx_enforcement_log_success;
