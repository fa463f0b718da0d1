import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { errorMessage, UsageError } from '../errors.ts';
import type { AdapterOptions, Database, LockOptions, Queryable, StatementTracer } from './port.ts';
import { guardAgainstDaemon, holdDaemonLock } from './daemon-lock.ts';
import { acquireFileLock, type FileLock } from './file-lock.ts';
import { requireSqliteFile } from './must-exist.ts';
import { nodeSqlite } from './node-sqlite.ts';
import { withQueryContext } from './query-context.ts';

function toSqliteValue(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (value instanceof Uint8Array) return value;
  return JSON.stringify(value);
}

/** PostgreSQL's `$1` placeholders as SQLite's numbered `?1`, so callers write one form for both. */
function numberedPlaceholders(sql: string): string {
  return sql.replace(/\$(\d+)/g, '?$1');
}

function queryable(db: DatabaseSync, trace: StatementTracer | undefined): Queryable {
  return {
    async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      trace?.({ sql, params, method: 'query' });
      try {
        const statement = db.prepare(params.length === 0 ? sql : numberedPlaceholders(sql));
        const rows = statement.all(...params.map(toSqliteValue));
        return rows.map((row) => ({ ...row }) as T);
      } catch (error) {
        throw withQueryContext(error, sql);
      }
    },
    async exec(sql: string): Promise<void> {
      trace?.({ sql, params: [], method: 'exec' });
      try {
        db.exec(sql);
      } catch (error) {
        throw withQueryContext(error, sql);
      }
    },
  };
}

const SQLITE_NOTADB = 26;

/** The file path of a `sqlite:` database, or `:memory:`. */
export function isSqliteMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}

/** The lock file beside a SQLite database that keeps a second migration runner (or a restore) out. */
export function sqliteLockPath(path: string): string {
  return `${path}.tradeledger-lock`;
}

/**
 * A SQLite file through node:sqlite, with foreign keys on and a busy timeout. A file it creates is
 * 0600 (SQLite gives its journal the same mode); `mustExist` refuses a missing one instead; `daemon`
 * holds the daemon lock until close.
 */
export async function openSqlite(path: string, url: string, options: AdapterOptions = {}): Promise<Database> {
  const trace = options.trace;
  const memory = isSqliteMemory(path);
  if (!memory && options.mustExist === true) requireSqliteFile(path, url);
  if (!memory && existsSync(path) && !statSync(path).isFile()) {
    throw new UsageError(`${url}: ${path} is not a file (a folder?): point --db at a SQLite file`, 'NOT_SQLITE');
  }
  if (!memory && !existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
  }
  const daemonLock: FileLock | undefined = !memory && options.daemon === true ? holdDaemonLock(path, url) : undefined;
  let db: DatabaseSync;
  try {
    // Loaded here, not on import: migrate/backup.ts imports this file for sqliteLockPath (see node-sqlite.ts).
    const { DatabaseSync: Sqlite } = nodeSqlite();
    db = new Sqlite(memory ? ':memory:' : path);
    db.exec('PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  } catch (error) {
    daemonLock?.release();
    throw error;
  }
  try {
    // Reads the header now, so that a file that is no database is named at open, not met as a raw driver error later.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    db.close();
    daemonLock?.release();
    if ((error as { errcode?: unknown }).errcode === SQLITE_NOTADB) {
      throw new UsageError(`${url}: ${path} is not a SQLite database (${errorMessage(error)}): point --db at a SQLite file`, 'NOT_SQLITE', { cause: error });
    }
    throw error;
  }
  const base = queryable(db, trace);
  return {
    url,
    kind: 'sqlite',
    dialect: 'sqlite',
    ...(memory ? {} : { file: path }),
    capabilities: { transactionalDdl: true, advisoryLocks: false, concurrentIndexes: false, concurrentSessions: true },
    query: base.query,
    exec: base.exec,
    async transaction(fn, options) {
      await base.exec(options?.immediate === true ? 'BEGIN IMMEDIATE' : 'BEGIN');
      try {
        const result = await fn(base);
        await base.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    async session(fn) {
      return fn(base);
    },
    *iterate<T extends object>(sql: string, params: readonly unknown[] = []): Iterable<T> {
      trace?.({ sql, params, method: 'query' });
      let rows: Iterator<unknown>;
      try {
        rows = db.prepare(params.length === 0 ? sql : numberedPlaceholders(sql)).iterate(...params.map(toSqliteValue));
      } catch (error) {
        throw withQueryContext(error, sql);
      }
      try {
        for (;;) {
          let next: IteratorResult<unknown>;
          try {
            next = rows.next();
          } catch (error) {
            throw withQueryContext(error, sql);
          }
          if (next.done === true) return;
          yield { ...(next.value as object) } as T;
        }
      } finally {
        // A caller that stops early (break, throw) resets the statement, so it holds no read lock.
        rows.return?.();
      }
    },
    async withLock<T>(name: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
      // SQLite has no advisory locks; a lock file beside the database keeps a second runner out, and
      // the daemon lock keeps a running daemon's file from changing under it (the daemon holds it already).
      if (memory) return fn();
      const guard = daemonLock === undefined ? await guardAgainstDaemon(path, url, options.waitMs, 'run this again', options.pollMs) : undefined;
      try {
        const lock = await acquireFileLock(sqliteLockPath(path), name, options.waitMs, options.pollMs);
        try {
          return await fn();
        } finally {
          lock.release();
        }
      } finally {
        guard?.release();
      }
    },
    async close() {
      if (db.isOpen) db.close();
      daemonLock?.release();
    },
  };
}
