import { driverErrorCode, errorMessage } from '../errors.ts';

// SQLite says so in its message; PostgreSQL with SQLSTATE 42703 (undefined column) and 42P01 (undefined table).
const SQLITE_SCHEMA = /no such (column|table|index)|has no column named/i;
const POSTGRES_SCHEMA = new Set(['42703', '42P01']);

/** True when a driver error says the schema lacks something a statement needs (a column, a table). */
export function isSchemaError(error: unknown): boolean {
  const code = driverErrorCode(error);
  if (code !== undefined && POSTGRES_SCHEMA.has(code)) return true;
  return SQLITE_SCHEMA.test(errorMessage(error));
}

/**
 * The schema problem a request ran into, kept so that /healthz answers 503 with the reason instead
 * of "ok" while every enforcement fails; cleared only by a restart on a verified schema.
 */
export class SchemaFault {
  #reason: string | null = null;

  /** Records the first schema error seen (later ones are usually the same). */
  record(error: unknown): string {
    const reason = `the schema does not match what the daemon needs: ${errorMessage(error).slice(0, 300)}`;
    this.#reason ??= reason;
    return reason;
  }

  /** The recorded reason, or null while none was seen. */
  get reason(): string | null {
    return this.#reason;
  }
}
