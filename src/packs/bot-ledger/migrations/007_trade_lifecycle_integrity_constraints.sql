-- Phase B of the trade lifecycle integrity plan: non-blocking guardrails.
-- The indexes are built CONCURRENTLY (writers keep writing), so the file runs outside a
-- transaction, one statement at a time. Each statement is re-runnable: after a crash, the next
-- `migrate up` runs the file again; an index left invalid is rebuilt and a constraint already
-- added is skipped. The constraints are added NOT VALID: new and updated rows are checked at once,
-- existing rows only when Phase D (`lifecycle tighten`) validates them, after the backfill.
-- Each ADD CONSTRAINT holds its ACCESS EXCLUSIVE lock only for a catalog update (no scan), and
-- never waits longer than the runner's lock_timeout, which retries it with backoff.
--
-- Blank means empty or made only of whitespace: btrim() with no second argument trims only
-- U+0020 and a [[:space:]] regex follows the database's locale, so both would accept a tab or a
-- no-break space. The list below is Unicode White_Space plus the zero-width characters
-- (src/packs/bot-ledger/trade-id.ts holds the same list for the lifecycle backfill). It needs a
-- UTF8 database, as the \u escapes do.
-- migrate:no-transaction
-- migrate:description Trade lifecycle integrity guardrails: trade_id indexes and NOT VALID constraints
-- migrate:up
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_profile_trade_id ON orders (profile_id, trade_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_trade_history_profile_trade_id ON trade_history (profile_id, trade_id);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'orders'::regclass AND conname = 'chk_orders_trade_id_not_blank') THEN
        ALTER TABLE orders ADD CONSTRAINT chk_orders_trade_id_not_blank
            CHECK (trade_id IS NULL OR btrim(trade_id, E'\u0009\u000A\u000B\u000C\u000D \u0085\u00A0\u1680\u180E\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '') NOT VALID;
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'orders'::regclass AND conname = 'chk_orders_trade_id_format') THEN
        ALTER TABLE orders ADD CONSTRAINT chk_orders_trade_id_format
            CHECK (trade_id IS NULL OR trade_id ~ '^TRD-[A-Za-z0-9_-]+$') NOT VALID;
    END IF;
END
$$;

-- A bot-originated ENTRY or EXIT belongs to a lifecycle; manual, legacy and backfill rows are
-- held only to the action values.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'orders'::regclass AND conname = 'chk_orders_action_lifecycle') THEN
        ALTER TABLE orders ADD CONSTRAINT chk_orders_action_lifecycle
            CHECK (
                (action IS NULL OR action IN ('ENTRY', 'EXIT'))
                AND (source <> 'bot' OR action IS NULL OR trade_id IS NOT NULL)
            ) NOT VALID;
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'trade_history'::regclass AND conname = 'chk_trade_history_trade_id_not_blank') THEN
        ALTER TABLE trade_history ADD CONSTRAINT chk_trade_history_trade_id_not_blank
            CHECK (trade_id IS NULL OR btrim(trade_id, E'\u0009\u000A\u000B\u000C\u000D \u0085\u00A0\u1680\u180E\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '') NOT VALID;
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'trade_history'::regclass AND conname = 'chk_trade_history_trade_id_format') THEN
        ALTER TABLE trade_history ADD CONSTRAINT chk_trade_history_trade_id_format
            CHECK (trade_id IS NULL OR trade_id ~ '^TRD-[A-Za-z0-9_-]+$') NOT VALID;
    END IF;
END
$$;

-- migrate:down
-- The specification's rollback plan: drop the constraints, keep the indexes.
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_action_lifecycle;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_trade_id_not_blank;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_trade_id_format;
ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_trade_id_not_blank;
ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_trade_id_format;
