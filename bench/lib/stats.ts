/** The p-th percentile (0–100) of some numbers, by nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds `fn` takes, and its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

/** A number rounded for a table: 3 significant digits, no exponent. */
export function round(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 100) return Math.round(value).toString();
  return Number(value.toPrecision(3)).toString();
}

/** A number rounded to a whole one, for a table. */
export const whole = (value: number): string => String(Math.round(value));

/** `min … / max … <unit> over N runs`: the spread beside a median, each bound shown by `show`. */
export function spread(values: readonly number[], unit = 'ms', show: (value: number) => string = round): string {
  return `min ${show(Math.min(...values))} / max ${show(Math.max(...values))} ${unit} over ${values.length} runs`;
}
