/** Parses `500ms`, `2s`, `1.5m`, `1h`, or a bare number of `bareUnit`s; null when malformed. */
export function parseDuration(text: string, bareUnit: 'ms' | 's' = 's'): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (match === null) return null;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? bareUnit] as number;
  return Math.round(Number(match[1]) * factor);
}
