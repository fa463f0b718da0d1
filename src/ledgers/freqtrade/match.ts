import { Decimal } from 'decimal.js';
import type { DumpFee, DumpTrade } from '../../evidence/ccxt-dump.ts';
import { entrySide, exitSideOf, type FtTrade } from './rows.ts';

/** freqtrade's `handle_onexchange_order` looks for orders from the trade's open date minus 10 seconds. */
export const MATCH_LEAD_MS = 10_000;

/** Fills of one exchange order, summed as ccxt's order structure would give them. */
export interface ExchangeOrder {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: string | null;
  readonly filled: Decimal;
  /** Cost-weighted average price: Σ cost / Σ amount. */
  readonly average: Decimal;
  readonly cost: Decimal;
  readonly firstAt: number;
  readonly lastAt: number;
  /** The fills' fees summed per currency, in order of first appearance; empty when no fill reported one. */
  readonly fees: readonly DumpFee[];
  readonly fillIds: readonly string[];
}

/** The fills matched to one trade, split the way the decision needs them. */
export interface TradeMatch {
  /** Orders on the trade's exit side the database does not have: what closed the trade. */
  readonly exits: readonly ExchangeOrder[];
  /** Orders on the entry side the database does not have: freqtrade would add them to the trade, so no close may rest on what we saw. */
  readonly unknownEntries: readonly ExchangeOrder[];
  /** Orders the database has for this trade, still open there (ft_is_open), that the exchange filled: freqtrade updates those itself. */
  readonly knownOpen: readonly ExchangeOrder[];
}

/** freqtrade's naive UTC datetime text as epoch milliseconds. */
export function ftDateMs(text: string): number {
  return Date.parse(`${text.replace(' ', 'T').slice(0, 23)}Z`);
}

/**
 * An order's fees from its fills', per currency: the costs summed; the rate, the currency's fee over
 * the order's cost (Σ rate × fill cost ÷ Σ fill cost, so one rate on every fill stays that rate),
 * unknown when a fill paid in that currency without a rate.
 */
function orderFees(list: readonly DumpTrade[]): DumpFee[] {
  const cost = list.reduce((s, f) => s.plus(f.cost), new Decimal(0));
  const byCurrency = new Map<string, { cost: Decimal; weighted: Decimal | null }>();
  for (const fill of list) {
    for (const fee of fill.fees) {
      const sum = byCurrency.get(fee.currency) ?? { cost: new Decimal(0), weighted: new Decimal(0) };
      byCurrency.set(fee.currency, {
        cost: sum.cost.plus(fee.cost),
        weighted: sum.weighted === null || fee.rate === null ? null : sum.weighted.plus(fee.rate.times(fill.cost)),
      });
    }
  }
  return [...byCurrency].map(([currency, sum]) => ({
    currency,
    cost: sum.cost,
    rate: sum.weighted === null || !cost.gt(0) ? null : sum.weighted.div(cost),
  }));
}

/** Groups fills by exchange order id, in time order of their first fill. */
export function groupFills(fills: readonly DumpTrade[], contractSize: Decimal = new Decimal(1)): ExchangeOrder[] {
  const byOrder = new Map<string, DumpTrade[]>();
  for (const fill of fills) byOrder.set(fill.order, [...(byOrder.get(fill.order) ?? []), fill]);
  const orders: ExchangeOrder[] = [];
  for (const [orderId, list] of byOrder) {
    const contracts = list.reduce((s, f) => s.plus(f.amount), new Decimal(0));
    const notional = list.reduce((s, f) => s.plus(f.price.times(f.amount)), new Decimal(0));
    const filled = contracts.times(contractSize);
    const first0 = list[0] as DumpTrade;
    orders.push({
      orderId,
      symbol: first0.symbol,
      side: first0.side,
      type: first0.type,
      filled,
      average: notional.div(contracts),
      cost: list.reduce((s, f) => s.plus(f.cost), new Decimal(0)),
      firstAt: Math.min(...list.map((f) => f.timestamp)),
      lastAt: Math.max(...list.map((f) => f.timestamp)),
      fees: orderFees(list),
      fillIds: list.map((f) => f.id),
    });
  }
  return orders.sort((a, b) => a.firstAt - b.firstAt || a.orderId.localeCompare(b.orderId));
}

/**
 * Matches exchange fills to an open trade as freqtrade does: the trade's pair, fills from its
 * open_date − 10 s, grouped by exchange order id, skipping orders the database already has on that pair.
 */
export function matchFills(
  trade: Pick<FtTrade, 'pair' | 'openDate' | 'isShort' | 'tradingMode' | 'contractSize'>,
  fills: readonly DumpTrade[],
  knownOrderIds: ReadonlySet<string>,
  openOrderIds: ReadonlySet<string> = new Set(),
): TradeMatch {
  const since = ftDateMs(trade.openDate) - MATCH_LEAD_MS;
  const size = trade.tradingMode === 'futures' ? (trade.contractSize ?? new Decimal(1)) : new Decimal(1);
  const inWindow = fills.filter((f) => f.symbol === trade.pair && f.timestamp >= since);
  const orders = groupFills(
    inWindow.filter((f) => !knownOrderIds.has(f.order)),
    size,
  );
  return {
    exits: orders.filter((o) => o.side === exitSideOf(trade)),
    unknownEntries: orders.filter((o) => o.side === entrySide(trade)),
    knownOpen: groupFills(
      inWindow.filter((f) => openOrderIds.has(f.order)),
      size,
    ),
  };
}
