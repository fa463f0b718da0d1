import { Decimal } from 'decimal.js';
import type { Queryable } from '../../db/port.ts';

/** A freqtrade `trades` row, with its floats as exact decimals of the values stored. */
export interface FtTrade {
  readonly id: number;
  readonly exchange: string;
  readonly pair: string;
  readonly baseCurrency: string | null;
  readonly stakeCurrency: string | null;
  readonly isOpen: boolean;
  readonly isShort: boolean;
  /** 'spot', 'margin' or 'futures' (freqtrade stores the enum's name, upper case). */
  readonly tradingMode: string;
  readonly leverage: Decimal;
  /** Futures: base units per contract (ccxt's fills count contracts, freqtrade's orders count base units). */
  readonly contractSize: Decimal | null;
  readonly feeOpen: Decimal;
  readonly feeClose: Decimal;
  readonly feeCloseCost: Decimal | null;
  readonly feeCloseCurrency: string | null;
  readonly openRate: Decimal;
  readonly openTradeValue: Decimal | null;
  readonly amount: Decimal;
  readonly stakeAmount: Decimal;
  readonly maxStakeAmount: Decimal | null;
  readonly closeRate: Decimal | null;
  readonly closeProfit: Decimal | null;
  readonly closeProfitAbs: Decimal | null;
  readonly realizedProfit: Decimal | null;
  readonly fundingFees: Decimal | null;
  readonly fundingFeeRunning: Decimal | null;
  /** freqtrade's naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'. */
  readonly openDate: string;
  readonly closeDate: string | null;
  readonly exitReason: string | null;
  readonly exitOrderStatus: string | null;
}

/** A freqtrade `orders` row. */
export interface FtOrder {
  readonly id: number;
  readonly ftTradeId: number | null;
  /** 'buy', 'sell' or 'stoploss': the order's side, not entry or exit. */
  readonly ftOrderSide: string;
  readonly ftPair: string;
  readonly ftIsOpen: boolean;
  readonly ftAmount: Decimal;
  readonly ftPrice: Decimal;
  readonly orderId: string;
  readonly status: string | null;
  readonly price: Decimal | null;
  readonly average: Decimal | null;
  readonly stopPrice: Decimal | null;
  readonly amount: Decimal | null;
  readonly filled: Decimal | null;
  readonly ftFeeBase: Decimal | null;
  readonly fundingFee: Decimal | null;
  readonly orderFilledDate: string | null;
}

type Raw = Record<string, unknown>;

/** A stored float as an exact decimal of the number stored (JS prints the shortest text that round-trips, as Python's repr does). */
export function dec(value: unknown): Decimal | null {
  if (value === null || value === undefined) return null;
  return new Decimal(typeof value === 'string' ? value : String(value));
}

const bool = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't' || value === 'true' || value === 1n;
const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** A datetime column as freqtrade's text: PostgreSQL's `timestamp` is cast to text so no driver moves it into local time. */
function dateColumn(dialect: 'postgres' | 'sqlite', column: string, alias = column): string {
  return dialect === 'postgres' ? `to_char(${column}, 'YYYY-MM-DD HH24:MI:SS.US') AS ${alias}` : `${column} AS ${alias}`;
}

