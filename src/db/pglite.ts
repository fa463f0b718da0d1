import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { Database, LockOptions, Queryable, StatementTracer } from './port.ts';
import { acquireFileLock, type FileLock } from './file-lock.ts';
import { PGLITE_EXTENSIONS } from './pglite-extensions.ts';

// int8 as text, as node-postgres returns it, so callers see one shape from both PostgreSQL adapters.
const parsers = { [types.INT8]: (value: string) => value };

function queryable(target: PGlite | Transaction, trace: StatementTracer | undefined): Queryable {
  return {
    async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      trace?.({ sql, params, method: 'query' });
      const result = await target.query<T>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      trace?.({ sql, params: [], method: 'exec' });
      await target.exec(sql);
    },
  };
}

// Each open PGlite database's engine, for the tools that need the engine itself (pg_dump in WASM).
const engines = new WeakMap<Database, PGlite>();

/** The PGlite engine behind a database `openPglite` opened, or undefined for any other database. */
export function pgliteEngine(db: Database): PGlite | undefined {
  return engines.get(db);
}

/** Embedded PostgreSQL (PGlite) in a data directory, or in memory when `dir` is `memory`. */
export async function openPglite(dir: string, url: string, trace?: StatementTracer): Promise<Database> {
  const inMemory = dir === 'memory' || dir === ':memory:';
  let dirLock: FileLock | undefined;
  if (!inMemory) {
    mkdirSync(dirname(dir), { recursive: true });
    // PGlite is one process's database: two processes on one data directory would corrupt it.
    dirLock = await acquireFileLock(`${dir}.lock`, `PGlite data directory ${dir}`, 0);
  }
  let pg: PGlite;
  try {
    pg = await PGlite.create(inMemory ? { parsers, extensions: PGLITE_EXTENSIONS } : { dataDir: dir, parsers, extensions: PGLITE_EXTENSIONS });
  } catch (error) {
    dirLock?.release();
    throw error;
  }
  const base = queryable(pg, trace);
  const db: Database = {
    url,
    kind: 'pglite',
    dialect: 'postgres',
    capabilities: { transactionalDdl: true, advisoryLocks: false, concurrentIndexes: false, concurrentSessions: false },
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      return pg.transaction((tx) => fn(queryable(tx, trace)));
    },
    async session(fn) {
      // One connection is all PGlite has, so every call already runs on the same session.
      return fn(base);
    },
    async withLock<T>(_name: string, _options: LockOptions, fn: () => Promise<T>): Promise<T> {
      // The data-directory lock taken at open already keeps every other process out.
      return fn();
    },
    async close() {
      if (pg.closed) return;
      try {
        await pg.close();
      } finally {
        dirLock?.release();
      }
    },
  };
  engines.set(db, pg);
  return db;
}
