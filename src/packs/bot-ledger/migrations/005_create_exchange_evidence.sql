-- What the exchange reports, mirrored into the database: the `table` evidence source.
-- migrate:description Create exchange_fills and exchange_positions
-- migrate:up
CREATE TABLE exchange_fills (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    exchange_order_id TEXT,
    exchange_trade_id TEXT NOT NULL,
    client_order_id TEXT,
    side TEXT,
    quantity NUMERIC NOT NULL,
    price NUMERIC,
    filled_at TIMESTAMPTZ NOT NULL,
    -- A fill mirrored twice must not count twice as evidence.
    CONSTRAINT uq_exchange_fills_profile_exchange_trade UNIQUE (profile_id, exchange_trade_id)
);
CREATE INDEX idx_exchange_fills_profile_symbol_filled_at ON exchange_fills (profile_id, symbol, filled_at);

CREATE TABLE exchange_positions (
    profile_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    -- 0 means the exchange reports the symbol flat.
    quantity NUMERIC NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_id, symbol)
);

-- migrate:down
DO $$
BEGIN
    IF (EXISTS (SELECT 1 FROM exchange_fills) OR EXISTS (SELECT 1 FROM exchange_positions))
       AND current_setting('tradeledger.allow_data_loss', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'exchange_fills / exchange_positions hold % / % row(s) of evidence: rolling back bot-ledger 005 would drop them; run migrate down with --allow-data-loss to drop them anyway',
            (SELECT count(*) FROM exchange_fills), (SELECT count(*) FROM exchange_positions);
    END IF;
END
$$;
DROP TABLE exchange_positions;
DROP TABLE exchange_fills;
