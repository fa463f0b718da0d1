import { BLANK_CHARACTERS_SQL, TRADE_ID_FORMAT_SQL } from './trade-id.ts';

/**
 * Per-lifecycle summaries of a bot ledger: one row per lifecycle key (profile_id + trade_id, or
 * profile_id + symbol for the rows without a trade_id) with the figures the lifecycle report and
 * reconciliation read: filled entry and exit quantities, order counts, the symbols seen, and the
 * trade_history count and quantity. Triggers on orders and trade_history (inserts summed per statement,
 * updates and deletes per row) keep them up to date in the writer's own transaction, so they are right after a crash (they commit or roll back with the
 * write) and after a manual UPDATE; a TRUNCATE marks them not ready. They are not a migration: the
 * lifecycle tool installs, rebuilds, checks and drops them (`lifecycle summaries`), so that
 * `lifecycle loosen` stays the rollback of migration 007 alone.
 */

/** The summaries table. */
export const SUMMARY_TABLE = 'lifecycle_summaries';

/** The one-row table saying whether the summaries are complete (set by a rebuild, cleared by a TRUNCATE). */
export const SUMMARY_STATE_TABLE = 'lifecycle_summary_state';

/** The triggers that keep the summaries: name and table. */
export const SUMMARY_TRIGGERS: readonly { readonly name: string; readonly table: 'orders' | 'trade_history' }[] = [
  { name: 'trg_lifecycle_summaries_orders', table: 'orders' },
  { name: 'trg_lifecycle_summaries_orders_insert', table: 'orders' },
  { name: 'trg_lifecycle_summaries_orders_update', table: 'orders' },
  { name: 'trg_lifecycle_summaries_orders_truncate', table: 'orders' },
  { name: 'trg_lifecycle_summaries_history', table: 'trade_history' },
  { name: 'trg_lifecycle_summaries_history_insert', table: 'trade_history' },
  { name: 'trg_lifecycle_summaries_history_update', table: 'trade_history' },
  { name: 'trg_lifecycle_summaries_history_truncate', table: 'trade_history' },
];

/** The trigger functions. */
export const SUMMARY_FUNCTIONS = [
  'lifecycle_summary_apply(text, text, text, text, text, text, numeric, integer, integer)',
  'lifecycle_summary_row()',
  'lifecycle_summary_inserted()',
  'lifecycle_summary_truncated()',
];

const FILLED = `('filled', 'partially_filled', 'partially-filled')`;

/** A lifecycle key as one text: `t:` + trade_id, else `s:` + symbol for the rows without a trade_id. */
export const LIFECYCLE_KEY_SQL = (tradeId: string, symbol: string) => `COALESCE('t:' || ${tradeId}, 's:' || ${symbol})`;

/** The class of a trade_id, as the lifecycle report names it (valid, malformed, blank, null). */
export const TRADE_ID_CLASS_SQL = (column: string) =>
  `CASE WHEN ${column} IS NULL THEN 'null' WHEN ${column} ~ '${TRADE_ID_FORMAT_SQL}' THEN 'valid' WHEN btrim(${column}, ${BLANK_CHARACTERS_SQL}) = '' THEN 'blank' ELSE 'malformed' END`;

// Adding rows to a summary: sums and counts add up, the symbols seen widen.
const ADD_ON_CONFLICT = `ON CONFLICT (profile_id, lifecycle_key) DO UPDATE SET
            symbol = LEAST(t.symbol, excluded.symbol), max_symbol = GREATEST(t.max_symbol, excluded.max_symbol),
            history_symbol = LEAST(t.history_symbol, excluded.history_symbol), history_max_symbol = GREATEST(t.history_max_symbol, excluded.history_max_symbol),
            entry_qty = t.entry_qty + excluded.entry_qty, exit_qty = t.exit_qty + excluded.exit_qty, n = t.n + excluded.n,
            entries = t.entries + excluded.entries, exits = t.exits + excluded.exits, bot_rows = t.bot_rows + excluded.bot_rows,
            hn = t.hn + excluded.hn, hqty = t.hqty + excluded.hqty`;

