import { setTimeout as sleep } from 'node:timers/promises';
import { maskDatabaseUrl, type OpenOptions, openDatabase } from '../db/open.ts';
import type { Database } from '../db/port.ts';
import { CheckFailedError, driverErrorCode, errorMessage, isDatabaseUnreachable } from '../errors.ts';
import type { DaemonLogger } from './logger.ts';

/** The first pause between tries; each next one doubles, up to MAX_DELAY_MS. */
export const FIRST_DELAY_MS = 250;

/** The longest pause between tries: a database that comes back is noticed within this. */
export const MAX_DELAY_MS = 8_000;

/** How long to wait before try `attempt` (1 is the first retry): doubling from FIRST_DELAY_MS, capped at MAX_DELAY_MS. */
export function retryDelay(attempt: number): number {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt - 1, 30));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Opens the database at `url`; while it does not accept connections (refused, unreachable, starting
 * up: isDatabaseUnreachable), tries again with exponential backoff for up to `waitMs`, logging each
 * retry once. Any other error (a bad password, a malformed URL) is thrown at once, and so is the
 * first error when `waitMs` is 0. When the time is up: a CheckFailedError (exit 1, as an
 * unreachable database always was) naming the URL with its password hidden and the last error.
 */
export async function openDatabaseWhenReady(url: string, waitMs: number, log: DaemonLogger, options: OpenOptions = {}): Promise<Database> {
  if (waitMs <= 0) return openDatabase(url, options);
  const deadline = performance.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const db = await openDatabase(url, options);
      if (attempt > 1) log.info({ attempts: attempt }, `The database accepted a connection on try ${attempt}`);
      return db;
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error;
      const left = deadline - performance.now();
      const cause = `${driverErrorCode(error) === undefined ? '' : `[${driverErrorCode(error)}] `}${errorMessage(error)}`;
      if (left <= 0) {
        throw new CheckFailedError(
          `${maskDatabaseUrl(url)} did not accept connections within ${seconds(waitMs)} (${attempt} tries): ${cause}; check that the database runs and the URL's host and port, or give --wait more time`,
          'DATABASE_UNREACHABLE',
          [],
          { cause: error },
        );
      }
      const delay = Math.min(retryDelay(attempt), Math.ceil(left));
      log.warn(
        { attempt, retryInMs: delay, giveUpInMs: Math.round(left), error: cause },
        `The database does not accept connections yet (${cause}): try ${attempt + 1} in ${delay} ms`,
      );
      await sleep(delay);
    }
  }
}
