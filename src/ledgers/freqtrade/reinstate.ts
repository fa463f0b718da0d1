import type { Queryable } from '../../db/port.ts';
import { listFreqtradeAudit } from './audit.ts';
import { dec } from './rows.ts';

/** The ft_cancel_reason a rollback of `batchId` writes on the exit orders it cancels. */
export function rollbackReason(batchId: string): string {
  return `tradeledger rollback ${batchId}`;
}

/** A LIKE pattern for the reason of any batch's rollback. */
export const ANY_ROLLBACK_REASON = rollbackReason('%');

/** Our own rolled-back exit orders, by trade: trades.id → order_id → orders.id of the row to fill again. */
export type RolledBackExits = ReadonlyMap<number, ReadonlyMap<string, number>>;

/**
 * Exit orders tradeledger inserted and a rollback canceled, still exactly as that rollback left them
 * (canceled, not open, nothing filled, ft_cancel_reason naming the rolled-back batch, and that
 * batch's reverted APPLIED audit row naming the trade and the order). freqtrade's unique
 * (ft_pair, order_id) keeps the row in the way of a new insert, so a close after a rollback fills
 * this row again, as freqtrade's handle_onexchange_order updates an order it already knows; an
 * order the bot wrote is never one of them (no audit row of ours names it).
 */
export async function rolledBackExits(conn: Queryable, dialect: 'postgres' | 'sqlite', tradeIds: readonly number[]): Promise<RolledBackExits> {
  const found = new Map<number, Map<string, number>>();
  if (tradeIds.length === 0) return found;
  const trades = new Set(tradeIds);
  const reverted = new Set<string>();
  for (const row of await listFreqtradeAudit(conn, dialect)) {
    if (row.decision !== 'APPLIED' || row.revertedAt === null || !trades.has(row.tradeId)) continue;
    for (const orderId of row.exitOrderIds) reverted.add(`${row.tradeId}\u0000${orderId}\u0000${rollbackReason(row.batchId)}`);
  }
  if (reverted.size === 0) return found;
  const rows = await conn.query<Record<string, unknown>>(
    `SELECT id, ft_trade_id, order_id, ft_cancel_reason, filled FROM orders
      WHERE status = 'canceled' AND ft_is_open = $1 AND ft_cancel_reason LIKE $2`,
    [false, ANY_ROLLBACK_REASON],
  );
  for (const r of rows) {
    const tradeId = Number(r['ft_trade_id']);
    const orderId = String(r['order_id']);
    if (!reverted.has(`${tradeId}\u0000${orderId}\u0000${String(r['ft_cancel_reason'])}`) || !(dec(r['filled'])?.isZero() ?? true)) continue;
    found.set(tradeId, (found.get(tradeId) ?? new Map()).set(orderId, Number(r['id'])));
  }
  return found;
}
