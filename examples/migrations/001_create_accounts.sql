-- An example migration folder: apply it with `npx tradeledger migrate up --dir examples/migrations`.
-- migrate:up
CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE accounts;
