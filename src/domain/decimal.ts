import { Decimal } from 'decimal.js';
import { ValidationError } from './validation-error.ts';

/**
 * An exact decimal as text ('21000.25', '-550.5'): how prices, quantities and P&L travel and are
 * stored. A JS number is a binary float and cannot hold 0.1 exactly, so models never take one.
 */
export type DecimalString = string;

// Plain notation only: no exponent, no '+', no whitespace, digits on both sides of the point.
const DECIMAL = /^-?\d+(\.\d+)?$/;

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : `${String(value)} (${typeof value})`;
}

/** Parses a decimal string for comparison; anything else (a number, '1e5', '') is refused naming `field`. */
export function parseDecimal(model: string, field: string, value: unknown): Decimal {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    const hint = typeof value === 'number' ? 'pass it as a string, since a float loses cents' : "write it like '21000.25'";
    throw new ValidationError(field, `${model}.${field} must be a decimal string (got ${describe(value)}): ${hint}`);
  }
  return new Decimal(value);
}

/** A decimal string that is above zero (a price, a size); returned as given. */
export function positiveDecimal(model: string, field: string, value: unknown): DecimalString {
  const parsed = parseDecimal(model, field, value);
  if (!parsed.gt(0)) throw new ValidationError(field, `${model}.${field} must be positive (got '${String(value)}')`);
  return value as DecimalString;
}

/** A decimal string of any sign (a P&L); returned as given. */
export function anyDecimal(model: string, field: string, value: unknown): DecimalString {
  parseDecimal(model, field, value);
  return value as DecimalString;
}

/** An optional positive decimal: null and undefined mean absent. */
export function optionalPositiveDecimal(model: string, field: string, value: unknown): DecimalString | null {
  return value === null || value === undefined ? null : positiveDecimal(model, field, value);
}
