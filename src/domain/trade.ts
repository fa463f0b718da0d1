import { anyDecimal, positiveDecimal, type DecimalString } from './decimal.ts';
import { pastTimestamp, positiveInteger, requiredText } from './fields.ts';

/** One execution as the broker reports it (the `trade_history` table), validated on creation. */
export interface Trade {
  readonly id: number;
  readonly accountId: number;
  readonly contractId: string;
  readonly quantity: DecimalString;
  readonly price: DecimalString;
  /** Realized P&L; negative for a loss, null on a half-turn (an opening fill realizes nothing). */
  readonly pnl: DecimalString | null;
  readonly executedAt: string;
}

/** What createTrade takes: a broker payload or a database row, not yet trusted. */
export interface TradeInput {
  readonly id: number;
  readonly accountId: number;
  readonly contractId: string;
  readonly quantity: DecimalString;
  readonly price: DecimalString;
  readonly pnl?: DecimalString | null | undefined;
  readonly executedAt: string | Date;
}

const MODEL = 'Trade';

/** Validates a trade: positive ids, quantity and price, a decimal P&L of either sign, an execution time not in the future. */
export function createTrade(input: TradeInput, now: Date = new Date()): Trade {
  return {
    id: positiveInteger(MODEL, 'id', input.id),
    accountId: positiveInteger(MODEL, 'accountId', input.accountId),
    contractId: requiredText(MODEL, 'contractId', input.contractId),
    quantity: positiveDecimal(MODEL, 'quantity', input.quantity),
    price: positiveDecimal(MODEL, 'price', input.price),
    pnl: input.pnl === null || input.pnl === undefined ? null : anyDecimal(MODEL, 'pnl', input.pnl),
    executedAt: pastTimestamp(MODEL, 'executedAt', input.executedAt, now),
  };
}
