import { Decimal } from 'decimal.js';
import type { Database } from '../../db/port.ts';
import { isExitOrder } from './anomalies.ts';
import { amountAfterFee, isFilled, readOrders, readTrades } from './rows.ts';
import { requireFreqtradeSchema } from './schema.ts';

/** An open freqtrade trade, as `recon detect --ledger freqtrade` lists it. */
export interface FtOpenTrade {
  readonly tradeId: number;
  readonly pair: string;
  readonly direction: 'long' | 'short';
  readonly tradingMode: string;
  readonly openDate: string;
  readonly amount: string;
  readonly entryFilled: string;
  readonly exitFilled: string;
}

/** The open trades of a freqtrade database, with what their orders filled (read only). */
export async function detectFreqtradeOpen(db: Database): Promise<FtOpenTrade[]> {
  const { dialect } = await requireFreqtradeSchema(db);
  const trades = await readTrades(db, dialect, { sql: 'is_open = $1', params: [true] });
  const orders = await readOrders(db, dialect, { sql: `ft_trade_id IN (SELECT id FROM trades WHERE is_open = $1)`, params: [true] });
  return trades.map((trade) => {
    const own = orders.filter((o) => o.ftTradeId === trade.id && isFilled(o));
    const sum = (exit: boolean) => own.filter((o) => isExitOrder(trade, o) === exit).reduce((s, o) => s.plus(amountAfterFee(o)), new Decimal(0));
    return {
      tradeId: trade.id,
      pair: trade.pair,
      direction: trade.isShort ? 'short' : 'long',
      tradingMode: trade.tradingMode,
      openDate: trade.openDate,
      amount: trade.amount.toFixed(),
      entryFilled: sum(false).toFixed(),
      exitFilled: sum(true).toFixed(),
    };
  });
}