/** freqtrade's datetime text with microseconds, whatever the stored precision. */
export function normalDate(value: unknown): string | null {
  const t = text(value);
  if (t === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?/.exec(t);
  return m === null ? t : `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}`;
}

function tradeSelect(dialect: 'postgres' | 'sqlite'): string {
  return `SELECT id, exchange, pair, base_currency, stake_currency, is_open, is_short, trading_mode, leverage, contract_size, fee_open, fee_close,
    fee_close_cost, fee_close_currency, open_rate, open_trade_value, amount, stake_amount, max_stake_amount, close_rate, close_profit,
    close_profit_abs, realized_profit, funding_fees, funding_fee_running, ${dateColumn(dialect, 'open_date')}, ${dateColumn(dialect, 'close_date')},
    exit_reason, exit_order_status FROM trades`;
}

function toTrade(r: Raw): FtTrade {
  return {
    id: Number(r['id']),
    exchange: String(r['exchange']),
    pair: String(r['pair']),
    baseCurrency: text(r['base_currency']),
    stakeCurrency: text(r['stake_currency']),
    isOpen: bool(r['is_open']),
    isShort: bool(r['is_short']),
    tradingMode: (text(r['trading_mode']) ?? 'spot').toLowerCase(),
    leverage: dec(r['leverage']) ?? new Decimal(1),
    contractSize: dec(r['contract_size']),
    feeOpen: dec(r['fee_open']) ?? new Decimal(0),
    feeClose: dec(r['fee_close']) ?? new Decimal(0),
    feeCloseCost: dec(r['fee_close_cost']),
    feeCloseCurrency: text(r['fee_close_currency']),
    openRate: dec(r['open_rate']) ?? new Decimal(0),
    openTradeValue: dec(r['open_trade_value']),
    amount: dec(r['amount']) ?? new Decimal(0),
    stakeAmount: dec(r['stake_amount']) ?? new Decimal(0),
    maxStakeAmount: dec(r['max_stake_amount']),
    closeRate: dec(r['close_rate']),
    closeProfit: dec(r['close_profit']),
    closeProfitAbs: dec(r['close_profit_abs']),
    realizedProfit: dec(r['realized_profit']),
    fundingFees: dec(r['funding_fees']),
    fundingFeeRunning: dec(r['funding_fee_running']),
    openDate: normalDate(r['open_date']) ?? '',
    closeDate: normalDate(r['close_date']),
    exitReason: text(r['exit_reason']),
    exitOrderStatus: text(r['exit_order_status']),
  };
}

function toOrder(r: Raw): FtOrder {
  return {
    id: Number(r['id']),
    ftTradeId: r['ft_trade_id'] === null || r['ft_trade_id'] === undefined ? null : Number(r['ft_trade_id']),
    ftOrderSide: String(r['ft_order_side']),
    ftPair: String(r['ft_pair']),
    ftIsOpen: bool(r['ft_is_open']),
    ftAmount: dec(r['ft_amount']) ?? new Decimal(0),
    ftPrice: dec(r['ft_price']) ?? new Decimal(0),
    orderId: String(r['order_id']),
    status: text(r['status']),
    price: dec(r['price']),
    average: dec(r['average']),
    stopPrice: dec(r['stop_price']),
    amount: dec(r['amount']),
    filled: dec(r['filled']),
    ftFeeBase: dec(r['ft_fee_base']),
    fundingFee: dec(r['funding_fee']),
    orderFilledDate: normalDate(r['order_filled_date']),
  };
}

/** Trades, by id; `where` is a fixed condition such as `is_open = $1` with its parameters. */
export async function readTrades(
  db: Queryable,
  dialect: 'postgres' | 'sqlite',
  where?: { readonly sql: string; readonly params: readonly unknown[] },
  limit?: number,
): Promise<FtTrade[]> {
  const rows = await db.query<Raw>(
    `${tradeSelect(dialect)}${where === undefined ? '' : ` WHERE ${where.sql}`} ORDER BY id${limit === undefined ? '' : ` LIMIT ${Math.trunc(limit)}`}`,
    where?.params ?? [],
  );
  return rows.map(toTrade);
}

/** Orders, by id (freqtrade's own order: `Trade.orders` is ordered by `Order.id`). */
export async function readOrders(
  db: Queryable,
  dialect: 'postgres' | 'sqlite',
  where?: { readonly sql: string; readonly params: readonly unknown[] },
): Promise<FtOrder[]> {
  const rows = await db.query<Raw>(
    `SELECT id, ft_trade_id, ft_order_side, ft_pair, ft_is_open, ft_amount, ft_price, order_id, status, price, average, stop_price, amount,
      filled, ft_fee_base, funding_fee, ${dateColumn(dialect, 'order_filled_date')} FROM orders${where === undefined ? '' : ` WHERE ${where.sql}`} ORDER BY id`,
    where?.params ?? [],
  );
  return rows.map(toOrder);
}

/** The trade's entry side: freqtrade's `entry_side` ('sell' for a short). */
export function entrySide(trade: Pick<FtTrade, 'isShort'>): 'buy' | 'sell' {
  return trade.isShort ? 'sell' : 'buy';
}

/** The trade's exit side: freqtrade's `exit_side`. */
export function exitSideOf(trade: Pick<FtTrade, 'isShort'>): 'buy' | 'sell' {
  return trade.isShort ? 'buy' : 'sell';
}

/** freqtrade's `Order.safe_price`: average, else price, else stop price, else the placement price (falsy values fall through, as `or` does). */
export function safePrice(order: Pick<FtOrder, 'average' | 'price' | 'stopPrice' | 'ftPrice'>): Decimal {
  for (const v of [order.average, order.price, order.stopPrice]) if (v !== null && !v.isZero()) return v;
  return order.ftPrice;
}

/** freqtrade's `Order.safe_amount_after_fee`: filled minus the fee taken in the base currency. */
export function amountAfterFee(order: Pick<FtOrder, 'filled' | 'ftFeeBase'>): Decimal {
  return (order.filled ?? new Decimal(0)).minus(order.ftFeeBase ?? 0);
}

/** Filled and closed on freqtrade's terms (`select_filled_orders`): not open, something filled. */
export function isFilled(order: Pick<FtOrder, 'ftIsOpen' | 'filled'>): boolean {
  return !order.ftIsOpen && order.filled !== null && !order.filled.isZero();
}
