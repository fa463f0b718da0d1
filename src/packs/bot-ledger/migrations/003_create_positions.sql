-- The bot's runtime view of what it holds, one row per profile and symbol.
-- migrate:description Create positions
-- migrate:up
CREATE TABLE positions (
    profile_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    trade_id TEXT,
    quantity NUMERIC,
    avg_entry_price NUMERIC,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_id, symbol)
);

-- migrate:down
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM positions)
       AND current_setting('tradeledger.allow_data_loss', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'positions holds % row(s): rolling back bot-ledger 003 would drop them; export them first, or run migrate down with --allow-data-loss', (SELECT count(*) FROM positions);
    END IF;
END
$$;
DROP TABLE positions;
