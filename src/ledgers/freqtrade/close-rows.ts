import type { Queryable } from '../../db/port.ts';
import { SafetyError } from '../../errors.ts';
import type { FtDecision, NewExitOrder, TradeClose } from './decide.ts';
import { ANY_ROLLBACK_REASON } from './reinstate.ts';
import type { FtTrade } from './rows.ts';

/** The trades columns a close changes, as text (decimals exact) and booleans: what the audit's before and after images hold. */
export type TradeImage = Readonly<Record<string, string | boolean | null>>;

const str = (v: { toFixed(): string } | null): string | null => (v === null ? null : v.toFixed());

/** The columns the close will change, as they are now. */
export function beforeImage(trade: FtTrade): TradeImage {
  return {
    is_open: trade.isOpen,
    close_rate: str(trade.closeRate),
    close_date: trade.closeDate,
    exit_reason: trade.exitReason,
    exit_order_status: trade.exitOrderStatus,
    close_profit: str(trade.closeProfit),
    close_profit_abs: str(trade.closeProfitAbs),
    realized_profit: str(trade.realizedProfit),
    funding_fees: str(trade.fundingFees),
    funding_fee_running: str(trade.fundingFeeRunning),
    max_stake_amount: str(trade.maxStakeAmount),
    fee_close: str(trade.feeClose),
    fee_close_cost: str(trade.feeCloseCost),
    fee_close_currency: trade.feeCloseCurrency,
  };
}

/** The same columns after freqtrade's close. */
export function afterImage(close: TradeClose): TradeImage {
  return {
    is_open: false,
    close_rate: close.closeRate.toFixed(),
    close_date: close.closeDate,
    exit_reason: close.exitReason,
    exit_order_status: close.exitOrderStatus,
    close_profit: close.closeProfit.toFixed(),
    close_profit_abs: close.closeProfitAbs.toFixed(),
    realized_profit: close.realizedProfit.toFixed(),
    funding_fees: close.fundingFees.toFixed(),
    funding_fee_running: '0',
    max_stake_amount: close.maxStakeAmount.toFixed(),
    fee_close: close.feeClose.toFixed(),
    fee_close_cost: str(close.feeCloseCost),
    fee_close_currency: close.feeCloseCurrency,
  };
}

const IMAGE_COLUMNS = [
  'is_open',
  'close_rate',
  'close_date',
  'exit_reason',
  'exit_order_status',
  'close_profit',
  'close_profit_abs',
  'realized_profit',
  'funding_fees',
  'funding_fee_running',
  'max_stake_amount',
  'fee_close',
  'fee_close_cost',
  'fee_close_currency',
] as const;

/** Sets a trade's image columns; `whereOpen` is the is_open value the row must still have, or the statement changes nothing. */
export async function writeImage(tx: Queryable, tradeId: number, image: TradeImage, whereOpen: boolean): Promise<number> {
  const sets = IMAGE_COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(', ');
  const rows = await tx.query(`UPDATE trades SET ${sets} WHERE id = $${IMAGE_COLUMNS.length + 1} AND is_open = $${IMAGE_COLUMNS.length + 2} RETURNING id`, [
    ...IMAGE_COLUMNS.map((c) => image[c] ?? null),
    tradeId,
    whereOpen,
  ]);
  return rows.length;
}

/**
 * A filled exit order's values, `$1`–`$11` of both the insert and the reinstating update: side,
 * ft_is_open (false), the filled amount, the average price, order type, cost, order date, fill
 * date, update date, funding fee, fee taken in base.
 */
function filledValues(o: NewExitOrder, nowText: string): unknown[] {
  return [
    o.side,
    false,
    o.filled.toFixed(),
    o.average.toFixed(),
    o.type,
    o.cost.toFixed(),
    o.orderDate,
    o.filledDate,
    nowText,
    o.fundingFee.toFixed(),
    o.feeBase === null ? null : o.feeBase.toFixed(),
  ];
}

/**
 * Fills our own exit row a rollback canceled again, with the same values an insert would write
 * (its id, and so its place in freqtrade's id order, stays). Only a row still as the rollback left
 * it is touched; anything else refuses the transaction whole.
 */
async function reinstateOrder(tx: Queryable, trade: FtTrade, o: NewExitOrder, nowText: string): Promise<void> {
  const rows = await tx.query(
    `UPDATE orders SET ft_order_side = $1, side = $1, ft_is_open = $2, ft_amount = $3, amount = $3, filled = $3, remaining = '0', ft_price = $4,
       price = $4, average = $4, status = 'closed', order_type = $5, cost = $6, order_date = $7, order_filled_date = $8, order_update_date = $9,
       funding_fee = $10, ft_fee_base = $11, ft_cancel_reason = NULL
     WHERE id = $12 AND ft_trade_id = $13 AND order_id = $14 AND status = 'canceled' AND ft_is_open = $2 AND ft_cancel_reason LIKE $15
     RETURNING id`,
    [...filledValues(o, nowText), o.reuseId, trade.id, o.orderId, ANY_ROLLBACK_REASON],
  );
  if (rows.length !== 1) {
    throw new SafetyError(`exit order ${o.orderId} of trade ${trade.id} changed since it was read: nothing was written; run again`, 'FREQTRADE_CHANGED');
  }
}

/**
 * Writes a decided close as freqtrade's `handle_onexchange_order` would: the exit orders (real
 * exchange ids, closed, filled, average price, fill dates; our own rows a rollback canceled are
 * filled again rather than inserted twice), then the trade closed. The trade must
 * still be open, or the transaction is refused whole.
 */
export async function writeClose(tx: Queryable, trade: FtTrade, decision: FtDecision, nowText: string): Promise<void> {
  if (decision.close === null) return;
  for (const o of decision.orders) {
    if (o.reuseId !== null) {
      await reinstateOrder(tx, trade, o, nowText);
      continue;
    }
    await tx.query(
      `INSERT INTO orders (ft_trade_id, ft_order_side, ft_pair, ft_is_open, ft_amount, ft_price, order_id, status, symbol, order_type, side,
         price, average, amount, filled, remaining, cost, order_date, order_filled_date, order_update_date, funding_fee, ft_fee_base)
       VALUES ($12, $1, $13, $2, $3, $4, $14, 'closed', $13, $5, $1, $4, $4, $3, $3, '0', $6, $7, $8, $9, $10, $11)`,
      [...filledValues(o, nowText), trade.id, trade.pair, o.orderId],
    );
  }
  if ((await writeImage(tx, trade.id, afterImage(decision.close), true)) !== 1) {
    throw new SafetyError(`trade ${trade.id} was closed by someone else meanwhile: nothing was written; run again`, 'FREQTRADE_CHANGED');
  }
}
