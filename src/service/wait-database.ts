import { maskDatabaseUrl, type OpenOptions, openDatabase } from '../db/open.ts';
import type { Database } from '../db/port.ts';
import { retryWhileUnreachable, StillUnreachableError } from '../db/retry-unreachable.ts';
import { CheckFailedError, driverErrorCode, errorMessage } from '../errors.ts';
import type { DaemonLogger } from './logger.ts';

/** The first pause between tries; each next one doubles, up to MAX_DELAY_MS. */
export const FIRST_DELAY_MS = 250;

/** The longest pause between tries: a database that comes back is noticed within this. */
export const MAX_DELAY_MS = 8_000;

/** How long to wait before try `attempt` (1 is the first retry): doubling from FIRST_DELAY_MS, capped at MAX_DELAY_MS. */
export function retryDelay(attempt: number): number {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt - 1, 30));
}

/** The driver's code and message, e.g. `[ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:5`. */
function causeOf(error: unknown): string {
  return `${driverErrorCode(error) === undefined ? '' : `[${driverErrorCode(error)}] `}${errorMessage(error)}`;
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
  try {
    const { value: db, attempts } = await retryWhileUnreachable(() => openDatabase(url, options), {
      waitMs,
      delayMs: retryDelay,
      onRetry: (attempt, error, delay, left) => {
        const cause = causeOf(error);
        log.warn(
          { attempt, retryInMs: delay, giveUpInMs: Math.round(left), error: cause },
          `The database does not accept connections yet (${cause}): try ${attempt + 1} in ${delay} ms`,
        );
      },
    });
    if (attempts > 1) log.info({ attempts }, `The database accepted a connection on try ${attempts}`);
    return db;
  } catch (error) {
    if (!(error instanceof StillUnreachableError)) throw error;
    throw new CheckFailedError(
      `${maskDatabaseUrl(url)} did not accept connections within ${seconds(waitMs)} (${error.attempts} tries): ${causeOf(error.cause)}; check that the database runs and the URL's host and port, or give --wait more time`,
      'DATABASE_UNREACHABLE',
      [],
      { cause: error.cause },
    );
  }
}
