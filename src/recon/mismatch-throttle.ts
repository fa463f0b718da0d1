import type { MismatchEvent } from './gather.ts';

/**
 * Lets a mismatch event through at most once per profile and symbol per `throttleMs`
 * (EXCHANGE_STATE_MISMATCH_THROTTLE_MS), so a standing disagreement does not flood the log.
 * Kept in memory: the daemon holds one for its lifetime; a one-off CLI run starts fresh.
 */
export class MismatchThrottle {
  readonly #throttleMs: number;
  readonly #last = new Map<string, number>();
  constructor(throttleMs: number) {
    this.#throttleMs = throttleMs;
  }
  /** The events due for logging now; records them as logged. */
  admit(events: readonly MismatchEvent[], nowMs = Date.now()): MismatchEvent[] {
    return events.filter((event) => {
      const key = `${event.profileId}\u0000${event.symbol}`;
      const last = this.#last.get(key);
      if (last !== undefined && nowMs - last < this.#throttleMs) return false;
      this.#last.set(key, nowMs);
      return true;
    });
  }
}
