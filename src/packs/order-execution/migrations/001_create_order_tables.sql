-- migrate:description Create order execution tables
-- migrate:up
-- Order execution schema (specs/order-execution-migrations.md, migration 001, and its test report):
-- three enums, orders / fills / execution_logs, the report's named checks, foreign keys and
-- indexes, and row-level security: a trader sees only their own rows, the compliance role reads
-- everything, and execution_logs is append-only for every role.
--
-- The specification fixes the column types, so the squawk rules that would change them are off:
-- VARCHAR(10) / VARCHAR(50) (prefer-text-field) and INTEGER share counts (prefer-bigint-over-int).
-- squawk-ignore-file prefer-text-field, prefer-bigint-over-int

-- ========== ENUMS (values in the specification's order) ==========
CREATE TYPE order_type_enum AS ENUM ('MARKET', 'LIMIT', 'STOP');
CREATE TYPE order_status_enum AS ENUM ('PENDING', 'FILLED', 'PARTIAL', 'REJECTED', 'CANCELLED');
CREATE TYPE action_enum AS ENUM ('SUBMITTED', 'APPROVED', 'EXECUTED', 'FILLED', 'REJECTED', 'CANCELLED', 'RECOVERED');

-- ========== ORDERS ==========
-- The report announces 15 columns but lists 14; these are the 14 it names (its source migration
-- has the same 14). trader_id has no foreign key: the specification has no traders table.
-- Timestamps are TIMESTAMP WITH TIME ZONE: an audit trail records instants, which a zoneless
-- TIMESTAMP filled by now() would shift with the server's time zone and daylight saving.
CREATE TABLE orders (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    trader_id UUID NOT NULL,
    symbol VARCHAR(10) NOT NULL,
    quantity INTEGER NOT NULL,
    order_type order_type_enum NOT NULL,
    price NUMERIC(10, 2),
    stop_loss NUMERIC(10, 2),
    take_profit NUMERIC(10, 2),
    status order_status_enum NOT NULL DEFAULT 'PENDING',
    filled_quantity INTEGER NOT NULL DEFAULT 0,
    average_fill_price NUMERIC(10, 2),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ,
    CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT ck_orders_quantity_positive CHECK (quantity > 0),
    CONSTRAINT ck_orders_price_positive CHECK (price IS NULL OR price > 0),
    CONSTRAINT ck_orders_filled_quantity_nonnegative CHECK (filled_quantity >= 0),
    CONSTRAINT ck_orders_filled_lte_quantity CHECK (filled_quantity <= quantity),
    CONSTRAINT ck_orders_limit_requires_price CHECK (order_type = 'MARKET' OR price IS NOT NULL)
);
COMMENT ON TABLE orders IS 'Order requests with their execution lifecycle (retained 7 years)';
COMMENT ON COLUMN orders.id IS 'Unique order identifier';
COMMENT ON COLUMN orders.trader_id IS 'The trader who placed the order; row-level security matches it to the session''s trader';
COMMENT ON COLUMN orders.symbol IS 'Stock symbol (e.g. AAPL, MSFT)';
COMMENT ON COLUMN orders.quantity IS 'Number of shares to trade';
COMMENT ON COLUMN orders.order_type IS 'Type of order (MARKET, LIMIT, STOP)';
COMMENT ON COLUMN orders.price IS 'Limit or stop price; null only for market orders';
COMMENT ON COLUMN orders.stop_loss IS 'Stop loss price for risk management';
COMMENT ON COLUMN orders.take_profit IS 'Take profit price for risk management';
COMMENT ON COLUMN orders.status IS 'Current order status';
COMMENT ON COLUMN orders.filled_quantity IS 'Shares filled so far';
COMMENT ON COLUMN orders.average_fill_price IS 'Average price of all fills';
COMMENT ON COLUMN orders.created_at IS 'When the order was submitted';
COMMENT ON COLUMN orders.updated_at IS 'Last modification time';
COMMENT ON COLUMN orders.expires_at IS 'When the order expires, if it has a timeout';

CREATE INDEX idx_orders_trader_created ON orders (trader_id, created_at DESC);
CREATE INDEX idx_orders_status ON orders (status);
CREATE INDEX idx_orders_trader_status ON orders (trader_id, status);

-- ========== FILLS ==========
CREATE TABLE fills (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    order_id UUID NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL DEFAULT now(),
    quantity_filled INTEGER NOT NULL,
    price_at_fill NUMERIC(10, 2) NOT NULL,
    venue VARCHAR(50) NOT NULL,
    commission NUMERIC(10, 2) NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fills_pkey PRIMARY KEY (id),
    CONSTRAINT fk_fills_order_id FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT ck_fills_quantity_positive CHECK (quantity_filled > 0),
    CONSTRAINT ck_fills_price_positive CHECK (price_at_fill > 0),
    CONSTRAINT ck_fills_commission_nonnegative CHECK (commission >= 0)
);
COMMENT ON TABLE fills IS 'Individual fill events of an order (retained 7 years)';
COMMENT ON COLUMN fills.id IS 'Unique fill identifier';
COMMENT ON COLUMN fills.order_id IS 'The order this fill executes';
COMMENT ON COLUMN fills."timestamp" IS 'When the fill occurred';
COMMENT ON COLUMN fills.quantity_filled IS 'Shares filled in this execution';
COMMENT ON COLUMN fills.price_at_fill IS 'Execution price';
COMMENT ON COLUMN fills.venue IS 'Exchange or venue name (NYSE, NASDAQ, …)';
COMMENT ON COLUMN fills.commission IS 'Transaction fee';
COMMENT ON COLUMN fills.created_at IS 'Record creation time';

CREATE INDEX idx_fills_order ON fills (order_id);
CREATE INDEX idx_fills_timestamp ON fills ("timestamp" DESC);

-- ========== EXECUTION LOGS ==========
CREATE TABLE execution_logs (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    order_id UUID NOT NULL,
    trader_id UUID NOT NULL,
    action action_enum NOT NULL,
    status order_status_enum,
    "timestamp" TIMESTAMPTZ NOT NULL DEFAULT now(),
    reason TEXT,
    retry_attempt INTEGER,
    error_code VARCHAR(50),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT execution_logs_pkey PRIMARY KEY (id),
    CONSTRAINT fk_execution_logs_order_id FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
);
COMMENT ON TABLE execution_logs IS 'Append-only audit trail of order actions (SEC Rule 4530; retained indefinitely)';
COMMENT ON COLUMN execution_logs.id IS 'Unique log identifier';
COMMENT ON COLUMN execution_logs.order_id IS 'The order the action concerns';
COMMENT ON COLUMN execution_logs.trader_id IS 'The trader who owns the order';
COMMENT ON COLUMN execution_logs.action IS 'The action that occurred';
COMMENT ON COLUMN execution_logs.status IS 'Order status at the time of the action';
COMMENT ON COLUMN execution_logs."timestamp" IS 'The moment of the event';
COMMENT ON COLUMN execution_logs.reason IS 'Why the action occurred (e.g. an error message)';
COMMENT ON COLUMN execution_logs.retry_attempt IS 'Retry attempt number (0 the first try, 1 the first retry)';
COMMENT ON COLUMN execution_logs.error_code IS 'Exchange error code, if any';
COMMENT ON COLUMN execution_logs.created_at IS 'Record creation time';

CREATE INDEX idx_execution_logs_trader_timestamp ON execution_logs (trader_id, "timestamp" DESC);
CREATE INDEX idx_execution_logs_order ON execution_logs (order_id);
CREATE INDEX idx_execution_logs_action ON execution_logs (action);

-- Row-level security binds neither superusers nor (without FORCE) the table owner, and TRUNCATE
-- skips it: these triggers keep the log append-only for every role. Dropping the table is still
-- possible (the down section guards that), since DROP fires no row triggers.
CREATE FUNCTION execution_logs_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'execution_logs is append-only (SEC Rule 4530): % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'record a new execution_logs row instead of changing or deleting one';
END;
$$;
COMMENT ON FUNCTION execution_logs_reject_change() IS 'Keeps execution_logs append-only, for superusers and the table owner too';
CREATE TRIGGER execution_logs_immutable BEFORE UPDATE OR DELETE ON execution_logs
    FOR EACH ROW EXECUTE FUNCTION execution_logs_reject_change();
CREATE TRIGGER execution_logs_no_truncate BEFORE TRUNCATE ON execution_logs
    FOR EACH STATEMENT EXECUTE FUNCTION execution_logs_reject_change();

-- ========== ROW LEVEL SECURITY ==========
-- FORCE makes the table owner obey the policies too; superusers and BYPASSRLS roles still do not.
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
ALTER TABLE fills ENABLE ROW LEVEL SECURITY;
ALTER TABLE fills FORCE ROW LEVEL SECURITY;
ALTER TABLE execution_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE execution_logs FORCE ROW LEVEL SECURITY;

-- The compliance role reads everything. It is cluster-wide, so it is created only when missing
-- and never dropped here; its access is the SELECT grant below plus the isolation policies'
-- USING clauses, so no extra policy is needed (the report names exactly five).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{{compliance_role}}') THEN
        CREATE ROLE "{{compliance_role}}" NOLOGIN;
    END IF;
END;
$$;
GRANT SELECT ON orders, fills, execution_logs TO "{{compliance_role}}";

-- The trader is the session setting {{trader_setting}} (a UUID); unset or empty, a session sees
-- no trader rows. USING decides what a role reads, updates and deletes; WITH CHECK what it writes,
-- and it leaves out the compliance role, which reads but never writes.
CREATE POLICY orders_trader_isolation ON orders
    FOR ALL
    USING (
        trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid
        OR pg_has_role(current_user, '{{compliance_role}}', 'USAGE')
    )
    WITH CHECK (trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid);

CREATE POLICY fills_trader_isolation ON fills
    FOR ALL
    USING (
        order_id IN (SELECT o.id FROM orders o WHERE o.trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid)
        OR pg_has_role(current_user, '{{compliance_role}}', 'USAGE')
    )
    WITH CHECK (order_id IN (SELECT o.id FROM orders o WHERE o.trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid));

-- A trader writes logs for their own orders only: foreign key checks bypass row-level security,
-- so without the order test a log could name another trader's order.
CREATE POLICY execution_logs_trader_isolation ON execution_logs
    FOR ALL
    USING (
        trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid
        OR pg_has_role(current_user, '{{compliance_role}}', 'USAGE')
    )
    WITH CHECK (
        trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid
        AND order_id IN (SELECT o.id FROM orders o WHERE o.trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid)
    );

-- RESTRICTIVE: a permissive USING (false) would be OR-ed with the isolation policy and let a
-- trader update or delete their own logs.
CREATE POLICY execution_logs_immutable ON execution_logs
    AS RESTRICTIVE
    FOR UPDATE
    USING (false);

CREATE POLICY execution_logs_immutable_delete ON execution_logs
    AS RESTRICTIVE
    FOR DELETE
    USING (false);

-- migrate:down

-- The specification keeps execution logs indefinitely: refuse to drop them unless the operator
-- ran `migrate down --allow-data-loss`. NO FORCE first, so that the owner counts every row rather
-- than the rows its own policies show it (a refusal rolls this back with the rest).
ALTER TABLE execution_logs NO FORCE ROW LEVEL SECURITY;
DO $$
DECLARE
    kept bigint;
BEGIN
    IF coalesce(current_setting('tradeledger.allow_data_loss', true), '') <> 'on' THEN
        SELECT count(*) INTO kept FROM execution_logs;
        IF kept > 0 THEN
            RAISE EXCEPTION 'execution_logs holds % rows (kept indefinitely by the specification); to drop them run migrate down --allow-data-loss', kept;
        END IF;
    END IF;
END;
$$;

-- The compliance role is cluster-wide and other databases may use it: revoke, never drop.
REVOKE ALL ON orders, fills, execution_logs FROM "{{compliance_role}}";

DROP POLICY execution_logs_immutable_delete ON execution_logs;
DROP POLICY execution_logs_immutable ON execution_logs;
DROP POLICY execution_logs_trader_isolation ON execution_logs;
DROP POLICY fills_trader_isolation ON fills;
DROP POLICY orders_trader_isolation ON orders;

-- DROP TABLE fires no row triggers, so the immutability trigger does not stop it.
DROP TABLE execution_logs;
DROP TABLE fills;
DROP TABLE orders;
DROP FUNCTION execution_logs_reject_change();

DROP TYPE action_enum;
DROP TYPE order_status_enum;
DROP TYPE order_type_enum;
