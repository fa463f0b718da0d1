-- The bot's order ledger. trade_id stays nullable: legacy and manual rows have none, and 007's
-- constraints (added NOT VALID) hold new bot rows to the lifecycle rules.
-- migrate:description Create orders
-- migrate:up
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    trade_id TEXT,
    action TEXT CONSTRAINT chk_orders_action CHECK (action IN ('ENTRY', 'EXIT')),
    side TEXT,
    status TEXT NOT NULL CONSTRAINT chk_orders_status CHECK (
        status IN ('new', 'pending', 'open', 'partially_filled', 'partially-filled', 'filled', 'canceled', 'rejected', 'expired')
    ),
    quantity NUMERIC,
    -- The legacy quantity column: the specifications read COALESCE(quantity, qty, 0).
    qty NUMERIC,
    price NUMERIC,
    source TEXT NOT NULL DEFAULT 'bot' CONSTRAINT chk_orders_source CHECK (source IN ('bot', 'manual', 'legacy', 'backfill')),
    exchange_order_id TEXT,
    client_order_id TEXT,
    filled_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The lifecycle walk reads each (profile_id, symbol) in fill order.
CREATE INDEX idx_orders_lifecycle_walk ON orders (profile_id, symbol, filled_at, created_at, order_id);
-- Reconciliation matches exchange evidence to EXIT orders by exchange order id.
CREATE INDEX idx_orders_profile_exchange_order ON orders (profile_id, exchange_order_id);
-- A reconciliation cycle finds recently changed rows without a full scan.
CREATE INDEX idx_orders_updated_at ON orders (updated_at);
-- Index names must not match 'idx_%trade_id%': the specification's Phase B query counts those
-- as migration 007's.

-- migrate:down
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM orders)
       AND current_setting('tradeledger.allow_data_loss', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'orders holds % row(s) of the ledger: rolling back bot-ledger 001 would drop them; export them first, or run migrate down with --allow-data-loss', (SELECT count(*) FROM orders);
    END IF;
END
$$;
DROP TABLE orders;
