import { readFile } from 'node:fs/promises';
import { Decimal } from 'decimal.js';
import { UsageError, errorMessage } from '../errors.ts';
import { EvidenceFileError } from './file.ts';

/** A fee in one currency, ccxt's fee structure with its numbers exact. */
export interface DumpFee {
  readonly cost: Decimal;
  readonly currency: string;
  /** The fee over the fill's cost, when the exchange gave it. */
  readonly rate: Decimal | null;
}

/** One fill of a ccxt dump: a `fetchMyTrades` item with its numbers exact. */
export interface DumpTrade {
  /** The exchange's trade (fill) id. */
  readonly id: string;
  /** The exchange order id the fill belongs to. */
  readonly order: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: string | null;
  readonly price: Decimal;
  readonly amount: Decimal;
  /** price × amount when ccxt gave no cost. */
  readonly cost: Decimal;
  readonly timestamp: number;
  /** Every fee the fill paid, summed per currency (ccxt's `fees` when it lists one, else its one `fee`); empty when it reported none. */
  readonly fees: readonly DumpFee[];
}

/** One `fetchPositions` item: signed contracts × contract size, in base units (long above 0, short below). */
export interface DumpPosition {
  readonly symbol: string;
  readonly quantity: Decimal;
}

/** A ccxt dump: `{"trades": [fetchMyTrades items], "positions": [fetchPositions items], "balance": fetchBalance}`. */
export interface CcxtDump {
  readonly trades: readonly DumpTrade[];
  readonly positions: readonly DumpPosition[];
  /** True when the dump had a `positions` list (fetchPositions was asked, even if it returned none). */
  readonly positionsListed: boolean;
  /** `balance.total` per currency; absent when the dump has no balance. */
  readonly balanceTotal: ReadonlyMap<string, Decimal> | null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// Numbers must come as text (ccxt's exchange.number = String): a JSON number has been through a
// binary float and may no longer be the exchange's amount.
function decimalAt(where: string, value: unknown, problems: string[], optional = false): Decimal | null {
  if ((value === undefined || value === null) && optional) return null;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) return new Decimal(value);
  problems.push(
    typeof value === 'number'
      ? `${where} is the JSON number ${value}: export numbers as strings (exchange.number = String in ccxt)`
      : `${where} is ${JSON.stringify(value) ?? 'missing'}, not a decimal string`,
  );
  return null;
}

/**
 * A fill's fees, summed per currency. ccxt gives `fees` as the full list (several currencies, or
 * several parts of one) and `fee` as its reduction, or a part of it, when there is more than one
 * currency: so `fees`, when the fill has a fee in that list, is read and `fee` is not. A `fees`
 * list that is empty or holds only placeholders says nothing, and `fee` is read (freqtrade's
 * fee_detection_from_trades prefers `fee` whenever it has a currency and a cost; it differs from
 * this only where `fees` lists several parts). The rate of a currency is the sum of its parts'
 * rates (parts of one fill are over the same cost), unknown if any part lacks one. An entry
 * without a cost is ccxt's placeholder for "no fee"; a cost without its currency is a problem.
 */
function parseFees(item: Json, where: string, problems: string[]): DumpFee[] {
  const fees = item['fees'];
  const listed = Array.isArray(fees) && fees.some((f) => !isObject(f) || (f['cost'] !== undefined && f['cost'] !== null));
  const list = listed ? fees.map((f, i) => [f, `${where}.fees[${i}]`] as const) : [[item['fee'], `${where}.fee`] as const];
  const byCurrency = new Map<string, { cost: Decimal; rate: Decimal | null }>();
  for (const [fee, at] of list) {
    if (fee === undefined || fee === null) continue;
    if (!isObject(fee)) {
      problems.push(`${at} is not a fee structure`);
      continue;
    }
    if (fee['cost'] === undefined || fee['cost'] === null) continue;
    const cost = decimalAt(`${at}.cost`, fee['cost'], problems);
    const rate = decimalAt(`${at}.rate`, fee['rate'], problems, true);
    const currency = fee['currency'];
    if (cost === null) continue;
    if (typeof currency !== 'string' || currency === '') {
      // A zero fee without a currency costs nothing in any currency.
      if (!cost.isZero()) problems.push(`${at}.currency is ${JSON.stringify(currency) ?? 'missing'}: a fee of ${cost.toFixed()} needs its currency`);
      continue;
    }
    const sum = byCurrency.get(currency);
    byCurrency.set(
      currency,
      sum === undefined ? { cost, rate } : { cost: sum.cost.plus(cost), rate: sum.rate === null || rate === null ? null : sum.rate.plus(rate) },
    );
  }
  return [...byCurrency].map(([currency, { cost, rate }]) => ({ cost, currency, rate }));
}

