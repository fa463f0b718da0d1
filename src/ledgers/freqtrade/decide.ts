import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { dustThreshold } from '../../recon/decide.ts';
import type { ReconFlags } from '../../recon/flags.ts';
import type { DumpFee } from '../../evidence/ccxt-dump.ts';
import type { ExchangeOrder, TradeMatch } from './match.ts';
import { ftDateMs } from './match.ts';
import { recalcFromOrders, type CloseFigures } from './profit.ts';
import { exitSideOf, type FtOrder, type FtTrade } from './rows.ts';

/** freqtrade's own exit reason for a trade closed on the exchange behind its back (ExitType.SOLD_ON_EXCHANGE). */
export const SOLD_ON_EXCHANGE = 'sold_on_exchange';

/** Why a ghost trade may not be closed now. */
export type FtNoGoReason =
  | 'trading_mode_unsupported'
  | 'unknown_entry_order'
  | 'open_order_in_database'
  | 'evidence_incomplete'
  | 'exchange_position_unknown'
  | 'exchange_not_flat'
  | 'missing_fill_evidence_for_large_remainder'
  | 'evidence_exceeds_trade'
  | 'evidence_changed_since_plan';

/** An exit order row to insert, from one exchange order. */
export interface NewExitOrder {
  readonly orderId: string;
  readonly side: 'buy' | 'sell';
  readonly type: string | null;
  readonly filled: Decimal;
  readonly average: Decimal;
  readonly cost: Decimal;
  /** freqtrade datetime text. */
  readonly orderDate: string;
  readonly filledDate: string;
  readonly fundingFee: Decimal;
  readonly feeBase: Decimal | null;
  /** The exchange order's fees per currency (what the close fee is taken from). */
  readonly fees: readonly DumpFee[];
  /** orders.id of our own exit row a rollback canceled, filled again instead of a new insert; null: a new row. */
  readonly reuseId: number | null;
}

/** The trades row after the close, as freqtrade's `close()` leaves it. */
export interface TradeClose extends CloseFigures {
  readonly closeRate: Decimal;
  readonly closeDate: string;
  readonly feeClose: Decimal;
  readonly feeCloseCost: Decimal | null;
  readonly feeCloseCurrency: string | null;
  readonly exitReason: typeof SOLD_ON_EXCHANGE;
  readonly exitOrderStatus: 'closed';
}

/** What the gates concluded for one open trade. */
export interface FtDecision {
  readonly tradeId: number;
  readonly pair: string;
  readonly go: boolean;
  readonly failed: readonly { readonly reason: FtNoGoReason; readonly detail: string }[];
  readonly openQty: Decimal;
  readonly filledQty: Decimal;
  readonly remainder: Decimal;
  /** The remainder written off as dust when the trade closes (0 when none). */
  readonly dustQty: Decimal;
  readonly threshold: Decimal;
  readonly exchangeQty: Decimal | null;
  readonly orders: readonly NewExitOrder[];
  readonly close: TradeClose | null;
  /** What a reviewer should know about a close that goes (a reinstated exit order, a fee kept as estimated). */
  readonly notes: readonly string[];
  /** sha256 of the trade's open amount and the exit orders it would get, with their fees: what a planned batch re-checks. */
  readonly evidenceHash: string;
}

