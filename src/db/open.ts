import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Database, DatabaseKind, StatementTracer } from './port.ts';

/** The embedded database used when no other is named. */
export const DEFAULT_DATABASE_URL = 'pglite:.tradeledger/pglite';

/** A database URL taken apart: which adapter, and what it connects to. */
export interface ParsedDatabaseUrl {
  readonly kind: DatabaseKind;
  /** A directory (pglite), a file (sqlite), or a connection string (postgres). */
  readonly target: string;
  /** The URL with any password hidden, for messages and logs. */
  readonly display: string;
}

const FORMS = 'use pglite:<dir>, postgres://user@host:5432/db or sqlite:<file>';

function withoutPassword(url: string): string {
  // Error messages end up in logs and CI output; a URL that failed to parse may still hold a password.
  return url.replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^/?#]*@/i, '$1***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** Parses `pglite:<dir>`, `postgres://…` / `postgresql://…` or `sqlite:<file>`; anything else is a usage error. */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const text = url.trim();
  if (text.startsWith('pglite:')) {
    const dir = text.slice('pglite:'.length).replace(/^\/\/(?=\/)/, '');
    if (dir === '') throw new UsageError(`malformed database URL '${url}': pglite: needs a directory (or 'memory'); ${FORMS}`);
    const target = dir === 'memory' || dir === ':memory:' ? 'memory' : resolve(dir);
    return { kind: 'pglite', target, display: `pglite:${dir}` };
  }
  if (text.startsWith('sqlite:')) {
    const file = text.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new UsageError(`malformed database URL '${url}': sqlite: needs a file path (or ':memory:'); ${FORMS}`);
    return { kind: 'sqlite', target: file === ':memory:' ? ':memory:' : resolve(file), display: `sqlite:${file}` };
  }
  if (/^postgres(ql)?:\/\//.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new UsageError(`malformed database URL '${withoutPassword(url)}': not a valid postgres:// URL; ${FORMS}`);
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
      throw new UsageError(`malformed database URL '${withoutPassword(url)}': postgres:// needs a host; ${FORMS}`);
    }
    const shown = new URL(text);
    if (shown.password !== '') shown.password = '***';
    if (shown.searchParams.has('password')) shown.searchParams.set('password', '***');
    return { kind: 'postgres', target: text, display: shown.toString() };
  }
  throw new UsageError(`malformed database URL '${withoutPassword(url)}': ${FORMS}`);
}

/** Opening options that tests and tools may set. */
export interface OpenOptions {
  /** Called with every statement sent, in order. */
  readonly trace?: StatementTracer;
}

/** Opens the adapter a URL names; driver modules load only when their database is used. */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  const parsed = parseDatabaseUrl(url);
  switch (parsed.kind) {
    case 'pglite': {
      const { openPglite } = await import('./pglite.ts');
      return openPglite(parsed.target, parsed.display, options.trace);
    }
    case 'postgres': {
      const { openPostgres } = await import('./postgres.ts');
      return openPostgres(parsed.target, parsed.display, options.trace);
    }
    case 'sqlite': {
      const { openSqlite } = await import('./sqlite.ts');
      return openSqlite(parsed.target, parsed.display, options.trace);
    }
  }
}

/** Opens a database, runs `fn`, and always closes it. */
export async function withDatabase<T>(url: string, fn: (db: Database) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const db = await openDatabase(url, options);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