function parseTrade(item: unknown, where: string, problems: string[]): DumpTrade | null {
  if (!isObject(item)) {
    problems.push(`${where} is not an object`);
    return null;
  }
  const before = problems.length;
  const id = item['id'];
  const order = item['order'];
  const symbol = item['symbol'];
  const side = item['side'];
  const timestamp = item['timestamp'];
  if (typeof id !== 'string' || id === '') problems.push(`${where}.id is missing: every fill needs the exchange's trade id`);
  if (typeof order !== 'string' || order === '') problems.push(`${where}.order is missing: every fill needs its exchange order id`);
  if (typeof symbol !== 'string' || symbol === '') problems.push(`${where}.symbol is missing`);
  if (side !== 'buy' && side !== 'sell') problems.push(`${where}.side is ${JSON.stringify(side)}, not buy or sell`);
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp <= 0)
    problems.push(`${where}.timestamp is ${JSON.stringify(timestamp)}, not milliseconds since 1970`);
  const price = decimalAt(`${where}.price`, item['price'], problems);
  const amount = decimalAt(`${where}.amount`, item['amount'], problems);
  const cost = decimalAt(`${where}.cost`, item['cost'], problems, true);
  const fees = parseFees(item, where, problems);
  if (amount !== null && !amount.gt(0)) problems.push(`${where}.amount must be above 0`);
  // A price of 0 would close the trade at 0: a 100 % loss written into freqtrade's figures.
  if (price !== null && !price.gt(0)) problems.push(`${where}.price must be above 0`);
  if (problems.length > before || price === null || amount === null) return null;
  return {
    id: id as string,
    order: order as string,
    symbol: symbol as string,
    side: side as 'buy' | 'sell',
    type: typeof item['type'] === 'string' ? item['type'] : null,
    price,
    amount,
    cost: cost ?? price.times(amount),
    timestamp: timestamp as number,
    fees,
  };
}

function parsePosition(item: unknown, where: string, problems: string[]): DumpPosition | null {
  if (!isObject(item) || typeof item['symbol'] !== 'string') {
    problems.push(`${where} is not a position with a symbol`);
    return null;
  }
  // A position whose contracts are missing is of unknown size, not flat: the exchange-flat gate rests on it.
  const contracts = decimalAt(`${where}.contracts`, item['contracts'], problems);
  if (contracts === null) return null;
  const size = decimalAt(`${where}.contractSize`, item['contractSize'], problems, true) ?? new Decimal(1);
  const side = item['side'];
  if (!contracts.isZero() && side !== 'long' && side !== 'short') {
    problems.push(`${where}.side is ${JSON.stringify(side)}: a position with contracts must be long or short`);
    return null;
  }
  const quantity = contracts.abs().times(size);
  return { symbol: item['symbol'], quantity: side === 'short' ? quantity.negated() : quantity };
}

/** Parses a ccxt dump (pure); every problem is listed, located, and none of the dump may then be used. */
export function parseCcxtDump(text: string, name = 'evidence'): { dump: CcxtDump; problems: string[] } {
  const problems: string[] = [];
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    return { dump: { trades: [], positions: [], positionsListed: false, balanceTotal: null }, problems: [`${name} is not JSON: ${errorMessage(error)}`] };
  }
  if (!isObject(root) || !Array.isArray(root['trades'])) {
    return {
      dump: { trades: [], positions: [], positionsListed: false, balanceTotal: null },
      problems: [`${name} is not a ccxt dump: expected {"trades": [fetchMyTrades items], "positions": [...], "balance": fetchBalance}`],
    };
  }
  const trades = root['trades'].map((t, i) => parseTrade(t, `${name} trades[${i}]`, problems)).filter((t): t is DumpTrade => t !== null);
  const seen = new Set<string>();
  for (const t of trades) {
    if (seen.has(`${t.symbol}\u0000${t.id}`)) problems.push(`${name}: fill ${t.id} of ${t.symbol} appears twice (it would count twice)`);
    seen.add(`${t.symbol}\u0000${t.id}`);
  }
  const rawPositions = root['positions'] ?? [];
  if (!Array.isArray(rawPositions)) problems.push(`${name} positions is not a list`);
  const positions = (Array.isArray(rawPositions) ? rawPositions : [])
    .map((p, i) => parsePosition(p, `${name} positions[${i}]`, problems))
    .filter((p): p is DumpPosition => p !== null);
  let balanceTotal: Map<string, Decimal> | null = null;
  const balance = root['balance'];
  if (balance !== undefined && balance !== null) {
    if (!isObject(balance) || !isObject(balance['total'])) problems.push(`${name} balance has no total: give fetchBalance() as it comes`);
    else {
      balanceTotal = new Map();
      for (const [currency, value] of Object.entries(balance['total'])) {
        const parsed = decimalAt(`${name} balance.total.${currency}`, value, problems, true);
        if (parsed !== null) balanceTotal.set(currency, parsed);
      }
    }
  }
  return { dump: { trades, positions, positionsListed: Array.isArray(root['positions']), balanceTotal }, problems };
}

/** Reads and parses a ccxt dump file; a file with any problem is refused whole (exit 2). */
export async function readCcxtDump(path: string): Promise<CcxtDump> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the evidence file ${path}: ${errorMessage(error)}`, 'EVIDENCE_FILE');
  }
  const { dump, problems } = parseCcxtDump(text, path);
  if (problems.length > 0) throw new EvidenceFileError(path, problems);
  return dump;
}