/** freqtrade's datetime text ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC) for epoch milliseconds. */
export function ftDate(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 23)}000`;
}

function exitOrders(trade: FtTrade, exits: readonly ExchangeOrder[], rolledBack: ReadonlyMap<string, number>): NewExitOrder[] {
  return exits.map((o, i) => ({
    orderId: o.orderId,
    side: o.side,
    type: o.type,
    filled: o.filled,
    average: o.average,
    cost: o.cost,
    orderDate: ftDate(o.firstAt),
    filledDate: ftDate(o.lastAt),
    // update_trade hands the running funding fees to the next filled order and resets them.
    fundingFee: i === 0 ? new Decimal(trade.fundingFeeRunning ?? 0) : new Decimal(0),
    // freqtrade's fee_abs: the part of the fee taken in the base currency comes off the order's amount.
    feeBase: o.fees.find((f) => f.currency === currencies(trade).base)?.cost ?? null,
    fees: o.fees,
    reuseId: rolledBack.get(o.orderId) ?? null,
  }));
}

/** The pair's base and quote currencies, as freqtrade's get_pair_base_currency / get_pair_quote_currency read them from the symbol. */
function currencies(trade: Pick<FtTrade, 'pair' | 'baseCurrency'>): { base: string | null; quote: string | null } {
  const [base, rest] = trade.pair.split('/');
  return { base: trade.baseCurrency ?? base ?? null, quote: rest?.split(':')[0] ?? null };
}

// freqtrade rejects a fee rate of 2 % or more as a ccxt parsing error (get_real_amount, ccxt issue 8025).
const RATE_CEILING = new Decimal('0.02');
// freqtrade's calculate_fee_rate rounds a rate it computes to 8 places.
const rate8 = (value: Decimal): Decimal => value.toDecimalPlaces(8, Decimal.ROUND_HALF_EVEN);

type CloseFee = Pick<TradeClose, 'feeClose' | 'feeCloseCost' | 'feeCloseCurrency'> & { readonly note: string | null };

/**
 * freqtrade's `update_fee` for the exit side: only the first exit order's fee, and only while the
 * trade has none yet. One currency (ccxt's order `fee`): its cost and currency, and its rate — the
 * exchange's, else the fee over the order's cost (quote) or amount (base), to 8 places; a third
 * currency (BNB) without a rate keeps the trade's fee_close estimate, as freqtrade does when it has
 * no ticker for it. Several currencies: freqtrade adds their costs as one number under the last
 * currency and averages their rates; here each is valued in the quote currency instead (base at the
 * order's average price, a third currency by its own rate) and fee_close is their sum over the
 * order's cost, so the profit carries the whole fee; a part that cannot be valued (a third currency
 * without a rate) keeps the estimate. A rate of 2 % or more is refused, as freqtrade refuses it.
 */
function closeFee(trade: FtTrade, first: ExchangeOrder | undefined): CloseFee {
  const kept = { feeClose: trade.feeClose, feeCloseCost: trade.feeCloseCost, feeCloseCurrency: trade.feeCloseCurrency };
  if (trade.feeCloseCurrency !== null || first === undefined || first.fees.length === 0) return { ...kept, note: null };
  const { base, quote } = currencies(trade);
  const listed = first.fees.map((f) => `${f.cost.toFixed()} ${f.currency}`).join(' + ');
  const tooHigh = (rate: Decimal): CloseFee => ({
    ...kept,
    note: `exit fee ${listed} is a rate of ${rate.toFixed()} (2 % or more): freqtrade rejects it, so fee_close stays ${trade.feeClose.toFixed()}`,
  });
  if (first.fees.length === 1) {
    const fee = first.fees[0] as DumpFee;
    const rate =
      fee.rate ??
      (fee.currency === quote && first.cost.gt(0)
        ? rate8(fee.cost.div(first.cost))
        : fee.currency === base && first.filled.gt(0)
          ? rate8(fee.cost.div(first.filled))
          : null);
    if (rate?.gte(RATE_CEILING)) return tooHigh(rate);
    return {
      feeClose: rate ?? trade.feeClose,
      feeCloseCost: fee.cost,
      feeCloseCurrency: fee.currency,
      note: rate === null ? `exit fee ${listed} has no rate and no price here: fee_close stays ${trade.feeClose.toFixed()}` : null,
    };
  }
  const values = first.fees.map((f) =>
    f.currency === quote ? f.cost : f.currency === base ? f.cost.times(first.average) : f.rate === null ? null : f.rate.times(first.cost),
  );
  if (quote === null || !first.cost.gt(0) || values.some((v) => v === null)) {
    return { ...kept, note: `exit fee ${listed}: a part has no rate and no price here, so fee_close stays ${trade.feeClose.toFixed()}` };
  }
  const total = values.reduce((s: Decimal, v) => s.plus(v as Decimal), new Decimal(0));
  const rate = rate8(total.div(first.cost));
  if (rate.gte(RATE_CEILING)) return tooHigh(rate);
  return { feeClose: rate, feeCloseCost: total, feeCloseCurrency: quote, note: `exit fee ${listed} valued as ${total.toFixed()} ${quote}` };
}

// The fees are in it because they decide fee_close and the profit: a dump regenerated between plan
// and apply with other fees must not write figures nobody reviewed. Sorted by currency, so the
// order fills list them in does not matter; decimals as toFixed, so "0.10" and "0.1" are the same.
function hashOf(trade: FtTrade, orders: readonly NewExitOrder[]): string {
  const fees = (o: NewExitOrder) =>
    [...o.fees]
      .sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0))
      .map((f) => [f.currency, f.cost.toFixed(), f.rate?.toFixed() ?? null]);
  const payload = JSON.stringify([trade.id, trade.amount.toFixed(), orders.map((o) => [o.orderId, o.side, o.filled.toFixed(), o.average.toFixed(), fees(o)])]);
  return createHash('sha256').update(payload).digest('hex');
}

function asOrder(trade: FtTrade, o: NewExitOrder, id: number): FtOrder {
  return {
    id,
    ftTradeId: trade.id,
    ftOrderSide: o.side,
    ftPair: trade.pair,
    ftIsOpen: false,
    ftAmount: o.filled,
    ftPrice: o.average,
    orderId: o.orderId,
    status: 'closed',
    price: o.average,
    average: o.average,
    stopPrice: null,
    amount: o.filled,
    filled: o.filled,
    ftFeeBase: o.feeBase,
    fundingFee: o.fundingFee,
    orderFilledDate: o.filledDate,
  };
}

/**
 * The go / no-go of one ghost trade (pure), with the runbook's gates: the exchange flat within the
 * dust threshold, exit fills covering the open amount up to that threshold
 * (docs/runbooks/reconciliation-exit-backfill.md §4), no entry the database lacks; and, when it goes,
 * the exit orders and the trade's close as freqtrade computes it.
 */
export function decideFreqtrade(input: {
  readonly trade: FtTrade;
  /** The trade's orders in the database, in id order. */
  readonly orders: readonly FtOrder[];
  readonly match: TradeMatch;
  /** Futures: the signed position; spot: the base currency's total balance; null when the evidence has neither. */
  readonly exchangeQty: Decimal | null;
  /** This trade's exit orders a rollback canceled (order_id → orders.id), which `match` saw as new: filled again, not inserted. */
  readonly rolledBack?: ReadonlyMap<string, number>;
  /** Why the evidence may not be whole; any makes every trade a no-go. */
  readonly evidenceProblems?: readonly string[];
  readonly flags: Pick<ReconFlags, 'dustAbsQty' | 'dustRelPct'>;
}): FtDecision {
  const { trade, match, exchangeQty, flags } = input;
  const openQty = trade.amount;
  const threshold = dustThreshold(openQty, flags);
  const orders = exitOrders(trade, match.exits, input.rolledBack ?? new Map());
  const filledQty = orders.reduce((s, o) => s.plus(o.filled.minus(o.feeBase ?? 0)), new Decimal(0));
  const remainder = openQty.minus(filledQty);
  const failed: { reason: FtNoGoReason; detail: string }[] = [];
  if (trade.tradingMode !== 'spot' && trade.tradingMode !== 'futures')
    failed.push({ reason: 'trading_mode_unsupported', detail: `trading_mode ${trade.tradingMode}: only spot and futures trades are closed` });
  if (match.unknownEntries.length > 0)
    failed.push({
      reason: 'unknown_entry_order',
      detail: `the exchange has ${exitSideOf(trade) === 'buy' ? 'sell' : 'buy'} order(s) ${match.unknownEntries.map((o) => o.orderId).join(', ')} the database lacks: let freqtrade import them first`,
    });
  if (match.knownOpen.length > 0)
    failed.push({
      reason: 'open_order_in_database',
      detail: `order(s) ${match.knownOpen.map((o) => o.orderId).join(', ')} filled on the exchange are still open in the database (ft_is_open = 1): freqtrade updates orders it knows when it restarts; restart it and run again`,
    });
  // Open in the database but not filled on the exchange (a DCA entry or a stoploss still working, or
  // settled there while the bot was away): closing over it leaves a closed trade with an open order,
  // which freqtrade fills or settles into that closed trade when it restarts.
  const filledOpen = new Set(match.knownOpen.map((o) => o.orderId));
  const stillOpen = input.orders.filter((o) => o.ftIsOpen && !filledOpen.has(o.orderId));
  if (stillOpen.length > 0)
    failed.push({
      reason: 'open_order_in_database',
      detail: `order(s) ${stillOpen.map((o) => `${o.orderId} (${o.ftOrderSide})`).join(', ')} are still open in the database (ft_is_open = 1): restart freqtrade so that it settles them with the exchange (or cancel them there), then run again`,
    });
  if ((input.evidenceProblems ?? []).length > 0) failed.push({ reason: 'evidence_incomplete', detail: (input.evidenceProblems ?? []).slice(0, 3).join('; ') });
  if (exchangeQty === null)
    failed.push({
      reason: 'exchange_position_unknown',
      detail: `the evidence has no ${trade.tradingMode === 'futures' ? 'position' : 'balance'} for ${trade.pair}`,
    });
  else if (exchangeQty.abs().gt(threshold))
    failed.push({ reason: 'exchange_not_flat', detail: `the exchange still holds ${exchangeQty.toFixed()} (dust threshold ${threshold.toFixed()})` });
  if (remainder.gt(threshold))
    failed.push({
      reason: 'missing_fill_evidence_for_large_remainder',
      detail: `exit fills cover ${filledQty.toFixed()} of ${openQty.toFixed()}; ${remainder.toFixed()} left is above the dust threshold ${threshold.toFixed()}`,
    });
  else if (remainder.negated().gt(threshold))
    failed.push({ reason: 'evidence_exceeds_trade', detail: `exit fills of ${filledQty.toFixed()} exceed the open amount ${openQty.toFixed()}` });
  const go = failed.length === 0;
  let close: TradeClose | null = null;
  const notes: string[] = [];
  if (go) {
    const { note, ...fee } = closeFee(trade, match.exits[0]);
    if (note !== null) notes.push(note);
    // A reinstated row keeps its id, so it stands where it stood in freqtrade's id order; new rows come after every existing one.
    const nextId = Math.max(0, ...input.orders.map((o) => o.id)) + 1;
    const reused = new Map(orders.filter((o) => o.reuseId !== null).map((o) => [o.reuseId as number, asOrder(trade, o, o.reuseId as number)]));
    const added = orders.filter((o) => o.reuseId === null).map((o, i) => asOrder(trade, o, nextId + i));
    const all = [...input.orders.map((o) => reused.get(o.id) ?? o), ...added];
    if (reused.size > 0)
      notes.push(
        `reinstated exit order(s) ${orders
          .filter((o) => o.reuseId !== null)
          .map((o) => o.orderId)
          .join(', ')} that a rollback had canceled`,
      );
    const figures = recalcFromOrders({ ...trade, feeClose: fee.feeClose }, all, true);
    const lastExit = orders.at(-1) as NewExitOrder;
    const lastFill = Math.max(ftDateMs(trade.openDate), ...match.exits.map((o) => o.lastAt));
    close = { ...figures, ...fee, closeRate: lastExit.average, closeDate: ftDate(lastFill), exitReason: SOLD_ON_EXCHANGE, exitOrderStatus: 'closed' };
  }
  return {
    tradeId: trade.id,
    pair: trade.pair,
    go,
    failed,
    openQty,
    filledQty,
    remainder,
    dustQty: go && remainder.gt(0) ? remainder : new Decimal(0),
    threshold,
    exchangeQty,
    orders,
    close,
    notes,
    evidenceHash: hashOf(trade, orders),
  };
}
