/**
 * Exact decimal quantities as whole numbers of their smallest unit (bigint), so that the generator
 * never does float arithmetic: 12345n at 4 decimals is '1.2345'.
 */
import type { Prng } from './prng.ts';

/** `units` × 10^-decimals as a plain decimal string with exactly `decimals` digits after the point. */
export function formatUnits(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString();
  if (decimals === 0) return `${negative ? '-' : ''}${digits}`;
  const padded = digits.padStart(decimals + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** Splits `total` (≥ parts) into `parts` positive amounts that add up to it exactly. */
export function splitUnits(rng: Prng, total: bigint, parts: number): bigint[] {
  const count = BigInt(Math.max(1, Math.min(parts, Number(total < 1000n ? total : 1000n))));
  const out: bigint[] = [];
  let left = total;
  for (let i = count; i > 1n; i--) {
    // Leave at least one unit for each part still to come.
    const share = rng.bigBetween(1n, left - (i - 1n));
    const take = share > (left * 2n) / i ? (left * 2n) / i : share;
    out.push(take < 1n ? 1n : take);
    left -= out[out.length - 1]!;
  }
  out.push(left);
  return out;
}

/** `numerator / denominator` rounded half up (both positive). */
export function divRound(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}
