-- Built without blocking writers: CONCURRENTLY cannot run inside a transaction.
-- migrate:no-transaction
-- migrate:up
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_fills_symbol ON fills (symbol);

-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS idx_fills_symbol;