const COLUMNS = `profile_id, lifecycle_key, trade_id, null_symbol, symbol, max_symbol, history_symbol, history_max_symbol,
                                           entry_qty, exit_qty, n, entries, exits, bot_rows, hn, hqty`;

/** Creates the tables, functions and triggers if they are missing (idempotent; it fills nothing). */
export const SUMMARY_INSTALL_SQL = `
CREATE TABLE IF NOT EXISTS ${SUMMARY_TABLE} (
    profile_id TEXT NOT NULL,
    lifecycle_key TEXT NOT NULL,
    trade_id TEXT,
    null_symbol TEXT,
    symbol TEXT COLLATE "C",
    max_symbol TEXT COLLATE "C",
    history_symbol TEXT COLLATE "C",
    history_max_symbol TEXT COLLATE "C",
    entry_qty NUMERIC NOT NULL DEFAULT 0,
    exit_qty NUMERIC NOT NULL DEFAULT 0,
    n BIGINT NOT NULL DEFAULT 0,
    entries BIGINT NOT NULL DEFAULT 0,
    exits BIGINT NOT NULL DEFAULT 0,
    bot_rows BIGINT NOT NULL DEFAULT 0,
    hn BIGINT NOT NULL DEFAULT 0,
    hqty NUMERIC NOT NULL DEFAULT 0,
    class TEXT GENERATED ALWAYS AS (${TRADE_ID_CLASS_SQL('trade_id')}) STORED,
    PRIMARY KEY (profile_id, lifecycle_key)
);
-- Reconciliation's open keys: lifecycles with more filled entry than exit, and any spanning two symbols.
CREATE INDEX IF NOT EXISTS idx_lifecycle_summaries_open ON ${SUMMARY_TABLE} (profile_id, trade_id)
    WHERE trade_id IS NOT NULL AND (entry_qty > exit_qty OR symbol <> max_symbol);
CREATE TABLE IF NOT EXISTS ${SUMMARY_STATE_TABLE} (
    id INTEGER PRIMARY KEY CONSTRAINT chk_lifecycle_summary_state_one CHECK (id = 1),
    ready BOOLEAN NOT NULL,
    built_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Adds (sign 1) or takes away (sign -1) one orders row (h = 0) or trade_history row (h = 1).
CREATE OR REPLACE FUNCTION lifecycle_summary_apply(p_profile TEXT, p_trade TEXT, p_symbol TEXT, p_action TEXT, p_status TEXT, p_source TEXT, p_q NUMERIC, p_h INTEGER, p_sign INTEGER)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    v_key TEXT := ${LIFECYCLE_KEY_SQL('p_trade', 'p_symbol')};
    v_filled BOOLEAN := p_h = 0 AND p_status IN ${FILLED};
    v_entry NUMERIC := CASE WHEN v_filled AND p_action = 'ENTRY' THEN p_q ELSE 0 END;
    v_exit NUMERIC := CASE WHEN v_filled AND p_action = 'EXIT' THEN p_q ELSE 0 END;
    v_n INTEGER := 1 - p_h;
    v_entries INTEGER := CASE WHEN p_h = 0 AND p_action = 'ENTRY' THEN 1 ELSE 0 END;
    v_exits INTEGER := CASE WHEN p_h = 0 AND p_action = 'EXIT' THEN 1 ELSE 0 END;
    v_bot INTEGER := CASE WHEN p_h = 0 AND p_source = 'bot' AND p_action IN ('ENTRY', 'EXIT') THEN 1 ELSE 0 END;
    v_hq NUMERIC := CASE WHEN p_h = 1 THEN p_q ELSE 0 END;
    s ${SUMMARY_TABLE}%ROWTYPE;
BEGIN
    IF p_sign > 0 THEN
        INSERT INTO ${SUMMARY_TABLE} AS t (${COLUMNS})
        VALUES (p_profile, v_key, p_trade, CASE WHEN p_trade IS NULL THEN p_symbol END,
                CASE WHEN p_h = 0 THEN p_symbol END, CASE WHEN p_h = 0 THEN p_symbol END,
                CASE WHEN p_h = 1 THEN p_symbol END, CASE WHEN p_h = 1 THEN p_symbol END,
                v_entry, v_exit, v_n, v_entries, v_exits, v_bot, p_h, v_hq)
        ${ADD_ON_CONFLICT};
        RETURN;
    END IF;
    UPDATE ${SUMMARY_TABLE} SET entry_qty = entry_qty - v_entry, exit_qty = exit_qty - v_exit, n = n - v_n, entries = entries - v_entries,
           exits = exits - v_exits, bot_rows = bot_rows - v_bot, hn = hn - p_h, hqty = hqty - v_hq
     WHERE profile_id = p_profile AND lifecycle_key = v_key
    RETURNING * INTO s;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF s.n = 0 AND s.hn = 0 THEN
        DELETE FROM ${SUMMARY_TABLE} WHERE profile_id = p_profile AND lifecycle_key = v_key;
        RETURN;
    END IF;
    -- The symbols seen: none left, or unchanged while they were one symbol; only a lifecycle that
    -- spans two symbols and lost a row on one of its ends is looked up again (by index).
    IF p_h = 0 AND s.n = 0 THEN
        UPDATE ${SUMMARY_TABLE} SET symbol = NULL, max_symbol = NULL WHERE profile_id = p_profile AND lifecycle_key = v_key;
    ELSIF p_h = 0 AND s.symbol <> s.max_symbol AND p_symbol IN (s.symbol, s.max_symbol) THEN
        UPDATE ${SUMMARY_TABLE} SET (symbol, max_symbol) =
               (SELECT min(o.symbol COLLATE "C"), max(o.symbol COLLATE "C") FROM orders o WHERE o.profile_id = p_profile AND o.trade_id = p_trade)
         WHERE profile_id = p_profile AND lifecycle_key = v_key;
    ELSIF p_h = 1 AND s.hn = 0 THEN
        UPDATE ${SUMMARY_TABLE} SET history_symbol = NULL, history_max_symbol = NULL WHERE profile_id = p_profile AND lifecycle_key = v_key;
    ELSIF p_h = 1 AND s.history_symbol <> s.history_max_symbol AND p_symbol IN (s.history_symbol, s.history_max_symbol) THEN
        UPDATE ${SUMMARY_TABLE} SET (history_symbol, history_max_symbol) =
               (SELECT min(h.symbol COLLATE "C"), max(h.symbol COLLATE "C") FROM trade_history h WHERE h.profile_id = p_profile AND h.trade_id = p_trade)
         WHERE profile_id = p_profile AND lifecycle_key = v_key;
    END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION lifecycle_summary_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_TABLE_NAME = 'orders' THEN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM lifecycle_summary_apply(OLD.profile_id, OLD.trade_id, OLD.symbol, OLD.action, OLD.status, OLD.source, COALESCE(OLD.quantity, OLD.qty, 0), 0, -1);
        END IF;
        IF TG_OP = 'UPDATE' THEN
            PERFORM lifecycle_summary_apply(NEW.profile_id, NEW.trade_id, NEW.symbol, NEW.action, NEW.status, NEW.source, COALESCE(NEW.quantity, NEW.qty, 0), 0, 1);
        END IF;
    ELSE
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM lifecycle_summary_apply(OLD.profile_id, OLD.trade_id, OLD.symbol, NULL, NULL, NULL, OLD.quantity, 1, -1);
        END IF;
        IF TG_OP = 'UPDATE' THEN
            PERFORM lifecycle_summary_apply(NEW.profile_id, NEW.trade_id, NEW.symbol, NULL, NULL, NULL, NEW.quantity, 1, 1);
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

-- Inserts are summed per statement (a bulk insert is one upsert per lifecycle, not one per row).
CREATE OR REPLACE FUNCTION lifecycle_summary_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_TABLE_NAME = 'orders' THEN
        INSERT INTO ${SUMMARY_TABLE} AS t (${COLUMNS})
        SELECT profile_id, lifecycle_key, trade_id, null_symbol, min(symbol), max(symbol), NULL, NULL,
               COALESCE(sum(q) FILTER (WHERE action = 'ENTRY' AND status IN ${FILLED}), 0),
               COALESCE(sum(q) FILTER (WHERE action = 'EXIT' AND status IN ${FILLED}), 0),
               count(*), count(*) FILTER (WHERE action = 'ENTRY'), count(*) FILTER (WHERE action = 'EXIT'),
               count(*) FILTER (WHERE source = 'bot' AND action IN ('ENTRY', 'EXIT')), 0, 0
          FROM (SELECT profile_id, ${LIFECYCLE_KEY_SQL('trade_id', 'symbol')} AS lifecycle_key, trade_id,
                       CASE WHEN trade_id IS NULL THEN symbol END AS null_symbol, symbol COLLATE "C" AS symbol, action, status, source,
                       COALESCE(quantity, qty, 0) AS q
                  FROM summary_new_rows) AS r
         GROUP BY profile_id, lifecycle_key, trade_id, null_symbol
         ORDER BY profile_id, lifecycle_key
        ${ADD_ON_CONFLICT};
    ELSE
        INSERT INTO ${SUMMARY_TABLE} AS t (${COLUMNS})
        SELECT profile_id, lifecycle_key, trade_id, null_symbol, NULL, NULL, min(symbol), max(symbol), 0, 0, 0, 0, 0, 0, count(*), sum(quantity)
          FROM (SELECT profile_id, ${LIFECYCLE_KEY_SQL('trade_id', 'symbol')} AS lifecycle_key, trade_id,
                       CASE WHEN trade_id IS NULL THEN symbol END AS null_symbol, symbol COLLATE "C" AS symbol, quantity
                  FROM summary_new_rows) AS r
         GROUP BY profile_id, lifecycle_key, trade_id, null_symbol
         ORDER BY profile_id, lifecycle_key
        ${ADD_ON_CONFLICT};
    END IF;
    RETURN NULL;
END
$fn$;

-- A TRUNCATE cannot be followed row by row: the summaries are emptied and marked not ready until a rebuild.
CREATE OR REPLACE FUNCTION lifecycle_summary_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM ${SUMMARY_TABLE};
    UPDATE ${SUMMARY_STATE_TABLE} SET ready = false;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS trg_lifecycle_summaries_orders ON orders;
CREATE TRIGGER trg_lifecycle_summaries_orders AFTER DELETE ON orders FOR EACH ROW EXECUTE FUNCTION lifecycle_summary_row();
DROP TRIGGER IF EXISTS trg_lifecycle_summaries_orders_insert ON orders;
CREATE TRIGGER trg_lifecycle_summaries_orders_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS summary_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_summary_inserted();
-- Only the columns the summaries count fire the update trigger: a bot touching updated_at pays nothing.
DROP TRIGGER IF EXISTS trg_lifecycle_summaries_orders_update ON orders;
CREATE TRIGGER trg_lifecycle_summaries_orders_update AFTER UPDATE ON orders FOR EACH ROW
    WHEN ((OLD.profile_id, OLD.trade_id, OLD.symbol, OLD.action, OLD.status, OLD.source, OLD.quantity, OLD.qty)
          IS DISTINCT FROM (NEW.profile_id, NEW.trade_id, NEW.symbol, NEW.action, NEW.status, NEW.source, NEW.quantity, NEW.qty))
    EXECUTE FUNCTION lifecycle_summary_row();
DROP TRIGGER IF EXISTS trg_lifecycle_summaries_orders_truncate ON orders;
CREATE TRIGGER trg_lifecycle_summaries_orders_truncate AFTER TRUNCATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_summary_truncated();
DROP TRIGGER IF EXISTS trg_lifecycle_summaries_history ON trade_history;
CREATE TRIGGER trg_lifecycle_summaries_history AFTER DELETE ON trade_history FOR EACH ROW EXECUTE FUNCTION lifecycle_summary_row();
DROP TRIGGER IF EXISTS trg_lifecycle_summaries_history_insert ON trade_history;
CREATE TRIGGER trg_lifecycle_summaries_history_insert AFTER INSERT ON trade_history REFERENCING NEW TABLE AS summary_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_summary_inserted();
DROP TRIGGER IF EXISTS trg_lifecycle_summaries_history_update ON trade_history;
CREATE TRIGGER trg_lifecycle_summaries_history_update AFTER UPDATE ON trade_history FOR EACH ROW
    WHEN ((OLD.profile_id, OLD.trade_id, OLD.symbol, OLD.quantity) IS DISTINCT FROM (NEW.profile_id, NEW.trade_id, NEW.symbol, NEW.quantity))
    EXECUTE FUNCTION lifecycle_summary_row();
DROP TRIGGER IF EXISTS trg_lifecycle_summaries_history_truncate ON trade_history;
CREATE TRIGGER trg_lifecycle_summaries_history_truncate AFTER TRUNCATE ON trade_history FOR EACH STATEMENT EXECUTE FUNCTION lifecycle_summary_truncated();
`;

