import { Decimal } from 'decimal.js';
import { errorMessage } from '../errors.ts';

/** A number as ccxt hands it over: a string when `exchange.number` is String, else a JS number. */
export type Numeric = number | string | undefined | null;

/** A market as ccxt describes it. */
export interface CcxtMarket {
  readonly id: string;
  readonly symbol: string;
  readonly base: string;
  readonly type: string;
  readonly spot: boolean;
  readonly linear?: boolean | undefined;
}

/** The first few hundred characters of a ccxt error, which often carries a whole response body. */
export function ccxtProblem(error: unknown): string {
  const text = errorMessage(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** A ccxt amount as an exact Decimal; undefined when absent or not a number. */
export function ccxtDecimal(value: Numeric): Decimal | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  try {
    const parsed = new Decimal(String(value));
    return parsed.isFinite() ? parsed : undefined;
  } catch {
    // Decimal throws on text that is no number at all; the caller reports the field as unusable.
    return undefined;
  }
}
