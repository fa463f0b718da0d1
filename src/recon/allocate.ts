import { Decimal } from 'decimal.js';
import type { EvidenceFill } from '../evidence/port.ts';
import { exitSide, type OpenLifecycle } from './lifecycle.ts';

/** One exchange order's fills (or the part of them) given to one lifecycle. */
export interface Allocation {
  readonly exchangeOrderId: string;
  readonly clientOrderId: string | null;
  readonly quantity: Decimal;
  /** Volume-weighted price of the order's fills; null when none had a price. */
  readonly price: Decimal | null;
  /** The order's last fill. */
  readonly filledAt: Date;
  readonly exchangeTradeIds: readonly string[];
}

interface EvidenceOrder {
  readonly exchangeOrderId: string;
  readonly clientOrderId: string | null;
  readonly side: 'buy' | 'sell';
  readonly firstAt: Date;
  readonly lastAt: Date;
  readonly quantity: Decimal;
  readonly price: Decimal | null;
  readonly tradeIds: string[];
}

function byOrder(fills: readonly EvidenceFill[]): EvidenceOrder[] {
  const groups = new Map<string, EvidenceFill[]>();
  for (const fill of fills) {
    const group = groups.get(fill.exchangeOrderId);
    if (group === undefined) groups.set(fill.exchangeOrderId, [fill]);
    else group.push(fill);
  }
  return [...groups.values()]
    .map((group) => {
      const quantity = group.reduce((sum, f) => sum.plus(f.quantity), new Decimal(0));
      const priced = group.filter((f) => f.price !== null);
      const notional = priced.reduce((sum, f) => sum.plus(f.quantity.times(f.price!)), new Decimal(0));
      const pricedQty = priced.reduce((sum, f) => sum.plus(f.quantity), new Decimal(0));
      const times = group.map((f) => f.filledAt.getTime());
      return {
        exchangeOrderId: group[0]!.exchangeOrderId,
        clientOrderId: group.find((f) => f.clientOrderId !== null)?.clientOrderId ?? null,
        side: group[0]!.side,
        firstAt: new Date(Math.min(...times)),
        lastAt: new Date(Math.max(...times)),
        quantity,
        price: pricedQty.gt(0) ? notional.div(pricedQty) : null,
        tradeIds: group.map((f) => f.exchangeTradeId).sort(),
      };
    })
    .sort((a, b) => a.firstAt.getTime() - b.firstAt.getTime() || (a.exchangeOrderId < b.exchangeOrderId ? -1 : 1));
}

/**
 * Gives exit-side evidence to the open lifecycles of one symbol, oldest lifecycle first: each
 * exchange order goes to the oldest lifecycle that opened before it and still has quantity open,
 * splitting across lifecycles when it closes more than one. Fills already recorded on an EXIT
 * order must be filtered out by the caller. Pure.
 */
export function allocateEvidence(lifecycles: readonly OpenLifecycle[], fills: readonly EvidenceFill[]): Map<string, Allocation[]> {
  const ordered = [...lifecycles].sort((a, b) => a.firstEntryAt.getTime() - b.firstEntryAt.getTime() || (a.tradeId < b.tradeId ? -1 : 1));
  const remaining = new Map(ordered.map((l) => [l.tradeId, l.openQty]));
  const result = new Map<string, Allocation[]>(ordered.map((l) => [l.tradeId, []]));
  for (const order of byOrder(fills)) {
    let left = order.quantity;
    for (const lifecycle of ordered) {
      if (left.lte(0)) break;
      if (order.side !== exitSide(lifecycle) || order.firstAt.getTime() <= lifecycle.firstEntryAt.getTime()) continue;
      const open = remaining.get(lifecycle.tradeId)!;
      if (open.lte(0)) continue;
      const take = Decimal.min(open, left);
      remaining.set(lifecycle.tradeId, open.minus(take));
      left = left.minus(take);
      result.get(lifecycle.tradeId)!.push({
        exchangeOrderId: order.exchangeOrderId,
        clientOrderId: order.clientOrderId,
        quantity: take,
        price: order.price,
        filledAt: order.lastAt,
        exchangeTradeIds: order.tradeIds,
      });
    }
  }
  return result;
}
