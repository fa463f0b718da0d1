import { Decimal } from 'decimal.js';
import { amountAfterFee, entrySide, type FtOrder, type FtTrade, isFilled } from './rows.ts';

/** Every anomaly kind the freqtrade report knows, in the order it lists them. */
export const FT_ANOMALY_KINDS = [
  'exit_without_entry',
  'orphan_order',
  'closed_amount_mismatch',
  'open_order_on_closed_trade',
  'open_trade_without_entry',
] as const;

/** One freqtrade anomaly kind. */
export type FtAnomalyKind = (typeof FT_ANOMALY_KINDS)[number];

/** A freqtrade row an anomaly rests on: `trades.id` or `orders.id`. */
export interface FtAnomalyRow {
  readonly table: 'trades' | 'orders';
  readonly key: number;
}

/** One anomaly on a freqtrade database, with the rows that prove it. */
export interface FtAnomaly {
  readonly kind: FtAnomalyKind;
  /** trades.id (for an orphan order, the ft_trade_id that has no trade). */
  readonly tradeId: number | null;
  readonly pair: string;
  readonly detail: string;
  readonly rows: readonly FtAnomalyRow[];
}

// Filled amounts are sums of stored floats: differences at this size are the float's, not the trade's.
const AMOUNT_TOLERANCE = new Decimal('1e-9');

const orderRows = (orders: readonly FtOrder[]): FtAnomalyRow[] => orders.map((o) => ({ table: 'orders', key: o.id }));
const sum = (orders: readonly FtOrder[]): Decimal => orders.reduce((total, o) => total.plus(amountAfterFee(o)), new Decimal(0));

/** True when an order is on the exit side of its trade; a stoploss order always exits. */
export function isExitOrder(trade: Pick<FtTrade, 'isShort'>, order: Pick<FtOrder, 'ftOrderSide'>): boolean {
  return order.ftOrderSide !== entrySide(trade);
}

/**
 * The anomalies of freqtrade's model (pure): a lifecycle is a `trades` row, its entry and exit
 * orders are `orders` rows whose ft_order_side is the trade's entry side (buy, or sell when
 * is_short) or not. An open trade whose entry order is still working is freqtrade's normal state,
 * so only an open trade with neither a filled nor an open entry is reported. With `orphans: false`
 * (a caller that reads trades in chunks finds orphans with one query) orders without a trade are left out.
 */
export function findFreqtradeAnomalies(trades: readonly FtTrade[], orders: readonly FtOrder[], options: { readonly orphans?: boolean } = {}): FtAnomaly[] {
  const byTrade = new Map<number, FtOrder[]>();
  for (const order of orders) {
    if (order.ftTradeId === null) continue;
    const list = byTrade.get(order.ftTradeId) ?? [];
    list.push(order);
    byTrade.set(order.ftTradeId, list);
  }
  const ids = new Set(trades.map((t) => t.id));
  const anomalies: FtAnomaly[] = [];
  for (const trade of trades) {
    const own = byTrade.get(trade.id) ?? [];
    const entries = own.filter((o) => !isExitOrder(trade, o));
    const exits = own.filter((o) => isExitOrder(trade, o));
    const filledEntries = entries.filter(isFilled);
    const filledExits = exits.filter(isFilled);
    if (exits.length > 0 && entries.length === 0) {
      anomalies.push({
        kind: 'exit_without_entry',
        tradeId: trade.id,
        pair: trade.pair,
        detail: `${exits.length} exit order(s) (${trade.isShort ? 'buy' : 'sell'}/stoploss) and no ${entrySide(trade)} entry order`,
        rows: orderRows(exits),
      });
    }
    if (!trade.isOpen) {
      const entered = sum(filledEntries);
      const exited = sum(filledExits);
      if (
        entered
          .minus(exited)
          .abs()
          .gt(Decimal.max(AMOUNT_TOLERANCE, entered.times(AMOUNT_TOLERANCE)))
      ) {
        anomalies.push({
          kind: 'closed_amount_mismatch',
          tradeId: trade.id,
          pair: trade.pair,
          detail: `closed trade: filled entry ${entered.toFixed()} ≠ filled exit ${exited.toFixed()} (difference ${entered.minus(exited).toFixed()})`,
          rows: orderRows([...filledEntries, ...filledExits]),
        });
      }
      const open = own.filter((o) => o.ftIsOpen);
      if (open.length > 0) {
        anomalies.push({
          kind: 'open_order_on_closed_trade',
          tradeId: trade.id,
          pair: trade.pair,
          detail: `closed trade with ${open.length} order(s) still ft_is_open = 1 (${open.map((o) => o.orderId).join(', ')})`,
          rows: orderRows(open),
        });
      }
    } else if (filledEntries.length === 0 && !entries.some((o) => o.ftIsOpen)) {
      anomalies.push({
        kind: 'open_trade_without_entry',
        tradeId: trade.id,
        pair: trade.pair,
        detail: `open trade with no filled ${entrySide(trade)} entry order and none working`,
        rows: [{ table: 'trades', key: trade.id }, ...orderRows(entries)],
      });
    }
  }
  const orphans = new Map<number, FtOrder[]>();
  for (const order of options.orphans === false ? [] : orders) {
    if (order.ftTradeId !== null && ids.has(order.ftTradeId)) continue;
    const key = order.ftTradeId ?? -1;
    orphans.set(key, [...(orphans.get(key) ?? []), order]);
  }
  for (const [tradeId, list] of orphans) {
    anomalies.push({
      kind: 'orphan_order',
      tradeId: tradeId < 0 ? null : tradeId,
      pair: list[0]?.ftPair ?? '',
      detail: `${list.length} order(s) with ft_trade_id ${tradeId < 0 ? 'NULL' : tradeId}, which has no trades row`,
      rows: orderRows(list),
    });
  }
  const rank = (kind: FtAnomalyKind) => FT_ANOMALY_KINDS.indexOf(kind);
  return anomalies.sort((a, b) => rank(a.kind) - rank(b.kind) || (a.tradeId ?? -1) - (b.tradeId ?? -1));
}
