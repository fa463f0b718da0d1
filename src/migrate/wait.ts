import { openDatabase, parseDatabaseUrl } from '../db/open.ts';
import { retryWhileUnreachable, StillUnreachableError } from '../db/retry-unreachable.ts';
import { CheckFailedError, errorMessage } from '../errors.ts';

/** Options for `waitForDatabase`. */
export interface WaitOptions {
  /** Give up after this long, in milliseconds (dbmate's --wait-timeout; default 60 s). */
  readonly timeoutMs: number;
  /** Pause between tries, in milliseconds (default 1 s). */
  readonly pollMs?: number;
  /** Told about each try that found the database unreachable. */
  readonly onRetry?: (attempt: number, reason: string) => void | Promise<void>;
}

/**
 * Waits until a PostgreSQL server accepts a connection and answers `SELECT 1` (dbmate's `wait`, for a
 * container that starts beside its database). Only "unreachable" errors are waited out (refused
 * connection, the server starting up, the database not created yet); a wrong password fails at once.
 */
export async function waitForDatabase(url: string, options: WaitOptions): Promise<{ attempts: number }> {
  // PGlite and SQLite are files this process opens itself: there is no server to wait for (and
  // opening one here would create it, or take its lock, before the command that follows).
  if (parseDatabaseUrl(url).kind !== 'postgres') return { attempts: 0 };
  try {
    const { attempts } = await retryWhileUnreachable(
      async () => {
        const db = await openDatabase(url);
        try {
          await db.query('SELECT 1');
        } finally {
          await db.close();
        }
      },
      {
        waitMs: options.timeoutMs,
        delayMs: () => options.pollMs ?? 1000,
        onRetry: (attempt, error) => options.onRetry?.(attempt, errorMessage(error)),
      },
    );
    return { attempts };
  } catch (error) {
    if (!(error instanceof StillUnreachableError)) throw error;
    throw new CheckFailedError(
      `${parseDatabaseUrl(url).display} did not accept connections within ${options.timeoutMs < 1000 ? `${options.timeoutMs}ms` : `${Math.round(options.timeoutMs / 1000)}s`} (${error.attempts} tries; last: ${errorMessage(error.cause)}): start it, check --db, or raise --wait-timeout`,
      'WAIT_TIMEOUT',
    );
  }
}
