import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Queryable } from '../db/port.ts';
import { isLockTimeout, type RetryPolicy } from '../migrate/run-plan.ts';

/** How a data job keeps its transactions from blocking writers. */
export interface ShortTransactionSettings {
  readonly lockTimeoutMs: number;
  readonly retry: RetryPolicy;
}

/**
 * Runs `fn` in one transaction with `SET LOCAL lock_timeout`, so that a row a writer holds makes
 * this batch give up and retry later instead of making that writer wait behind it.
 */
export async function shortTransaction<T>(db: Database, settings: ShortTransactionSettings, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        if (db.dialect === 'postgres') await tx.exec(`SET LOCAL lock_timeout = '${Math.round(settings.lockTimeoutMs)}ms'`);
        return fn(tx);
      });
    } catch (error) {
      if (!isLockTimeout(error) || attempt >= settings.retry.tries) throw error;
      await sleep(Math.min(settings.retry.baseDelayMs * 2 ** (attempt - 1), 30_000));
    }
  }
}
