import { Decimal } from 'decimal.js';
import { UsageError } from '../../errors.ts';
import { amountAfterFee, entrySide, type FtOrder, type FtTrade, safePrice } from './rows.ts';

// Forty digits: far beyond a double's seventeen, so no step of the arithmetic rounds before freqtrade's own rounding to 8 places.
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
const ZERO = new D(0);

/** The trade facts freqtrade's profit arithmetic reads. */
export type ProfitTrade = Pick<FtTrade, 'isShort' | 'tradingMode' | 'leverage' | 'feeOpen' | 'feeClose' | 'realizedProfit'>;

/** What `recalc_trade_from_orders(is_closing=True)` sets on a trade it closes. */
export interface CloseFigures {
  readonly closeProfitAbs: Decimal;
  readonly closeProfit: Decimal;
  readonly realizedProfit: Decimal;
  readonly fundingFees: Decimal;
  readonly maxStakeAmount: Decimal;
  /** Entries minus exits left after the last order (the dust written off when the trade closes). */
  readonly remainingAmount: Decimal;
}

/** freqtrade's `float(f"{x:.8f}")`: eight places, half to even. */
const round8 = (value: Decimal): Decimal => value.toDecimalPlaces(8, Decimal.ROUND_HALF_EVEN);

/** `_calc_open_trade_value`: amount × rate, plus the open fee (minus it for a short). */
function openTradeValue(trade: ProfitTrade, amount: Decimal, rate: Decimal): Decimal {
  const open = new D(amount).times(rate);
  const fees = open.times(trade.feeOpen);
  return trade.isShort ? open.minus(fees) : open.plus(fees);
}

/** `calc_close_trade_value`: amount × rate, minus the close fee (plus it for a short); futures add (short: subtract) the funding fees. */
function closeTradeValue(trade: ProfitTrade, amount: Decimal, rate: Decimal, fundingFees: Decimal): Decimal {
  const close = new D(amount).times(rate);
  const fees = close.times(trade.feeClose);
  const base = trade.isShort ? close.plus(fees) : close.minus(fees);
  switch (trade.tradingMode) {
    case 'spot':
      return base;
    case 'futures':
      return trade.isShort ? base.minus(fundingFees) : base.plus(fundingFees);
    default:
      // Margin interest depends on the exchange's borrowing terms, which freqtrade computes per exchange; not reproduced here.
      throw new UsageError(`trading_mode ${trade.tradingMode} is not supported for the freqtrade close (spot and futures are)`, 'FREQTRADE_MODE');
  }
}

/** `calculate_profit(rate, amount, open_rate).profit_abs`, rounded to 8 places as freqtrade rounds it. */
export function profitAbs(trade: ProfitTrade, rate: Decimal, amount: Decimal, openRate: Decimal, fundingFees: Decimal): Decimal {
  const close = closeTradeValue(trade, amount, rate, fundingFees);
  const open = openTradeValue(trade, amount, openRate);
  return round8(trade.isShort ? open.minus(close) : close.minus(open));
}

/**
 * freqtrade's `LocalTrade.recalc_trade_from_orders` (trade_model.py at c9ae5e1, 2024.10-dev) in
 * decimals: walks the orders by id, the average entry price over filled entries, each exit's profit
 * at that average; funding fees count in full on the last order when closing. `orders` must be the
 * trade's orders in id order, new exit orders included.
 */
export function recalcFromOrders(trade: ProfitTrade, orders: readonly FtOrder[], isClosing: boolean): CloseFigures {
  const entry = entrySide(trade);
  let currentAmount = ZERO;
  let currentStake = ZERO;
  let maxStake = ZERO;
  let totalStake = ZERO;
  let avgPrice = ZERO;
  let closeProfit = ZERO;
  let closeProfitAbs = ZERO;
  let fundingFees = ZERO;
  let lastProfit = ZERO;
  let price = ZERO;
  const last = orders.length - 1;
  orders.forEach((o, i) => {
    if (o.ftIsOpen || o.filled === null || o.filled.isZero()) return;
    fundingFees = fundingFees.plus(o.fundingFee ?? 0);
    const amount = new D(amountAfterFee(o));
    const orderPrice = new D(safePrice(o));
    const isExit = o.ftOrderSide !== entry;
    const side = isExit ? -1 : 1;
    if (amount.gt(0)) {
      currentAmount = currentAmount.plus(amount.times(side));
      price = isExit ? avgPrice : orderPrice;
      currentStake = currentStake.plus(price.times(amount).times(side));
      if (currentAmount.gt(0) && !isExit) avgPrice = currentStake.div(currentAmount);
    }
    if (isExit) {
      // Before the last closing order the trade's funding_fees were reset to 0 (freqtrade resets them at the top).
      const fees = i === last && isClosing ? fundingFees : ZERO;
      lastProfit = profitAbs(trade, orderPrice, amount, avgPrice, fees);
      closeProfitAbs = closeProfitAbs.plus(lastProfit);
      if (totalStake.gt(0)) closeProfit = closeProfitAbs.div(totalStake).times(trade.leverage);
    } else {
      totalStake = totalStake.plus(openTradeValue(trade, amount, price));
      maxStake = maxStake.plus(amount.times(price));
    }
  });
  let figures = {
    closeProfitAbs: lastProfit,
    closeProfit,
    realizedProfit: closeProfit.isZero() ? new D(trade.realizedProfit ?? 0) : closeProfitAbs,
    fundingFees,
    maxStakeAmount: maxStake,
    remainingAmount: currentAmount,
  };
  // A dust remainder closes with the trade (the runbook's write-off): freqtrade's closing branch.
  if (isClosing && totalStake.gt(0)) {
    figures = { ...figures, closeProfit: closeProfitAbs.div(totalStake).times(trade.leverage), closeProfitAbs };
  }
  return figures;
}
