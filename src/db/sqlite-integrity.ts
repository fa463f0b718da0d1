import { driverErrorCode, errorMessage } from '../errors.ts';
import type { Queryable } from './port.ts';

// SQLITE_CORRUPT and SQLITE_NOTADB: the check cannot even walk the file, which is its answer.
const DAMAGED = new Set(['SQLITE_11', 'SQLITE_26']);

/**
 * `PRAGMA integrity_check`'s answer from the error it stopped with, when the file is too damaged
 * for the check to finish; undefined for any other error (rethrown by the caller).
 */
export function damagedFileAnswer(error: unknown): string | undefined {
  const code = driverErrorCode(error);
  return code !== undefined && DAMAGED.has(code) ? `the file is damaged (${code}: ${errorMessage(error)})` : undefined;
}

/** `PRAGMA integrity_check` on an open SQLite database, on one line: 'ok', the problems it lists, or the damage that stopped it. */
export async function integrityOf(db: Queryable): Promise<string> {
  try {
    return (await db.query<{ integrity_check: string }>('PRAGMA integrity_check')).map((row) => row.integrity_check).join('; ');
  } catch (error) {
    const answer = damagedFileAnswer(error);
    if (answer === undefined) throw error;
    return answer;
  }
}
