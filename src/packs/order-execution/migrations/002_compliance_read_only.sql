-- migrate:description Compliance reads only
-- migrate:up
-- Migration 001 admitted the compliance role through the isolation policies' USING clauses. A
-- FOR ALL policy's USING also decides which rows UPDATE and DELETE reach, so a role that was a
-- member of compliance and held write privileges could change or delete every trader's orders,
-- fills and (but for the immutability policies) logs. Compliance now reads through policies of its
-- own, FOR SELECT only, and the isolation policies admit the trader alone. Traders see and change
-- exactly what they did before (docs/runbooks/order-execution-schema.md).
ALTER POLICY orders_trader_isolation ON orders
    USING (trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid);

ALTER POLICY fills_trader_isolation ON fills
    USING (order_id IN (SELECT o.id FROM orders o WHERE o.trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid));

ALTER POLICY execution_logs_trader_isolation ON execution_logs
    USING (trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid);

CREATE POLICY orders_compliance_read ON orders
    FOR SELECT
    USING (pg_has_role(current_user, '{{compliance_role}}', 'USAGE'));

CREATE POLICY fills_compliance_read ON fills
    FOR SELECT
    USING (pg_has_role(current_user, '{{compliance_role}}', 'USAGE'));

CREATE POLICY execution_logs_compliance_read ON execution_logs
    FOR SELECT
    USING (pg_has_role(current_user, '{{compliance_role}}', 'USAGE'));

-- migrate:down
DROP POLICY execution_logs_compliance_read ON execution_logs;
DROP POLICY fills_compliance_read ON fills;
DROP POLICY orders_compliance_read ON orders;

ALTER POLICY execution_logs_trader_isolation ON execution_logs
    USING (
        trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid
        OR pg_has_role(current_user, '{{compliance_role}}', 'USAGE')
    );

ALTER POLICY fills_trader_isolation ON fills
    USING (
        order_id IN (SELECT o.id FROM orders o WHERE o.trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid)
        OR pg_has_role(current_user, '{{compliance_role}}', 'USAGE')
    );

ALTER POLICY orders_trader_isolation ON orders
    USING (
        trader_id = NULLIF(current_setting('{{trader_setting}}', true), '')::uuid
        OR pg_has_role(current_user, '{{compliance_role}}', 'USAGE')
    );
