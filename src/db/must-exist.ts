import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';

/** A read-only command was pointed at a database that is not there; it creates nothing. */
export class NoDatabaseError extends UsageError {
  constructor(display: string, what: string) {
    super(`no database at ${display} (${what}); migrate up creates it`, 'NO_DATABASE');
  }
}

/** Throws NoDatabaseError unless `path` is an existing SQLite file (read-only commands never create one). */
export function requireSqliteFile(path: string, display: string): void {
  if (!existsSync(path)) throw new NoDatabaseError(display, `${path} does not exist`);
  if (!statSync(path).isFile()) throw new NoDatabaseError(display, `${path} is not a file`);
}

/** Throws NoDatabaseError unless `dir` is an initialised PGlite data directory (PG_VERSION inside). */
export function requirePgliteDirectory(dir: string, display: string): void {
  if (!existsSync(dir)) throw new NoDatabaseError(display, `${dir} does not exist`);
  if (!existsSync(join(dir, 'PG_VERSION'))) throw new NoDatabaseError(display, `${dir} is not a PGlite data directory`);
}
