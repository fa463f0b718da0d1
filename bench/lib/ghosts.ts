import type { Queryable } from '../../src/db/port.ts';

/**
 * Adds `count` ghost lifecycles (an ENTRY the exchange already closed) with their exit fills in
 * exchange_fills, flat exchange positions and paused profiles: what a reconciliation cycle closes.
 * `tag` keeps ids of different batches apart.
 */
export async function addGhosts(db: Queryable, count: number, profiles: number, tag: string): Promise<void> {
  await db.query(
    `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, price, source, exchange_order_id, filled_at, created_at)
     SELECT 'g${tag}-' || i, 'gp' || (i % $2), 'G' || i, 'TRD-g${tag}-' || i, 'ENTRY', 'buy', 'filled', 2.5, 100, 'bot', 'ge${tag}-' || i,
            now() - interval '2 hours', now() - interval '2 hours'
       FROM generate_series(1, $1::int) AS i`,
    [count, profiles],
  );
  await db.query(
    `INSERT INTO exchange_fills (profile_id, symbol, exchange_order_id, exchange_trade_id, client_order_id, side, quantity, price, filled_at)
     SELECT 'gp' || (i % $2), 'G' || i, 'gx${tag}-' || i, 'gt${tag}-' || i, 'gc${tag}-' || i, 'sell', 2.5, 101, now() - interval '1 hour'
       FROM generate_series(1, $1::int) AS i`,
    [count, profiles],
  );
  await db.query(
    `INSERT INTO exchange_positions (profile_id, symbol, quantity, observed_at)
     SELECT 'gp' || (i % $2), 'G' || i, 0, now() FROM generate_series(1, $1::int) AS i
     ON CONFLICT (profile_id, symbol) DO UPDATE SET quantity = 0, observed_at = now()`,
    [count, profiles],
  );
  await db.query(
    `INSERT INTO trading_status (profile_id, state, reason, updated_by)
     SELECT 'gp' || p, 'PAUSED', 'benchmark', 'bench' FROM generate_series(0, $1::int - 1) AS p
     ON CONFLICT (profile_id) DO UPDATE SET state = 'PAUSED'`,
    [profiles],
  );
}
