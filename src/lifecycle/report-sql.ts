import { BLANK_CHARACTERS_SQL, TRADE_ID_FORMAT_SQL } from '../packs/bot-ledger/trade-id.ts';
import { FILLED_STATUSES } from './ledger-row.ts';

const FILLED = FILLED_STATUSES.map((status) => `'${status}'`).join(', ');
const blank = (column: string) => `(${column} IS NOT NULL AND btrim(${column}, ${BLANK_CHARACTERS_SQL}) = '')`;
const present = (column: string) => `(${column} IS NOT NULL AND btrim(${column}, ${BLANK_CHARACTERS_SQL}) <> '')`;

/**
 * The whole report in one statement: one aggregate pass over orders (every lifecycle key, and the
 * NULL-trade_id rows per partition), one over trade_history, one over positions; only anomalies
 * and per-profile summaries come back. `$1` is an optional profile_id. Kinds starting with `_` are
 * internal: `_walk` names a partition with NULL-trade_id bot rows for the walk, `_summary` the figures.
 */
export const REPORT_SQL = `
WITH lc AS (
  SELECT profile_id, trade_id, CASE WHEN trade_id IS NULL THEN symbol END AS null_symbol,
         min(symbol) AS symbol, max(symbol) AS max_symbol,
         COALESCE(sum(COALESCE(quantity, qty, 0)) FILTER (WHERE action = 'ENTRY' AND status IN (${FILLED})), 0) AS entry_qty,
         COALESCE(sum(COALESCE(quantity, qty, 0)) FILTER (WHERE action = 'EXIT' AND status IN (${FILLED})), 0) AS exit_qty,
         count(*) FILTER (WHERE action = 'ENTRY') AS entries,
         count(*) FILTER (WHERE action = 'EXIT') AS exits,
         count(*) FILTER (WHERE source = 'bot' AND action IN ('ENTRY', 'EXIT')) AS bot_rows,
         array_agg(order_id) AS order_ids
    FROM orders
   WHERE ($1::text IS NULL OR profile_id = $1::text)
   GROUP BY profile_id, trade_id, CASE WHEN trade_id IS NULL THEN symbol END
), hc AS (
  SELECT profile_id, trade_id, min(symbol) AS symbol, count(*) AS n, sum(quantity) AS qty, array_agg(id::text) AS ids
    FROM trade_history
   WHERE ($1::text IS NULL OR profile_id = $1::text)
   GROUP BY profile_id, trade_id
), ids AS (
  SELECT * FROM lc WHERE ${present('trade_id')}
), hids AS (
  SELECT * FROM hc WHERE ${present('trade_id')}
), open_sym AS (
  SELECT profile_id, symbol, sum(entry_qty - exit_qty) AS open_qty, array_agg(trade_id ORDER BY trade_id) AS trade_ids
    FROM ids WHERE entry_qty > exit_qty GROUP BY profile_id, symbol
), pos AS (
  SELECT profile_id, symbol, quantity FROM positions WHERE ($1::text IS NULL OR profile_id = $1::text)
)
SELECT 'blank_trade_id' AS kind, profile_id, symbol, NULL::text AS trade_id,
       format('%s order(s) with a blank trade_id', cardinality(order_ids)) AS detail, order_ids, NULL::text[] AS history_ids, NULL::text AS position_key
  FROM lc WHERE ${blank('trade_id')}
UNION ALL
SELECT 'blank_trade_id', profile_id, symbol, NULL, format('%s trade_history row(s) with a blank trade_id', n), NULL, ids, NULL
  FROM hc WHERE ${blank('trade_id')}
UNION ALL
SELECT 'malformed_trade_id', profile_id, symbol, trade_id, format('trade_id %L is not TRD-…', trade_id), order_ids, NULL, NULL
  FROM ids WHERE trade_id !~ '${TRADE_ID_FORMAT_SQL}'
UNION ALL
SELECT 'malformed_trade_id', profile_id, symbol, trade_id, format('trade_id %L is not TRD-…', trade_id), NULL, ids, NULL
  FROM hids WHERE trade_id !~ '${TRADE_ID_FORMAT_SQL}'
UNION ALL
SELECT 'missing_trade_id', profile_id, symbol, NULL, format('%s trade_history row(s) without a trade_id', n), NULL, ids, NULL
  FROM hc WHERE trade_id IS NULL
UNION ALL
SELECT 'missing_entry_order', COALESCE(l.profile_id, h.profile_id), COALESCE(l.symbol, h.symbol), COALESCE(l.trade_id, h.trade_id),
       format('no ENTRY order; %s EXIT order(s), %s trade_history row(s)', COALESCE(l.exits, 0), COALESCE(h.n, 0)), l.order_ids, h.ids, NULL
  FROM ids l FULL JOIN hids h ON h.profile_id = l.profile_id AND h.trade_id = l.trade_id
 WHERE COALESCE(l.entries, 0) = 0 AND (COALESCE(l.exits, 0) > 0 OR COALESCE(h.n, 0) > 0)
UNION ALL
SELECT 'over_exit', profile_id, symbol, trade_id, format('exits %s exceed entries %s', exit_qty::text, entry_qty::text), order_ids, NULL, NULL
  FROM ids WHERE exit_qty > entry_qty AND entries > 0
UNION ALL
SELECT 'duplicate_lifecycle_key', profile_id, symbol, trade_id, format('trade_id on symbols %s and %s', symbol, max_symbol), order_ids, NULL, NULL
  FROM ids WHERE symbol <> max_symbol
UNION ALL
SELECT 'duplicate_lifecycle_key', profile_id, symbol, trade_id, format('%s trade_history rows for one lifecycle', n), NULL, ids, NULL
  FROM hids WHERE n > 1
UNION ALL
SELECT 'history_mismatch', l.profile_id, l.symbol, l.trade_id,
       CASE WHEN h.n IS NULL THEN format('closed lifecycle (%s) has no trade_history row', l.entry_qty::text)
            ELSE format('trade_history quantity %s, lifecycle quantity %s', h.qty::text, l.entry_qty::text) END,
       l.order_ids, h.ids, NULL
  FROM ids l LEFT JOIN hids h ON h.profile_id = l.profile_id AND h.trade_id = l.trade_id
 WHERE l.entry_qty > 0 AND l.entry_qty = l.exit_qty AND (h.n IS NULL OR h.qty <> l.entry_qty)
UNION ALL
SELECT 'ghost_position', o.profile_id, o.symbol, array_to_string(o.trade_ids, ','),
       format('orders say %s open (%s), positions says %s', o.open_qty::text, array_to_string(o.trade_ids, ', '), COALESCE(p.quantity::text, 'nothing')),
       (SELECT array_agg(x) FROM ids i, unnest(i.order_ids) AS x WHERE i.profile_id = o.profile_id AND i.trade_id = ANY (o.trade_ids)),
       NULL, CASE WHEN p.profile_id IS NULL THEN NULL ELSE p.profile_id || '/' || p.symbol END
  FROM open_sym o LEFT JOIN pos p ON p.profile_id = o.profile_id AND p.symbol = o.symbol
 WHERE o.open_qty > COALESCE(p.quantity, 0)
UNION ALL
SELECT 'untracked_position', p.profile_id, p.symbol, NULL,
       format('positions holds %s, open lifecycles explain %s', p.quantity::text, COALESCE(o.open_qty, 0)::text), NULL, NULL, p.profile_id || '/' || p.symbol
  FROM pos p LEFT JOIN open_sym o ON o.profile_id = p.profile_id AND o.symbol = p.symbol
 WHERE p.quantity <> 0 AND p.quantity > COALESCE(o.open_qty, 0)
UNION ALL
SELECT '_walk', profile_id, null_symbol, NULL, NULL, NULL, NULL, NULL
  FROM lc WHERE trade_id IS NULL AND bot_rows > 0
UNION ALL
SELECT '_summary', s.profile_id, NULL, NULL,
       json_build_object('orders', s.orders, 'lifecycles', s.lifecycles, 'open', s.open, 'closed', s.closed,
                         'history', (SELECT COALESCE(sum(n), 0) FROM hc WHERE hc.profile_id = s.profile_id),
                         'positions', (SELECT count(*) FROM pos WHERE pos.profile_id = s.profile_id AND pos.quantity <> 0))::text,
       NULL, NULL, NULL
  FROM (SELECT profile_id, sum(cardinality(order_ids)) AS orders,
               count(*) FILTER (WHERE ${present('trade_id')}) AS lifecycles,
               count(*) FILTER (WHERE ${present('trade_id')} AND entry_qty > exit_qty) AS open,
               count(*) FILTER (WHERE ${present('trade_id')} AND entry_qty > 0 AND entry_qty = exit_qty) AS closed
          FROM lc GROUP BY profile_id) s
`;
