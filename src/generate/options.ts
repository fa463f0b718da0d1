import { Decimal } from 'decimal.js';
import { impossibleDay } from '../domain/iso-time.ts';
import { UsageError } from '../errors.ts';

/** Where generated history ends unless told otherwise: a fixed time, never the clock. */
export const DEFAULT_END_AT = '2026-02-01T00:00:00.000Z';

/** The default fraction of lifecycles that get an injected anomaly. */
export const DEFAULT_ANOMALY_RATE = '0.01';

/** Rows per INSERT statement. */
export const DEFAULT_BATCH_ROWS = 10_000;

/** What `generate` makes, validated. */
export interface GenerateOptions {
  readonly profiles: number;
  /** Exactly this many `orders` rows. */
  readonly orders: number;
  /** Fraction of lifecycles with an injected anomaly, in parts per million (exact). */
  readonly anomalyPpm: number;
  readonly anomalyRate: string;
  readonly seed: string;
  /** End of the generated history; the ghost lifecycles' evidence lies in the 48 hours before it. */
  readonly endAt: Date;
  readonly batchRows: number;
}

/** Options as a caller gives them (CLI strings or library values). */
export interface GenerateInput {
  readonly profiles?: number | string | undefined;
  readonly orders?: number | string | undefined;
  readonly anomalyRate?: number | string | undefined;
  readonly seed?: number | string | undefined;
  readonly endAt?: Date | string | undefined;
  readonly batchRows?: number | string | undefined;
  /** Connections to write on (default: 2 on PostgreSQL, 1 on PGlite); for measurements. */
  readonly connections?: 1 | 2 | undefined;
}

function wholeNumber(value: number | string | undefined, fallback: number, flag: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag} '${String(value)}' is not a whole number from ${min} to ${max}: pass e.g. ${flag} ${Math.max(min, fallback)}`);
  }
  return Number(text);
}

function rate(value: number | string | undefined): { ppm: number; text: string } {
  const text = value === undefined ? DEFAULT_ANOMALY_RATE : String(value).trim();
  const ok = /^\d+(\.\d+)?$/.test(text);
  const parsed = ok ? new Decimal(text) : undefined;
  if (parsed === undefined || parsed.gt(1) || parsed.decimalPlaces() > 6) {
    throw new UsageError(
      `--anomaly-rate '${String(value)}' is not a fraction from 0 to 1 with at most 6 decimals: pass e.g. --anomaly-rate 0.01 (1 % of lifecycles)`,
    );
  }
  return { ppm: parsed.times(1_000_000).toNumber(), text: parsed.toString() };
}

function endTime(value: Date | string | undefined): Date {
  const missing = typeof value === 'string' ? impossibleDay(value) : null;
  if (missing !== null) {
    throw new UsageError(
      `--end-at '${String(value)}' names no such day (${missing}; Date would roll it into the next month): pass e.g. --end-at ${DEFAULT_END_AT}`,
    );
  }
  const date = value === undefined ? new Date(DEFAULT_END_AT) : value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime()) || (typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}T/.test(value.trim()))) {
    throw new UsageError(`--end-at '${String(value)}' is not an ISO-8601 time: pass e.g. --end-at ${DEFAULT_END_AT}`);
  }
  return date;
}

/** Validates what a caller asked for; a bad value is a UsageError naming the flag and a good value. */
export function generateOptions(input: GenerateInput): GenerateOptions {
  const anomaly = rate(input.anomalyRate);
  const seed = input.seed === undefined ? '1' : String(input.seed);
  if (seed.trim() === '') throw new UsageError(`--seed is empty: pass any text or number, e.g. --seed 42`);
  return {
    profiles: wholeNumber(input.profiles, 20, '--profiles', 1, 10_000_000),
    orders: wholeNumber(input.orders, 10_000, '--orders', 0, 1_000_000_000),
    anomalyPpm: anomaly.ppm,
    anomalyRate: anomaly.text,
    seed,
    endAt: endTime(input.endAt),
    batchRows: wholeNumber(input.batchRows, DEFAULT_BATCH_ROWS, '--batch-rows', 100, 1_000_000),
  };
}
