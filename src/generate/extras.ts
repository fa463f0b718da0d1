import type { ProfileContext, Stream } from './context.ts';
import type { SymbolSpec } from './symbols.ts';
import { formatUnits } from './units.ts';

/**
 * Writes `count` rows a person or an older system put in the ledger: `legacy` rows from the first
 * 30 % of the history (action NULL or not, often only the legacy `qty` column) and `manual` trades
 * from any time. None carries a trade_id; all lie before the reconciliation window.
 */
export function writeExtras(ctx: ProfileContext, specs: readonly SymbolSpec[], count: number, first: number, last: number): void {
  const { rng, profileId } = ctx;
  for (let i = 0; i < count && specs.length > 0; i++) {
    const spec = rng.pick(specs);
    const legacy = rng.chance(400);
    const at = first + rng.below(Math.floor((last - first) * (legacy ? 0.3 : 1)));
    const action = legacy ? rng.pick([null, 'ENTRY', 'EXIT'] as const) : rng.chance(700) ? null : rng.pick(['ENTRY', 'EXIT'] as const);
    const side = rng.chance(500) ? 'buy' : 'sell';
    const filled = !legacy || rng.chance(900);
    const units = rng.bigBetween(spec.minLots, spec.maxLots);
    const quantity = formatUnits(units, spec.qtyDecimals);
    const price = formatUnits((spec.priceTicks * BigInt(1000 + rng.between(-50, 50))) / 1000n, spec.priceDecimals);
    const orderId = ctx.nextOrderId(legacy ? 'l' : 'm');
    const exchangeOrderId = filled ? ctx.counters.nextExchangeOrderId() : null;
    const clientOrderId = legacy || rng.chance(500) ? null : `web-${rng.hex8()}`;
    const onlyQty = legacy && rng.chance(600);
    ctx.order({
      orderId,
      profileId,
      symbol: spec.symbol,
      tradeId: null,
      action,
      side,
      status: filled ? 'filled' : 'canceled',
      quantity: onlyQty ? null : quantity,
      qty: onlyQty ? quantity : null,
      price,
      source: legacy ? 'legacy' : 'manual',
      exchangeOrderId,
      clientOrderId,
      filledAt: filled ? at : null,
      createdAt: at - rng.below(60_000),
      updatedAt: at,
    });
    if (exchangeOrderId !== null) {
      const stream: Stream = { spec, direction: 'long', ticks: spec.priceTicks };
      ctx.fills(stream, exchangeOrderId, clientOrderId, side, units, spec.qtyDecimals, price, at);
    }
  }
}
