import { MAPPING_SCHEMA } from './model.ts';

/**
 * Reconciliation's own tables for a custom ledger, made in MAPPING_SCHEMA beside the views (never
 * among the user's tables): the audit trail and the cycle state, as the bot-ledger pack's
 * migration 006 defines them (src/packs/bot-ledger/migrations/006_create_audit_tables.sql; a test
 * compares the columns), so src/recon reads and writes them unchanged. IF NOT EXISTS: the audit
 * trail outlives every run, and every mapping change.
 */
export const RECON_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS ${MAPPING_SCHEMA}.reconciliation_backfill_audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    symbol TEXT,
    trade_id TEXT,
    decision TEXT NOT NULL CONSTRAINT chk_reconciliation_backfill_audit_decision CHECK (
        decision IN ('DRY_RUN', 'PENDING_APPLY', 'APPLIED', 'SKIP_EXISTING', 'NO_GO')
    ),
    reason TEXT,
    open_qty NUMERIC,
    filled_qty NUMERIC,
    dust_qty NUMERIC,
    backfill_order_id TEXT,
    exchange_order_id TEXT,
    exchange_client_order_id TEXT,
    evidence JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    reverted_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS idx_reconciliation_backfill_audit_batch ON ${MAPPING_SCHEMA}.reconciliation_backfill_audit (batch_id);
CREATE INDEX IF NOT EXISTS idx_reconciliation_backfill_audit_profile_created ON ${MAPPING_SCHEMA}.reconciliation_backfill_audit (profile_id, created_at);
CREATE TABLE IF NOT EXISTS ${MAPPING_SCHEMA}.recon_open_lifecycles (
    profile_id TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    open_qty NUMERIC NOT NULL,
    refreshed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_id, trade_id)
);
CREATE TABLE IF NOT EXISTS ${MAPPING_SCHEMA}.recon_cycle_state (
    scope TEXT PRIMARY KEY,
    watermark TIMESTAMPTZ NOT NULL,
    full_refresh_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);`;
