import { Decimal } from 'decimal.js';
import { parseZonedTime } from '../domain/iso-time.ts';
import { holdsNulByte } from '../domain/nul-byte.ts';
import type { EvidenceFill, EvidencePosition } from './port.ts';

/** Fields of a fill row: the exchange_fills columns, so one vocabulary serves the table, JSON and CSV. */
export const FILL_FIELDS = [
  'profile_id',
  'symbol',
  'exchange_order_id',
  'exchange_trade_id',
  'client_order_id',
  'side',
  'quantity',
  'price',
  'filled_at',
] as const;

/** Fields of a position row: the exchange_positions columns. */
export const POSITION_FIELDS = ['profile_id', 'symbol', 'quantity', 'observed_at'] as const;

/** A row's values by field name; absent (undefined or null) means not given. */
export type RawRow = Readonly<Record<string, unknown>>;

// Plain notation only, as everywhere in tradeledger: no exponent, no '+', no spaces.
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Thrown inside a row check; the caller prefixes the location. */
class RowProblem extends Error {}

function shown(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
}

function optionalText(row: RawRow, field: string): string | null {
  const value = row[field];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new RowProblem(`${field} ${shown(value)} is not a string`);
  if (value.trim() === '') throw new RowProblem(`${field} is blank`);
  // PostgreSQL text cannot hold 0x00, and these values end up in the ledger and its audit.
  if (holdsNulByte(value)) throw new RowProblem(`${field} holds a NUL byte (\\u0000), which the ledger cannot store: remove it`);
  return value;
}

function requiredText(row: RawRow, field: string): string {
  const value = optionalText(row, field);
  if (value === null) throw new RowProblem(`${field} is missing`);
  return value;
}

function decimal(row: RawRow, field: string, sign: 'positive' | 'any', required: boolean): Decimal | null {
  const value = row[field];
  if (typeof value === 'number') {
    // A JSON number has already been rounded to a binary float by the parser: 0.1 is not 0.1.
    throw new RowProblem(`${field} ${String(value)} is a JSON number; write it as a string ("${String(value)}"), since a float loses digits`);
  }
  const raw = required ? requiredText(row, field) : optionalText(row, field);
  if (raw === null) return null;
  if (!DECIMAL.test(raw)) throw new RowProblem(`${field} ${shown(raw)} is not a decimal (write it like '0.00000001')`);
  const parsed = new Decimal(raw);
  if (sign === 'positive' && !parsed.gt(0)) throw new RowProblem(`${field} ${shown(raw)} must be above zero`);
  return parsed;
}

function moment(row: RawRow, field: string): Date {
  const raw = requiredText(row, field);
  // Date rolls 2025-02-30 over into March; parseZonedTime refuses a day the calendar does not have.
  const date = parseZonedTime(raw);
  if (date === null) throw new RowProblem(`${field} ${shown(raw)} is not an ISO-8601 time with a zone (e.g. 2025-10-22T14:30:00Z)`);
  return date;
}

function unknownFields(row: RawRow, allowed: readonly string[], kind: string): void {
  for (const key of Object.keys(row)) {
    if (!allowed.includes(key)) throw new RowProblem(`field '${key}' does not belong to a ${kind} (a ${kind} has ${allowed.join(', ')})`);
  }
}

function checked<T>(build: () => T): T | string {
  try {
    return build();
  } catch (error) {
    if (error instanceof RowProblem) return error.message;
    throw error;
  }
}

/** Validates one fill row; returns the fill or its first problem ("quantity 'abc' is not a decimal …"). */
export function fillFromRow(row: RawRow): EvidenceFill | string {
  return checked(() => {
    unknownFields(row, FILL_FIELDS, 'fill');
    const profileId = requiredText(row, 'profile_id');
    const symbol = requiredText(row, 'symbol');
    const exchangeOrderId = requiredText(row, 'exchange_order_id');
    const exchangeTradeId = requiredText(row, 'exchange_trade_id');
    const clientOrderId = optionalText(row, 'client_order_id');
    const sideText = requiredText(row, 'side');
    const side = sideText.toLowerCase();
    if (side !== 'buy' && side !== 'sell') throw new RowProblem(`side ${shown(sideText)} is not buy or sell`);
    const quantity = decimal(row, 'quantity', 'positive', true) as Decimal;
    const price = decimal(row, 'price', 'positive', false);
    const filledAt = moment(row, 'filled_at');
    return { profileId, symbol, exchangeOrderId, exchangeTradeId, clientOrderId, side, quantity, price, filledAt };
  });
}

/** Validates one position row (quantity 0 is flat; a short position may be negative). */
export function positionFromRow(row: RawRow): EvidencePosition | string {
  return checked(() => {
    unknownFields(row, POSITION_FIELDS, 'position');
    const profileId = requiredText(row, 'profile_id');
    const symbol = requiredText(row, 'symbol');
    const quantity = decimal(row, 'quantity', 'any', true) as Decimal;
    const observedAt = moment(row, 'observed_at');
    return { profileId, symbol, quantity, observedAt };
  });
}
