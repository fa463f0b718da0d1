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
 * of "ok" while the route that met it fails. The daemon lock keeps `migrate` out while the daemon
 * runs, but a DBA's hand-made fix (the column or index put back) or a table that was missing only
 * for a moment (summaries dropped and rebuilt) can end it: the fault clears once the route that met
 * it answers 2xx again, and comes back the next time that route meets a schema error.
 */
export class SchemaFault {
  #reason: string | null = null;
  #route: string | null = null;

  /** Records the first schema error seen (later ones are usually the same) and the route (`METHOD /pattern`) that met it. */
  record(error: unknown, route = ''): string {
    const reason = `the schema does not match what the daemon needs: ${errorMessage(error).slice(0, 300)}`;
    if (this.#reason === null) {
      this.#reason = reason;
      this.#route = route;
    }
    return reason;
  }

  /** Called after a request to `route` succeeded (2xx): the fault that route met is over. */
  succeeded(route: string): void {
    if (this.#reason !== null && this.#route === route) {
      this.#reason = null;
      this.#route = null;
    }
  }

  /** The recorded reason, or null while none was seen. */
  get reason(): string | null {
    return this.#reason;
  }
}
