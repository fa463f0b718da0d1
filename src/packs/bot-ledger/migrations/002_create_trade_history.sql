-- One row per closed (or closing) trade; lifecycle tooling joins it to orders by its order ids.
-- migrate:description Create trade_history
-- migrate:up
CREATE TABLE trade_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    trade_id TEXT,
    entry_order_id TEXT,
    exit_order_id TEXT,
    quantity NUMERIC NOT NULL,
    entry_price NUMERIC,
    exit_price NUMERIC,
    realized_pnl NUMERIC,
    opened_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The history step of the backfill takes trade_id from the entry order, else the exit order.
CREATE INDEX idx_trade_history_profile_entry_order ON trade_history (profile_id, entry_order_id);
CREATE INDEX idx_trade_history_profile_exit_order ON trade_history (profile_id, exit_order_id);

-- migrate:down
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM trade_history)
       AND current_setting('tradeledger.allow_data_loss', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'trade_history holds % row(s) of the ledger: rolling back bot-ledger 002 would drop them; export them first, or run migrate down with --allow-data-loss', (SELECT count(*) FROM trade_history);
    END IF;
END
$$;
DROP TABLE trade_history;
