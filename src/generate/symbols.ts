import { Decimal } from 'decimal.js';

/** A tradable symbol as the generator uses it: lot and tick decimals, a start price, order sizes. */
export interface SymbolSpec {
  readonly symbol: string;
  /** Decimals of a quantity (the lot size is 10^-qtyDecimals). */
  readonly qtyDecimals: number;
  /** Decimals of a price (the tick). */
  readonly priceDecimals: number;
  /** The start price in ticks. */
  readonly priceTicks: bigint;
  /** The smallest and largest order, in lots (about 50 and 5000 USDT). */
  readonly minLots: bigint;
  readonly maxLots: bigint;
}

// No base is a prefix of another, so min(symbol) agrees under the C and the linguistic collations.
const TABLE: readonly (readonly [base: string, qtyDecimals: number, priceDecimals: number, price: string])[] = [
  ['BTC', 5, 1, '61250.0'],
  ['ETH', 4, 2, '3050.00'],
  ['SOL', 2, 2, '148.50'],
  ['XRP', 1, 4, '0.5925'],
  ['ADA', 0, 4, '0.4630'],
  ['DOGE', 0, 5, '0.15230'],
  ['AVAX', 2, 2, '34.75'],
  ['LINK', 2, 3, '14.520'],
  ['DOT', 2, 3, '6.980'],
  ['TRX', 0, 5, '0.12050'],
  ['LTC', 3, 2, '82.40'],
  ['ATOM', 2, 3, '8.450'],
  ['NEAR', 1, 3, '5.210'],
  ['APT', 2, 3, '8.870'],
  ['ARB', 1, 4, '0.9120'],
  ['OP', 1, 4, '2.1450'],
  ['FIL', 2, 3, '5.630'],
  ['ICP', 2, 3, '11.240'],
  ['XLM', 0, 5, '0.10870'],
  ['HBAR', 0, 5, '0.07650'],
  ['INJ', 2, 3, '24.310'],
  ['SUI', 1, 4, '1.0530'],
  ['AAVE', 3, 2, '96.80'],
  ['UNI', 2, 3, '7.420'],
];

function lots(notional: string, price: string, decimals: number, rounding: Decimal.Rounding): bigint {
  return BigInt(new Decimal(notional).div(price).times(new Decimal(10).pow(decimals)).toDecimalPlaces(0, rounding).toFixed(0));
}

/** Every symbol the generator trades, quoted in USDT. */
export const SYMBOLS: readonly SymbolSpec[] = TABLE.map(([base, qtyDecimals, priceDecimals, price]) => ({
  symbol: `${base}/USDT`,
  qtyDecimals,
  priceDecimals,
  priceTicks: BigInt(new Decimal(price).times(new Decimal(10).pow(priceDecimals)).toFixed(0)),
  minLots: lots('50', price, qtyDecimals, Decimal.ROUND_UP),
  maxLots: lots('5000', price, qtyDecimals, Decimal.ROUND_DOWN),
}));