/**
 * Every lifecycle key's figures counted from orders and trade_history, in the summaries' columns
 * (the lifecycle report's own aggregate). `$1` is an optional profile_id.
 */
export const SUMMARY_RECOUNT_SQL = `
SELECT profile_id, ${LIFECYCLE_KEY_SQL('trade_id', 'null_symbol')} AS lifecycle_key, trade_id, null_symbol,
       min(symbol) FILTER (WHERE h = 0) AS symbol, max(symbol) FILTER (WHERE h = 0) AS max_symbol,
       min(symbol) FILTER (WHERE h = 1) AS history_symbol, max(symbol) FILTER (WHERE h = 1) AS history_max_symbol,
       COALESCE(sum(q) FILTER (WHERE h = 0 AND action = 'ENTRY' AND status IN ${FILLED}), 0) AS entry_qty,
       COALESCE(sum(q) FILTER (WHERE h = 0 AND action = 'EXIT' AND status IN ${FILLED}), 0) AS exit_qty,
       count(*) FILTER (WHERE h = 0) AS n,
       count(*) FILTER (WHERE h = 0 AND action = 'ENTRY') AS entries,
       count(*) FILTER (WHERE h = 0 AND action = 'EXIT') AS exits,
       count(*) FILTER (WHERE h = 0 AND source = 'bot' AND action IN ('ENTRY', 'EXIT')) AS bot_rows,
       count(*) FILTER (WHERE h = 1) AS hn,
       COALESCE(sum(q) FILTER (WHERE h = 1), 0) AS hqty
  FROM (SELECT profile_id, trade_id, CASE WHEN trade_id IS NULL THEN symbol END AS null_symbol, symbol COLLATE "C" AS symbol, action, status, source,
               COALESCE(quantity, qty, 0) AS q, 0 AS h
          FROM orders WHERE ($1::text IS NULL OR profile_id = $1::text)
        UNION ALL
        SELECT profile_id, trade_id, CASE WHEN trade_id IS NULL THEN symbol END, symbol COLLATE "C", NULL, NULL, NULL, quantity, 1
          FROM trade_history WHERE ($1::text IS NULL OR profile_id = $1::text)) AS ledger
 GROUP BY profile_id, trade_id, null_symbol`;

/** The columns a recount and the summaries compare on (everything but the key and the generated class). */
export const SUMMARY_FIGURES = [
  'trade_id',
  'null_symbol',
  'symbol',
  'max_symbol',
  'history_symbol',
  'history_max_symbol',
  'entry_qty',
  'exit_qty',
  'n',
  'entries',
  'exits',
  'bot_rows',
  'hn',
  'hqty',
] as const;

/** Removes the triggers, functions and tables. */
export const SUMMARY_DROP_SQL = `
${SUMMARY_TRIGGERS.map((t) => `DROP TRIGGER IF EXISTS ${t.name} ON ${t.table};`).join('\n')}
${SUMMARY_FUNCTIONS.map((f) => `DROP FUNCTION IF EXISTS ${f};`).join('\n')}
DROP TABLE IF EXISTS ${SUMMARY_TABLE};
DROP TABLE IF EXISTS ${SUMMARY_STATE_TABLE};
`;
