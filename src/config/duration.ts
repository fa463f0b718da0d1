/**
 * The longest duration tradeledger takes: 2^31 - 1 ms (about 596 hours), the most a Node timer
 * waits (a longer one fires at once) and the most PostgreSQL's lock_timeout and statement_timeout hold.
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** How messages state MAX_DURATION_MS. */
export const MAX_DURATION_TEXT = 'at most 596h (2147483647 ms)';

/** Parses `500ms`, `2s`, `1.5m`, `1h`, or a bare number of `bareUnit`s; null when malformed. Check the result against MAX_DURATION_MS. */
export function parseDuration(text: string, bareUnit: 'ms' | 's' = 's'): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (match === null) return null;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? bareUnit] as number;
  return Math.round(Number(match[1]) * factor);
}
