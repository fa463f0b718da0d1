import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { AdapterOptions, Database, DatabaseKind } from './port.ts';

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
const ENCODE = 'percent-encode / ? # @ in a user name or password (%2F %3F %23 %40)';

/**
 * `url` with anything that may be a password hidden, for a URL that may not parse: everything
 * between the first ':' of the part before the last '@' and that '@' (so a password holding
 * / ? # or @ is hidden whole), and every `password=` query value. Errors end up in logs and CI output.
 */
export function maskDatabaseUrl(url: string): string {
  const scheme = /^\s*[a-z][a-z0-9+.-]*:(\/\/)?/i.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  const colon = at < 0 ? -1 : rest.slice(0, at).indexOf(':');
  const masked = colon < 0 ? rest : `${rest.slice(0, colon + 1)}***${rest.slice(at)}`;
  return `${scheme}${masked}`.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/**
 * True when a parsed postgres:// URL has an '@' after its host: the user name or password held an
 * unencoded / ? or #, which ended the host part early, so the rest of the credentials landed in
 * the path, a query key or the fragment (and would show there, and connect somewhere else).
 */
function credentialsSpilled(parsed: URL): boolean {
  return parsed.pathname.includes('@') || parsed.hash.includes('@') || [...parsed.searchParams.keys()].some((key) => key.includes('@'));
}

/** Parses `pglite:<dir>`, `postgres://…` / `postgresql://…` or `sqlite:<file>`; anything else is a usage error whose message never shows a password. */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const text = url.trim();
  // A NUL cannot be in a file name or a connection string; other control characters are always a paste accident.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's job
  const control = text.search(/[\u0000-\u001f\u007f]/);
  if (control >= 0) {
    const code = text.charCodeAt(control).toString(16).padStart(2, '0');
    throw new UsageError(`malformed database URL: character ${control + 1} is a control character (0x${code}, e.g. a NUL byte or a line break); remove it`);
  }
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
      throw new UsageError(`malformed database URL '${maskDatabaseUrl(text)}': not a valid postgres:// URL (${ENCODE}); ${FORMS}`);
    }
    if (credentialsSpilled(parsed)) {
      throw new UsageError(
        `malformed database URL '${maskDatabaseUrl(text)}': an '@' after the host means the user name or password holds / ? or #; ${ENCODE}`,
      );
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
      throw new UsageError(`malformed database URL '${maskDatabaseUrl(text)}': postgres:// needs a host; ${FORMS}`);
    }
    const shown = new URL(text);
    if (shown.password !== '') shown.password = '***';
    if (shown.searchParams.has('password')) shown.searchParams.set('password', '***');
    return { kind: 'postgres', target: text, display: shown.toString() };
  }
  throw new UsageError(`malformed database URL '${maskDatabaseUrl(text)}': ${FORMS}`);
}

/** Opening options that tests and tools may set. */
export type OpenOptions = AdapterOptions;

/** Opens the adapter a URL names; driver modules load only when their database is used. */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  const parsed = parseDatabaseUrl(url);
  switch (parsed.kind) {
    case 'pglite': {
      const { openPglite } = await import('./pglite.ts');
      return openPglite(parsed.target, parsed.display, options);
    }
    case 'postgres': {
      const { openPostgres } = await import('./postgres.ts');
      return openPostgres(parsed.target, parsed.display, options.trace, options.lockAhead === true);
    }
    case 'sqlite': {
      const { openSqlite } = await import('./sqlite.ts');
      return openSqlite(parsed.target, parsed.display, options);
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
