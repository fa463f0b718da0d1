import type { Database } from '../db/port.ts';
import { errorMessage } from '../errors.ts';
import { HISTORY_TABLE, historyRef, parseHistoryTableName } from '../migrate/history.ts';

/** Whether the database answered, and the schema version it is at. */
export interface DatabaseHealth {
  readonly reachable: boolean;
  readonly schemaVersion: number | null;
  readonly error: string | null;
}

// Long enough for a cycle's transaction to finish on PGlite, whose one connection a health check waits for.
const PROBE_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Asks the database whether it answers (within a timeout) and for its schema version (the highest
 * successful row of the history table, database.migrations_table; null when that cannot be read, e.g. an
 * adopted file with no history yet).
 */
export async function databaseHealth(db: Database, historyTable: string = HISTORY_TABLE): Promise<DatabaseHealth> {
  try {
    await withTimeout(db.query('SELECT 1 AS ok'), PROBE_TIMEOUT_MS);
  } catch (error) {
    return { reachable: false, schemaVersion: null, error: errorMessage(error) };
  }
  try {
    const rows = await withTimeout(
      db.query<{ version: number | string | null }>(`SELECT MAX(version) AS version FROM ${historyRef(parseHistoryTableName(historyTable))} WHERE success`),
      PROBE_TIMEOUT_MS,
    );
    const version = rows[0]?.version;
    return { reachable: true, schemaVersion: version === null || version === undefined ? 0 : Number(version), error: null };
  } catch (error) {
    return { reachable: true, schemaVersion: null, error: `${historyTable} cannot be read: ${errorMessage(error)}` };
  }
}
