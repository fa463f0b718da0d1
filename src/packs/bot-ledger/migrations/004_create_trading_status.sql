-- Whether a profile trades; reconciliation backfills only while it is PAUSED.
-- migrate:description Create trading_status
-- migrate:up
CREATE TABLE trading_status (
    profile_id TEXT PRIMARY KEY,
    state TEXT NOT NULL DEFAULT 'RUNNING' CONSTRAINT chk_trading_status_state CHECK (state IN ('RUNNING', 'PAUSED')),
    reason TEXT,
    updated_by TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:down
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM trading_status)
       AND current_setting('tradeledger.allow_data_loss', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'trading_status holds % row(s): rolling back bot-ledger 004 would drop them (and every PAUSED state with them); run migrate down with --allow-data-loss to drop them anyway', (SELECT count(*) FROM trading_status);
    END IF;
END
$$;
DROP TABLE trading_status;
