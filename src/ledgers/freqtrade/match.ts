import { Decimal } from 'decimal.js';
import type { DumpTrade } from '../../evidence/ccxt-dump.ts';
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
  /** Summed fee when every fill paid it in one currency; null when no fill reported a fee. */
  readonly fee: { readonly cost: Decimal; readonly currency: string | null; readonly rate: Decimal | null } | null;
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

/** Groups fills by exchange order id, in time order of their first fill. */
export function groupFills(fills: readonly DumpTrade[], contractSize: Decimal = new Decimal(1)): ExchangeOrder[] {
  const byOrder = new Map<string, DumpTrade[]>();
  for (const fill of fills) byOrder.set(fill.order, [...(byOrder.get(fill.order) ?? []), fill]);
  const orders: ExchangeOrder[] = [];
  for (const [orderId, list] of byOrder) {
    const contracts = list.reduce((s, f) => s.plus(f.amount), new Decimal(0));
    const notional = list.reduce((s, f) => s.plus(f.price.times(f.amount)), new Decimal(0));
    const filled = contracts.times(contractSize);
    const feeCurrencies = new Set(list.filter((f) => f.fee !== null).map((f) => f.fee?.currency ?? null));
    const withFee = list.filter((f) => f.fee !== null);
    const rates = new Set(withFee.map((f) => f.fee?.rate?.toFixed() ?? ''));
    const first = withFee[0]?.fee;
    const fee =
      first === undefined || first === null || feeCurrencies.size !== 1
        ? null
        : {
            cost: withFee.reduce((s, f) => s.plus(f.fee?.cost ?? 0), new Decimal(0)),
            currency: first.currency,
            rate: rates.size === 1 && first.rate !== null ? first.rate : null,
          };
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
      fee,
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
