import { SUMMARY_TABLE, TRADE_ID_CLASS_SQL } from '../packs/bot-ledger/summaries.ts';
import { FILLED_STATUSES } from './ledger-row.ts';

const FILLED = FILLED_STATUSES.map((status) => `'${status}'`).join(', ');

// A trade_id's class, computed once per lifecycle key, never per row: the blank test (btrim over
// the Unicode whitespace list) is the expensive one, so the cheap format test runs first.
const CLASS = TRADE_ID_CLASS_SQL;

/** The report's per-lifecycle aggregate (`k`) over orders and trade_history. */
const K_AGGREGATE = `
  SELECT profile_id, trade_id, CASE WHEN trade_id IS NULL THEN symbol END AS null_symbol,
         min(symbol COLLATE "C") FILTER (WHERE h = 0) AS symbol, max(symbol COLLATE "C") FILTER (WHERE h = 0) AS max_symbol,
         min(symbol COLLATE "C") FILTER (WHERE h = 1) AS history_symbol,
         COALESCE(sum(q) FILTER (WHERE h = 0 AND action = 'ENTRY' AND status IN (${FILLED})), 0) AS entry_qty,
         COALESCE(sum(q) FILTER (WHERE h = 0 AND action = 'EXIT' AND status IN (${FILLED})), 0) AS exit_qty,
         count(*) FILTER (WHERE h = 0) AS n,
         count(*) FILTER (WHERE h = 0 AND action = 'ENTRY') AS entries,
         count(*) FILTER (WHERE h = 0 AND action = 'EXIT') AS exits,
         count(*) FILTER (WHERE h = 0 AND source = 'bot' AND action IN ('ENTRY', 'EXIT')) AS bot_rows,
         count(*) FILTER (WHERE h = 1) AS hn,
         sum(q) FILTER (WHERE h = 1) AS hqty,
         ${CLASS('trade_id')} AS class
    FROM (SELECT profile_id, trade_id, symbol, action, status, source, COALESCE(quantity, qty, 0) AS q, 0 AS h
            FROM orders WHERE ($1::text IS NULL OR profile_id = $1::text)
          UNION ALL
          SELECT profile_id, trade_id, symbol, NULL, NULL, NULL, quantity, 1
            FROM trade_history WHERE ($1::text IS NULL OR profile_id = $1::text)) AS ledger
   GROUP BY profile_id, trade_id, CASE WHEN trade_id IS NULL THEN symbol END`;

/**
 * The same figures read from the per-lifecycle summaries (src/packs/bot-ledger/summaries.ts), which
 * hold exactly what K_AGGREGATE counts: no aggregate over the ledger.
 */
const K_FROM_SUMMARIES = `
  SELECT profile_id, trade_id, null_symbol, symbol, max_symbol, history_symbol, entry_qty, exit_qty, n, entries, exits, bot_rows, hn,
         CASE WHEN hn > 0 THEN hqty END AS hqty, class
    FROM ${SUMMARY_TABLE} WHERE ($1::text IS NULL OR profile_id = $1::text)`;

