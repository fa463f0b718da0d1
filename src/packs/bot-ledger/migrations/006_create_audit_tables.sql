-- Audit trails: reconciliation decisions by batch, and the lifecycle tool's snapshots and
-- backfill changes (old and new trade_id per row, so that a batch can be reverted exactly).
-- Also reconciliation's cycle state (recon_open_lifecycles, recon_cycle_state): caches of the
-- orders table that let a cycle look only at what changed; a full cycle rebuilds them.
-- This is the base version the lifecycle and reconciliation features build on.
-- migrate:description Create the reconciliation and lifecycle audit tables
-- migrate:up
CREATE TABLE reconciliation_backfill_audit (
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
CREATE INDEX idx_reconciliation_backfill_audit_batch ON reconciliation_backfill_audit (batch_id);
CREATE INDEX idx_reconciliation_backfill_audit_profile_created ON reconciliation_backfill_audit (profile_id, created_at);

CREATE TABLE lifecycle_snapshots (
    snapshot_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    taken_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    label TEXT,
    counts JSONB NOT NULL
);

CREATE TABLE lifecycle_backfill_batches (
    batch_id TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    reverted_at TIMESTAMPTZ,
    status TEXT NOT NULL CONSTRAINT chk_lifecycle_backfill_batches_status CHECK (status IN ('running', 'done', 'reverted')),
    profile_id TEXT,
    rows_changed BIGINT NOT NULL DEFAULT 0,
    -- Where an interrupted batch resumes (the last key it committed).
    resume_after JSONB
);

CREATE TABLE lifecycle_backfill_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES lifecycle_backfill_batches (batch_id),
    table_name TEXT NOT NULL CONSTRAINT chk_lifecycle_backfill_changes_table_name CHECK (table_name IN ('orders', 'trade_history')),
    row_key TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    step TEXT NOT NULL CONSTRAINT chk_lifecycle_backfill_changes_step CHECK (step IN ('normalise', 'assign', 'history')),
    old_trade_id TEXT,
    new_trade_id TEXT,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_lifecycle_backfill_changes_batch ON lifecycle_backfill_changes (batch_id);

CREATE TABLE recon_open_lifecycles (
    profile_id TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    open_qty NUMERIC NOT NULL,
    refreshed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_id, trade_id)
);

CREATE TABLE recon_cycle_state (
    scope TEXT PRIMARY KEY,
    watermark TIMESTAMPTZ NOT NULL,
    full_refresh_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:down
DO $$
DECLARE
    kept TEXT := concat_ws(', ',
        CASE WHEN EXISTS (SELECT 1 FROM reconciliation_backfill_audit) THEN 'reconciliation_backfill_audit' END,
        CASE WHEN EXISTS (SELECT 1 FROM lifecycle_snapshots) THEN 'lifecycle_snapshots' END,
        CASE WHEN EXISTS (SELECT 1 FROM lifecycle_backfill_batches) THEN 'lifecycle_backfill_batches' END,
        CASE WHEN EXISTS (SELECT 1 FROM lifecycle_backfill_changes) THEN 'lifecycle_backfill_changes' END);
BEGIN
    IF kept <> '' AND current_setting('tradeledger.allow_data_loss', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'the audit tables % hold rows: rolling back bot-ledger 006 would drop the audit trail (and every backfill''s undo record); export them first, or run migrate down with --allow-data-loss', kept;
    END IF;
END
$$;
DROP TABLE recon_cycle_state;
DROP TABLE recon_open_lifecycles;
DROP TABLE lifecycle_backfill_changes;
DROP TABLE lifecycle_backfill_batches;
DROP TABLE lifecycle_snapshots;
DROP TABLE reconciliation_backfill_audit;
