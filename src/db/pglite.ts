import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite, types, type Extensions, type Transaction } from '@electric-sql/pglite';
import type { AdapterOptions, Database, LockOptions, Queryable, StatementTracer } from './port.ts';
import { guardAgainstDaemon, holdDaemonLock } from './daemon-lock.ts';
import { acquireFileLock, type FileLock } from './file-lock.ts';
import { requirePgliteDirectory } from './must-exist.ts';
import { PGLITE_EXTENSIONS, pgliteExtensionKey } from './pglite-extensions.ts';

// int8 as text, as node-postgres returns it, so callers see one shape from both PostgreSQL adapters.
const parsers = { [types.INT8]: (value: string) => value };

function queryable(target: () => PGlite | Transaction, trace: StatementTracer | undefined): Queryable {
  return {
    async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      trace?.({ sql, params, method: 'query' });
      const result = await target().query<T>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      trace?.({ sql, params: [], method: 'exec' });
      await target().exec(sql);
    },
  };
}

/**
 * A data directory is private: PGlite writes its files 0666 whatever the umask, so the folder is
 * 0700 and its files 0600 (folders 0700) once PGlite has made them.
 */
function makePrivate(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory()) chmodSync(path, 0o700);
    else if (entry.isFile()) chmodSync(path, 0o600);
  }
}

// Each open PGlite database's engine, for the tools that need the engine itself (pg_dump in WASM).
const engines = new WeakMap<Database, () => PGlite>();

/** The PGlite engine behind a database `openPglite` opened, or undefined for any other database. */
export function pgliteEngine(db: Database): PGlite | undefined {
  return engines.get(db)?.();
}

function pick(keys: Iterable<string>): Extensions {
  return Object.fromEntries([...keys].map((key) => [key, PGLITE_EXTENSIONS[key]!]));
}

/**
 * Embedded PostgreSQL (PGlite) in a data directory, or in memory when `dir` is `memory`. One process
 * at a time: the daemon holds the directory's daemon lock while it serves; any other opener takes it
 * too (waiting up to `lockWaitMs` for another command, refusing at once while a daemon serves it).
 *
 * Contrib extensions (pgcrypto, citext, "uuid-ossp", ...) must be registered when PGlite starts,
 * and registering them costs about 0.2 s per open, so a data directory starts with the ones it has
 * installed, and `ensureExtensions` restarts it with more before a migration creates them. In
 * memory there is nothing to restart from: every shipped extension is registered up front.
 */
export async function openPglite(dir: string, url: string, options: AdapterOptions = {}): Promise<Database> {
  const trace = options.trace;
  const inMemory = dir === 'memory' || dir === ':memory:';
  const locks: FileLock[] = [];
  const releaseAll = () => {
    for (const lock of locks.splice(0).reverse()) lock.release();
  };
  if (!inMemory) {
    if (options.mustExist === true) requirePgliteDirectory(dir, url);
    mkdirSync(dirname(dir), { recursive: true });
    locks.push(options.daemon === true ? holdDaemonLock(dir, url) : await guardAgainstDaemon(dir, url, options.lockWaitMs ?? 0));
    try {
      // PGlite is one process's database: two processes on one data directory would corrupt it.
      locks.push(await acquireFileLock(`${dir}.lock`, `PGlite data directory ${dir}`, options.lockWaitMs ?? 0));
    } catch (error) {
      releaseAll();
      throw error;
    }
    if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
  }
  let loaded = new Set<string>(inMemory ? Object.keys(PGLITE_EXTENSIONS) : []);
  const start = (keys: ReadonlySet<string>) =>
    PGlite.create(inMemory ? { parsers, extensions: pick(keys) } : { dataDir: dir, parsers, extensions: pick(keys) });
  let pg: PGlite;
  try {
    pg = await start(loaded);
    if (!inMemory) {
      makePrivate(dir);
      // Installed extensions must be loaded for their types and functions to work.
      const rows = (await pg.query<{ extname: string }>('SELECT extname FROM pg_extension')).rows;
      const installed = rows.map((row) => pgliteExtensionKey(row.extname)).filter((key): key is string => key !== null);
      if (installed.length > 0) {
        await pg.close();
        loaded = new Set(installed);
        pg = await start(loaded);
      }
    }
  } catch (error) {
    releaseAll();
    throw error;
  }
  const base = queryable(() => pg, trace);
  const db: Database = {
    url,
    kind: 'pglite',
    dialect: 'postgres',
    capabilities: { transactionalDdl: true, advisoryLocks: false, concurrentIndexes: false, concurrentSessions: false },
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      return pg.transaction((tx) => fn(queryable(() => tx, trace)));
    },
    async session(fn) {
      // One connection is all PGlite has, so every call already runs on the same session.
      return fn(base);
    },
    async withLock<T>(_name: string, _options: LockOptions, fn: () => Promise<T>): Promise<T> {
      // The data-directory lock taken at open already keeps every other process out.
      return fn();
    },
    async ensureExtensions(names) {
      const wanted = names.map(pgliteExtensionKey).filter((key): key is string => key !== null && !loaded.has(key));
      if (wanted.length === 0) return;
      // A restart ends the session: callers ask between transactions, before anything session-wide is set.
      await pg.close();
      loaded = new Set([...loaded, ...wanted]);
      pg = await start(loaded);
    },
    async close() {
      if (pg.closed) return releaseAll();
      try {
        await pg.close();
      } finally {
        releaseAll();
      }
    },
  };
  engines.set(db, () => pg);
  return db;
}
