import { setTimeout as sleep } from 'node:timers/promises';
import { isDatabaseUnreachable } from '../errors.ts';

/** Thrown by `retryWhileUnreachable` when the time is up: how many tries were made, and the last one's error (also `cause`). */
export class StillUnreachableError extends Error {
  readonly attempts: number;
  constructor(attempts: number, last: unknown) {
    super(`still unreachable after ${attempts} tries`, { cause: last });
    this.attempts = attempts;
  }
}

/** How `retryWhileUnreachable` paces itself. */
export interface RetryWhileUnreachableOptions {
  /** Give up this long after the first try, in milliseconds. */
  readonly waitMs: number;
  /** The pause before try `attempt + 1`, in milliseconds (cut short by the deadline). */
  readonly delayMs: (attempt: number) => number;
  /** Told about each try that found the database unreachable and will be retried, before the pause. */
  readonly onRetry?: (attempt: number, error: unknown, delayMs: number, leftMs: number) => void | Promise<void>;
}

/**
 * Runs `tryOnce` until it succeeds, retrying while it fails with a database that is unreachable
 * (refused, starting up, not created yet: isDatabaseUnreachable) and time is left. Any other error is
 * thrown at once; when the time is up, a StillUnreachableError the caller words for its own command.
 * One loop for `serve --wait` and `migrate wait`.
 */
export async function retryWhileUnreachable<T>(tryOnce: () => Promise<T>, options: RetryWhileUnreachableOptions): Promise<{ value: T; attempts: number }> {
  const deadline = performance.now() + options.waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await tryOnce(), attempts: attempt };
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error;
      const left = deadline - performance.now();
      if (left <= 0) throw new StillUnreachableError(attempt, error);
      const delay = Math.min(options.delayMs(attempt), Math.ceil(left));
      await options.onRetry?.(attempt, error, delay, left);
      await sleep(delay);
    }
  }
}
