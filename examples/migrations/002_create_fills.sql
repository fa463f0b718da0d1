-- migrate:up
CREATE TABLE fills (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    symbol TEXT NOT NULL,
    quantity NUMERIC NOT NULL CHECK (quantity > 0),
    price NUMERIC NOT NULL,
    filled_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_fills_account_filled ON fills (account_id, filled_at DESC);

-- migrate:down
DROP TABLE fills;
