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
-- The specification's REAL columns are decimal TEXT here, as in every v1 money column: a REAL
-- P&L is a binary float and sums of snapshots drift by fractions of a cent.
-- pack:if track_unrealized_pnl
CREATE TABLE daily_unrealized_pnl (
    account_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL, -- YYYY-MM-DD
    unrealized_pnl TEXT NOT NULL,
    positions_count INTEGER NOT NULL,
    total_exposure TEXT,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (account_id, timestamp)
);
CREATE INDEX idx_daily_unrealized_pnl_date ON daily_unrealized_pnl (timestamp DESC);
CREATE INDEX idx_daily_unrealized_pnl_account_date ON daily_unrealized_pnl (account_id, timestamp DESC);
-- pack:end

-- migrate:down
-- IF EXISTS: the optional table is there only if tracking was on when v2 was applied.
DROP TABLE IF EXISTS daily_unrealized_pnl;
ALTER TABLE enforcement_log DROP COLUMN execution_time_ms;
DROP INDEX idx_orders_state_account;
DROP INDEX idx_positions_updated;
DROP INDEX idx_enforcement_log_success;
