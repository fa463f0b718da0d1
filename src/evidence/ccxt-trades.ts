import type { Decimal } from 'decimal.js';
import { ccxtDecimal, ccxtProblem, type CcxtMarket } from './ccxt-values.ts';
import type { EvidenceFill, EvidenceQuery } from './port.ts';

/** A trade as ccxt unifies it; amounts are strings when `exchange.number` is String. */
interface CcxtTrade {
  readonly id?: string | undefined;
  readonly order?: string | undefined;
  readonly side?: string | undefined;
  readonly amount?: number | string | undefined;
  readonly price?: number | string | undefined;
  readonly timestamp?: number | undefined;
  readonly clientOrderId?: string | undefined;
  readonly info?: unknown;
}

/** What fetching one symbol's trades needs from a ccxt exchange. */
export interface CcxtTradeSource {
  readonly id: string;
  readonly features?: Record<string, unknown>;
  fetchMyTrades(symbol: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<CcxtTrade[]>;
}

const DAY = 86_400_000;
// Where exchanges put the client order id when ccxt's unified trade has none.
const CLIENT_ORDER_ID_KEYS = ['clientOrderId', 'clOrdId', 'clientOid', 'client_order_id', 'origClientOrderId', 'cliOrdId'];

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** ccxt's `features` for this market's fetchMyTrades: the largest page and the longest since–until span. */
function tradeFeatures(exchange: CcxtTradeSource, market: CcxtMarket): { limit?: number; spanMs?: number } {
  const byType = record(exchange.features?.[market.type]);
  const holder = market.spot ? byType : record(byType?.[market.linear === false ? 'inverse' : 'linear']);
  const fetchMyTrades = record(holder?.['fetchMyTrades']);
  const limit = fetchMyTrades?.['limit'];
  const untilDays = fetchMyTrades?.['untilDays'];
  return {
    ...(typeof limit === 'number' && limit > 0 ? { limit } : {}),
    ...(typeof untilDays === 'number' && untilDays > 0 ? { spanMs: untilDays * DAY } : {}),
  };
}

function clientOrderId(trade: CcxtTrade): string | null {
  if (typeof trade.clientOrderId === 'string' && trade.clientOrderId !== '') return trade.clientOrderId;
  const info = record(trade.info);
  for (const key of CLIENT_ORDER_ID_KEYS) {
    const value = info?.[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/** A ccxt trade as a fill, or why it cannot serve as evidence. */
function toFill(exchangeId: string, profileId: string, symbol: string, trade: CcxtTrade): EvidenceFill | string {
  const where = `${exchangeId} trade ${trade.id ?? '(no id)'} on ${symbol}`;
  if (typeof trade.id !== 'string' || trade.id === '') return `${where}: no trade id`;
  if (typeof trade.order !== 'string' || trade.order === '') return `${where}: no order id`;
  if (trade.side !== 'buy' && trade.side !== 'sell') return `${where}: side ${String(trade.side)} is not buy or sell`;
  const quantity = ccxtDecimal(trade.amount);
  if (quantity === undefined || !quantity.gt(0)) return `${where}: amount ${String(trade.amount)} is not a positive number`;
  if (typeof trade.timestamp !== 'number') return `${where}: no timestamp`;
  const price: Decimal | null = ccxtDecimal(trade.price) ?? null;
  return {
    profileId,
    symbol,
    exchangeOrderId: trade.order,
    exchangeTradeId: trade.id,
    clientOrderId: clientOrderId(trade),
    side: trade.side,
    quantity,
    price,
    filledAt: new Date(trade.timestamp),
  };
}

/**
 * Every trade of one symbol inside [since, until], page by page. A page starts at the last
 * trade's millisecond (not one past it, which would drop a trade sharing that millisecond with the
 * page's end) and trades are kept once by id. A page shorter than the limit means the span is
 * exhausted. When the exchange allows only a limited since–until span per request (ccxt's
 * `features…fetchMyTrades.untilDays`, e.g. 1 day on Binance spot), the window is walked span by span.
 */
export async function gatherFills(
  exchange: CcxtTradeSource,
  symbol: string,
  market: CcxtMarket,
  query: EvidenceQuery,
  settings: { readonly profileId: string; readonly pageLimit: number; readonly maxPages: number },
): Promise<{ fills: EvidenceFill[]; problems: string[] }> {
  const features = tradeFeatures(exchange, market);
  const limit = Math.min(settings.pageLimit, features.limit ?? settings.pageLimit);
  const since = query.since.getTime();
  const until = query.until.getTime();
  const seen = new Map<string, EvidenceFill>();
  const problems: string[] = [];
  let cursor = since;
  let pages = 0;
  while (cursor <= until) {
    const spanEnd = features.spanMs === undefined ? until : Math.min(until, cursor + features.spanMs - 1);
    if (pages === settings.maxPages) {
      problems.push(
        `${exchange.id} fetchMyTrades ${market.symbol}: stopped after ${pages} pages of ${limit} trades at ${new Date(cursor).toISOString()}, before the window's end; shorten the lookback or raise maxPages`,
      );
      break;
    }
    pages += 1;
    let page: CcxtTrade[];
    try {
      // `until` only where the exchange declares a span limit: elsewhere an unknown parameter may be refused.
      page = await exchange.fetchMyTrades(market.symbol, cursor, limit, features.spanMs === undefined ? {} : { until: spanEnd });
    } catch (error) {
      problems.push(`${exchange.id} fetchMyTrades ${market.symbol} failed on page ${pages} (from ${new Date(cursor).toISOString()}): ${ccxtProblem(error)}`);
      break;
    }
    let last = -Infinity;
    for (const trade of page) {
      if (typeof trade.timestamp === 'number') last = Math.max(last, trade.timestamp);
      if (typeof trade.timestamp === 'number' && (trade.timestamp < since || trade.timestamp > until)) continue;
      const fill = toFill(exchange.id, settings.profileId, symbol, trade);
      if (typeof fill === 'string') problems.push(fill);
      else if (!seen.has(fill.exchangeTradeId)) seen.set(fill.exchangeTradeId, fill);
    }
    if (page.length < limit) {
      cursor = spanEnd + 1;
      continue;
    }
    if (last > until) break;
    if (!(last > cursor)) {
      // A full page inside one millisecond: asking from that millisecond again returns the same
      // page, and skipping past it could drop a trade the page had no room for.
      problems.push(
        `${exchange.id} fetchMyTrades ${market.symbol}: a full page of ${limit} trades all at ${new Date(cursor).toISOString()}; raise pageLimit so that one page holds them`,
      );
      break;
    }
    cursor = last;
  }
  const fills = [...seen.values()].sort((a, b) => a.filledAt.getTime() - b.filledAt.getTime() || a.exchangeTradeId.localeCompare(b.exchangeTradeId));
  return { fills, problems };
}