const reportSql = (k: string) => `
WITH k AS (${k}
), ids AS (
  SELECT * FROM k WHERE class IN ('valid', 'malformed')
), open_sym AS (
  SELECT profile_id, symbol, sum(entry_qty - exit_qty) AS open_qty, array_agg(trade_id ORDER BY trade_id) AS trade_ids
    FROM ids WHERE n > 0 AND entry_qty > exit_qty GROUP BY profile_id, symbol
), pos AS (
  SELECT profile_id, symbol, quantity FROM positions WHERE ($1::text IS NULL OR profile_id = $1::text)
)
SELECT 'blank_trade_id' AS kind, profile_id, symbol, trade_id, format('%s order(s) with a blank trade_id', n) AS detail,
       ARRAY[trade_id] AS order_keys, NULL::text[] AS history_keys, NULL::text AS position_key
  FROM k WHERE class = 'blank' AND n > 0
UNION ALL
SELECT 'blank_trade_id', profile_id, history_symbol, trade_id, format('%s trade_history row(s) with a blank trade_id', hn), NULL, ARRAY[trade_id], NULL
  FROM k WHERE class = 'blank' AND hn > 0
UNION ALL
SELECT 'malformed_trade_id', profile_id, symbol, trade_id, format('trade_id %L is not TRD-…', trade_id), ARRAY[trade_id], NULL, NULL
  FROM k WHERE class = 'malformed' AND n > 0
UNION ALL
SELECT 'malformed_trade_id', profile_id, history_symbol, trade_id, format('trade_id %L is not TRD-…', trade_id), NULL, ARRAY[trade_id], NULL
  FROM k WHERE class = 'malformed' AND hn > 0
UNION ALL
SELECT 'missing_trade_id', profile_id, null_symbol, NULL, format('%s trade_history row(s) without a trade_id', hn), NULL, ARRAY[NULL::text], NULL
  FROM k WHERE class = 'null' AND hn > 0
UNION ALL
SELECT 'missing_entry_order', profile_id, COALESCE(symbol, history_symbol), trade_id,
       format('no ENTRY order; %s EXIT order(s), %s trade_history row(s)', exits, hn),
       CASE WHEN n > 0 THEN ARRAY[trade_id] END, CASE WHEN hn > 0 THEN ARRAY[trade_id] END, NULL
  FROM ids WHERE entries = 0 AND (exits > 0 OR hn > 0)
UNION ALL
SELECT 'over_exit', profile_id, symbol, trade_id, format('exits %s exceed entries %s', exit_qty::text, entry_qty::text), ARRAY[trade_id], NULL, NULL
  FROM ids WHERE exit_qty > entry_qty AND entries > 0
UNION ALL
SELECT 'duplicate_lifecycle_key', profile_id, symbol, trade_id, format('trade_id on symbols %s and %s', symbol, max_symbol), ARRAY[trade_id], NULL, NULL
  FROM ids WHERE symbol <> max_symbol
UNION ALL
SELECT 'duplicate_lifecycle_key', profile_id, history_symbol, trade_id, format('%s trade_history rows for one lifecycle', hn), NULL, ARRAY[trade_id], NULL
  FROM ids WHERE hn > 1
UNION ALL
SELECT 'history_mismatch', profile_id, symbol, trade_id,
       CASE WHEN hn = 0 THEN format('closed lifecycle (%s) has no trade_history row', entry_qty::text)
            ELSE format('trade_history quantity %s, lifecycle quantity %s', hqty::text, entry_qty::text) END,
       ARRAY[trade_id], CASE WHEN hn > 0 THEN ARRAY[trade_id] END, NULL
  FROM ids WHERE entry_qty > 0 AND entry_qty = exit_qty AND (hn = 0 OR hqty <> entry_qty)
UNION ALL
SELECT 'ghost_position', o.profile_id, o.symbol, array_to_string(o.trade_ids, ','),
       format('orders say %s open (%s), positions says %s', o.open_qty::text, array_to_string(o.trade_ids, ', '), COALESCE(p.quantity::text, 'nothing')),
       o.trade_ids, NULL, CASE WHEN p.profile_id IS NULL THEN NULL ELSE p.profile_id || '/' || p.symbol END
  FROM open_sym o LEFT JOIN pos p ON p.profile_id = o.profile_id AND p.symbol = o.symbol
 WHERE o.open_qty > COALESCE(p.quantity, 0)
UNION ALL
SELECT 'untracked_position', p.profile_id, p.symbol, NULL,
       format('positions holds %s, open lifecycles explain %s', p.quantity::text, COALESCE(o.open_qty, 0)::text), NULL, NULL, p.profile_id || '/' || p.symbol
  FROM pos p LEFT JOIN open_sym o ON o.profile_id = p.profile_id AND o.symbol = p.symbol
 WHERE p.quantity <> 0 AND p.quantity > COALESCE(o.open_qty, 0)
UNION ALL
SELECT '_walk', profile_id, null_symbol, NULL, NULL, NULL, NULL, NULL
  FROM k WHERE class = 'null' AND bot_rows > 0
UNION ALL
SELECT '_summary', s.profile_id, NULL, NULL,
       json_build_object('orders', s.orders, 'lifecycles', s.lifecycles, 'open', s.open, 'closed', s.closed,
                         'history', s.history, 'positions', COALESCE(p.open, 0))::text,
       NULL, NULL, NULL
  FROM (SELECT profile_id, sum(n) AS orders, sum(hn) AS history,
               count(*) FILTER (WHERE class IN ('valid', 'malformed') AND n > 0) AS lifecycles,
               count(*) FILTER (WHERE class IN ('valid', 'malformed') AND n > 0 AND entry_qty > exit_qty) AS open,
               count(*) FILTER (WHERE class IN ('valid', 'malformed') AND entry_qty > 0 AND entry_qty = exit_qty) AS closed
          FROM k GROUP BY profile_id) s
  LEFT JOIN (SELECT profile_id, count(*) AS open FROM pos WHERE quantity <> 0 GROUP BY profile_id) p ON p.profile_id = s.profile_id
`;

/**
 * The whole report in one statement: one hash aggregate over the orders and trade_history rows
 * together, by lifecycle key (rows without a trade_id grouped by symbol, for the walk), and one
 * read of positions; every anomaly is derived from those
 * small results, and only anomalies and per-profile summaries come back. The rows that prove an
 * anomaly are fetched afterwards for the anomalous keys alone (PROOF_*). `$1` is an optional
 * profile_id. Kinds starting with `_` are internal: `_walk` names a partition with NULL-trade_id
 * bot rows for the walk, `_summary` carries a profile's figures. src/lifecycle/report-derive.ts
 * computes the same rows in TypeScript for SQLite: change both (test/lifecycle/report-derive.test.ts).
 */
export const REPORT_SQL = reportSql(K_AGGREGATE);

/** REPORT_SQL with `k` read from the per-lifecycle summaries: for a ledger that keeps them (`lifecycle summaries --rebuild`). */
export const REPORT_FROM_SUMMARIES_SQL = reportSql(K_FROM_SUMMARIES);

/** The orders of some (profile_id, trade_id) keys: `$1` profile ids, `$2` trade ids. */
export const PROOF_ORDERS_SQL = `
SELECT profile_id, trade_id, order_id FROM orders
 WHERE profile_id = ANY ($1::text[]) AND trade_id = ANY ($2::text[])
   AND (profile_id, trade_id) IN (SELECT p, t FROM unnest($1::text[], $2::text[]) AS k(p, t))`;

/**
 * The trade_history rows of some keys (`$1` profile ids, `$2` trade ids, `$3` symbols); a NULL
 * trade id stands for that profile's rows without one on that symbol, as the report groups them.
 */
export const PROOF_HISTORY_SQL = `
SELECT h.profile_id, h.trade_id, h.symbol, h.id::text AS id FROM trade_history h
  JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(p, t, s)
    ON h.profile_id = k.p AND (h.trade_id = k.t OR (k.t IS NULL AND h.trade_id IS NULL AND h.symbol = k.s))`;
