import type { Queryable } from '../../src/db/port.ts';

/** Symbols the synthetic ledger trades. */
export const SYMBOLS = ['BTC', 'ETH', 'SOL', 'ADA', 'XRP', 'DOT', 'LTC', 'BNB', 'AVAX', 'LINK'];

/**
 * Fills a bot-ledger `orders` table server-side with `lifecycles` closed ENTRY + EXIT pairs over
 * `profiles` profiles, in chunks, each lifecycle with its valid TRD- id (so the guardrails can be
 * validated), plus a matching trade_history row. Deterministic: the same sizes give the same rows.
 * `nullTradeIds` leaves the bot rows' trade_id NULL, as the backfill finds them.
 */
export async function loadClosedLifecycles(
  db: Queryable,
  options: { lifecycles: number; profiles: number; nullTradeIds?: boolean; history?: boolean; offset?: number },
): Promise<void> {
  const chunk = 250_000;
  const offset = options.offset ?? 0;
  for (let from = 1; from <= options.lifecycles; from += chunk) {
    const to = Math.min(options.lifecycles, from + chunk - 1);
    const tradeId = options.nullTradeIds === true ? 'NULL' : `'TRD-' || (i + ${offset})`;
    await db.query(
      `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, price, source, exchange_order_id, filled_at, created_at, updated_at)
       SELECT 'o' || (i + ${offset}) || CASE WHEN leg = 0 THEN 'e' ELSE 'x' END,
              'p' || ((i + ${offset}) % $3),
              (ARRAY[${SYMBOLS.map((s) => `'${s}'`).join(',')}])[1 + ((i + ${offset}) / $3) % ${SYMBOLS.length}],
              ${tradeId},
              CASE WHEN leg = 0 THEN 'ENTRY' ELSE 'EXIT' END,
              CASE WHEN leg = 0 THEN 'buy' ELSE 'sell' END,
              'filled', 1.5, 100, 'bot', 'ex' || (i + ${offset}) || '-' || leg,
              timestamptz '2026-01-01' + ((i + ${offset}) * interval '1 second') + leg * interval '1 minute',
              timestamptz '2026-01-01' + ((i + ${offset}) * interval '1 second') + leg * interval '1 minute',
              timestamptz '2026-01-01'
         FROM generate_series($1::bigint, $2::bigint) AS i, generate_series(0, 1) AS leg`,
      [from, to, options.profiles],
    );
    if (options.history !== false) {
      await db.query(
        `INSERT INTO trade_history (profile_id, symbol, trade_id, entry_order_id, exit_order_id, quantity, entry_price, exit_price, realized_pnl, opened_at, closed_at)
         SELECT 'p' || ((i + ${offset}) % $3), (ARRAY[${SYMBOLS.map((s) => `'${s}'`).join(',')}])[1 + ((i + ${offset}) / $3) % ${SYMBOLS.length}],
                ${tradeId}, 'o' || (i + ${offset}) || 'e', 'o' || (i + ${offset}) || 'x', 1.5, 100, 100, 0,
                timestamptz '2026-01-01', timestamptz '2026-01-01'
           FROM generate_series($1::bigint, $2::bigint) AS i`,
        [from, to, options.profiles],
      );
    }
  }
  await db.exec('ANALYZE orders; ANALYZE trade_history;');
}
