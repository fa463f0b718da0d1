// JavaScript's Date rolls impossible days over (2026-02-30 becomes 2026-03-02) instead of refusing
// them, so every ISO-8601 time tradeledger reads checks its calendar day here first.

const LEADING_DAY = /^\s*(\d{4})-(\d{2})-(\d{2})/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function daysIn(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0); // day 0 of the next month: the last day of `month`
  return date.getUTCDate();
}

/** The `YYYY-MM-DD` a text starts with when the calendar has no such day (`2026-02-30`, `2025-13-01`); null otherwise. */
export function impossibleDay(text: string): string | null {
  const match = LEADING_DAY.exec(text);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const real = month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
  return real ? null : `${match[1]}-${match[2]}-${match[3]}`;
}

/** An ISO-8601 time with a zone (`2025-10-22T14:30:00Z`) on a day the calendar has, as a Date; null for anything else. */
export function parseZonedTime(text: string): Date | null {
  if (!ISO_WITH_ZONE.test(text) || impossibleDay(text) !== null) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}
