import { LIFECYCLE_INJECTIONS, STREAM_END_INJECTIONS, isStreamEnd, type Injection, type LifecycleInjection, type StreamEndInjection } from './injections.ts';
import type { Prng } from './prng.ts';

/** Splits `total` into parts proportional to whole-number `weights`, adding up to `total` exactly. */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => Math.floor((total * w) / sum));
  let left = total - shares.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % shares.length, left--) shares[i]! += 1;
  return shares;
}

/**
 * Sizes (orders rows) of a stream's lifecycles, adding up to `budget` exactly: 3 to 9 rows each,
 * so that every lifecycle can take any injection; a stream of 1 or 2 rows is one small lifecycle.
 */
export function lifecycleSizes(rng: Prng, budget: number): number[] {
  const sizes: number[] = [];
  let left = budget;
  while (left > 0) {
    if (left <= 9 && (left >= 3 || sizes.length === 0)) {
      sizes.push(left);
      break;
    }
    let size = rng.between(3, 9);
    if (left - size < 3) size = left - 3;
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** Streams of a profile and their budgets: 2–6 symbols, each with at least 3 rows when there is room. */
export function streamBudgets(rng: Prng, budget: number): number[] {
  if (budget <= 0) return [];
  if (budget < 3) return [budget];
  const streams = Math.min(rng.between(2, 6), Math.floor(budget / 3));
  const weights = Array.from({ length: streams }, () => rng.between(1, 5));
  return apportion(budget - 3 * streams, weights).map((share) => share + 3);
}

/**
 * Decides which lifecycles get an injected anomaly: exactly one every 1/R lifecycles (an
 * accumulator in parts per million, started at a seeded offset), the kinds taken in turn from a
 * seeded order of all twelve so that every kind appears once there are enough. A kind that does not
 * fit where it falls waits in a queue for the next lifecycle or stream it fits.
 */
export class AnomalyScheduler {
  readonly #ppm: number;
  #acc: number;
  readonly #order: readonly Injection[];
  #next = 0;
  readonly #lifecycleQueue: LifecycleInjection[] = [];
  readonly #streamEndQueue: StreamEndInjection[] = [];
  /** How many were triggered (placed or still waiting). */
  triggered = 0;

  constructor(rng: Prng, ppm: number) {
    this.#ppm = ppm;
    this.#acc = rng.below(1_000_000);
    this.#order = rng.shuffle([...LIFECYCLE_INJECTIONS, ...STREAM_END_INJECTIONS]);
  }

  /** Called once per lifecycle; a triggered kind joins its queue. */
  tick(): void {
    this.#acc += this.#ppm;
    if (this.#acc < 1_000_000) return;
    this.#acc -= 1_000_000;
    this.triggered++;
    const kind = this.#order[this.#next++ % this.#order.length]!;
    if (isStreamEnd(kind)) this.#streamEndQueue.push(kind);
    else this.#lifecycleQueue.push(kind as LifecycleInjection);
  }

  /** The oldest waiting lifecycle kind that `fits`, removed from the queue. */
  takeLifecycle(fits: (kind: LifecycleInjection) => boolean): LifecycleInjection | null {
    const index = this.#lifecycleQueue.findIndex(fits);
    return index < 0 ? null : this.#lifecycleQueue.splice(index, 1)[0]!;
  }

  /** The oldest waiting stream-end kind that `fits`, removed from the queue. */
  takeStreamEnd(fits: (kind: StreamEndInjection) => boolean): StreamEndInjection | null {
    const index = this.#streamEndQueue.findIndex(fits);
    return index < 0 ? null : this.#streamEndQueue.splice(index, 1)[0]!;
  }

  /** Kinds triggered but never placed (the data ran out first). */
  get unplaced(): number {
    return this.#lifecycleQueue.length + this.#streamEndQueue.length;
  }
}
