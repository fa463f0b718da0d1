import { impossibleDay, parseZonedTime } from './iso-time.ts';
import { ValidationError } from './validation-error.ts';

/**
 * How far ahead of this machine's clock a broker timestamp may be before it counts as "in the
 * future": the two clocks are never exactly in step, and a fill must not be refused for 1 ms.
 */
export const CLOCK_SKEW_MS = 5_000;

/** A non-empty identifier or label (a contract id, a rule id); returned as given. */
export function requiredText(model: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(field, `${model}.${field} must be a non-empty string (got ${JSON.stringify(value) ?? String(value)})`);
  }
  return value;
}

/** A positive whole number that fits a JS number exactly (a broker id, an account id). */
export function positiveInteger(model: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ValidationError(field, `${model}.${field} must be a positive whole number (got ${String(value)})`);
  }
  return value;
}

/** One of the values of a const object (an enumeration); the message lists them. */
export function oneOf<const T extends Readonly<Record<string, string | number>>>(model: string, field: string, values: T, value: unknown): T[keyof T] {
  const allowed = Object.values(values);
  if (!allowed.includes(value as string | number)) {
    const list = Object.entries(values)
      .map(([name, v]) => `${String(v)} ${name}`)
      .join(', ');
    throw new ValidationError(field, `${model}.${field} ${JSON.stringify(value) ?? String(value)} is not one of ${list}`);
  }
  return value as T[keyof T];
}

/**
 * A moment as an ISO-8601 UTC string: a Date or an ISO string with a time zone (a zone-less time
 * is ambiguous across the broker, the daemon and the database, so it is refused), on a day the
 * calendar has (Date would roll 2026-02-30 over into March).
 */
export function timestamp(model: string, field: string, value: unknown): string {
  const missing = typeof value === 'string' ? impossibleDay(value) : null;
  if (missing !== null) {
    throw new ValidationError(field, `${model}.${field} ${JSON.stringify(value)} names no such day (${missing}): give a real date, e.g. 2025-10-22T14:30:00Z`);
  }
  const date = value instanceof Date ? value : typeof value === 'string' ? parseZonedTime(value) : null;
  if (date === null || Number.isNaN(date.getTime())) {
    throw new ValidationError(
      field,
      `${model}.${field} must be an ISO-8601 time with a zone, e.g. 2025-10-22T14:30:00Z (got ${JSON.stringify(value) ?? String(value)})`,
    );
  }
  return date.toISOString();
}

/** A timestamp that is not in the future (beyond CLOCK_SKEW_MS) as of `now`. */
export function pastTimestamp(model: string, field: string, value: unknown, now: Date): string {
  const iso = timestamp(model, field, value);
  if (Date.parse(iso) > now.getTime() + CLOCK_SKEW_MS) {
    throw new ValidationError(field, `${model}.${field} ${iso} is in the future (now ${now.toISOString()})`);
  }
  return iso;
}
