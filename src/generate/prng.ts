/**
 * A seeded pseudo-random generator (mulberry32 on 32-bit integers): the same seed gives the same
 * sequence on every machine, which is what makes generated ledgers reproducible. Never Math.random.
 */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next unsigned 32-bit integer. */
  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n); n must be a positive integer below 2^32. */
  below(n: number): number {
    // Modulo keeps it integer arithmetic; the bias (n / 2^32) is far below anything a test could see.
    return this.uint32() % n;
  }

  /** An integer in [lo, hi], both ends included. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True `perMille` times in a thousand. */
  chance(perMille: number): boolean {
    return this.below(1000) < perMille;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** The list in a random order (a new array). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** Eight hex digits. */
  hex8(): string {
    return this.uint32().toString(16).padStart(8, '0');
  }

  /** A bigint in [lo, hi], both ends included (quantities in units of their last decimal). */
  bigBetween(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n;
    const draw = (BigInt(this.uint32()) << 32n) | BigInt(this.uint32());
    return lo + (draw % span);
  }
}

/** FNV-1a over the UTF-8 bytes of `text`, mixed with `salt`: a 32-bit seed from any seed text. */
export function seedOf(text: string, salt = 0): number {
  let hash = 0x811c9dc5 ^ salt;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
