import type { Database } from '../../src/db/port.ts';

/** An orders row for fixtures; omitted fields take the bot's usual values. */
export interface FixtureOrder {
  readonly id: string;
  readonly profile?: string;
  readonly symbol?: string;
  readonly tradeId?: string | null;
  readonly action?: 'ENTRY' | 'EXIT' | null;
  readonly status?: string;
  readonly source?: string;
  readonly quantity?: string | null;
  readonly qty?: string | null;
  /** Minutes after the fixture's epoch; also the creation time. Null: never filled. */
  readonly at: number;
  readonly filled?: boolean;
  readonly exchangeOrderId?: string | null;
}

/** The fixture's time origin. */
export const EPOCH = Date.parse('2026-01-05T10:00:00.000Z');

/** A fixture time, `minutes` after the epoch. */
export function at(minutes: number): Date {
  return new Date(EPOCH + minutes * 60_000);
}

/** Inserts orders in one statement. */
export async function insertOrders(db: Database, orders: readonly FixtureOrder[]): Promise<void> {
  for (const o of orders) {
    await db.query(
      `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, qty, price, source, exchange_order_id, filled_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9::numeric, 100, $10, $11, $12, $13, $13)`,
      [
        o.id,
        o.profile ?? 'p1',
        o.symbol ?? 'BTC',
        o.tradeId ?? null,
        o.action === undefined ? 'ENTRY' : o.action,
        o.action === 'EXIT' ? 'sell' : 'buy',
        o.status ?? 'filled',
        o.quantity === undefined ? '1' : o.quantity,
        o.qty ?? null,
        o.source ?? 'bot',
        o.exchangeOrderId ?? null,
        o.filled === false || (o.status !== undefined && !['filled', 'partially_filled', 'partially-filled'].includes(o.status)) ? null : at(o.at),
        at(o.at),
      ],
    );
  }
}

/** A trade_history row for fixtures; returns its id. */
export async function insertHistory(
  db: Database,
  row: { profile?: string; symbol?: string; tradeId?: string | null; entry?: string | null; exit?: string | null; quantity: string },
): Promise<string> {
  const rows = await db.query<{ id: string }>(
    `INSERT INTO trade_history (profile_id, symbol, trade_id, entry_order_id, exit_order_id, quantity, entry_price, exit_price, realized_pnl, opened_at, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6::numeric, 100, 101, 1, $7, $8) RETURNING id::text AS id`,
    [row.profile ?? 'p1', row.symbol ?? 'BTC', row.tradeId ?? null, row.entry ?? null, row.exit ?? null, row.quantity, at(0), at(1)],
  );
  return rows[0]!.id;
}

/** Sets a position. */
export async function setPosition(db: Database, profile: string, symbol: string, quantity: string, tradeId: string | null = null): Promise<void> {
  await db.query(
    `INSERT INTO positions (profile_id, symbol, trade_id, quantity, avg_entry_price) VALUES ($1, $2, $3, $4::numeric, 100)
     ON CONFLICT (profile_id, symbol) DO UPDATE SET quantity = excluded.quantity, trade_id = excluded.trade_id`,
    [profile, symbol, tradeId, quantity],
  );
}

/** order_id → trade_id of every order. */
export async function orderTradeIds(db: Database): Promise<Map<string, string | null>> {
  const rows = await db.query<{ order_id: string; trade_id: string | null }>('SELECT order_id, trade_id FROM orders ORDER BY order_id');
  return new Map(rows.map((row) => [row.order_id, row.trade_id]));
}

/** trade_history id → trade_id. */
export async function historyTradeIds(db: Database): Promise<Map<string, string | null>> {
  const rows = await db.query<{ id: string; trade_id: string | null }>('SELECT id::text AS id, trade_id FROM trade_history ORDER BY id');
  return new Map(rows.map((row) => [row.id, row.trade_id]));
}
