import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { Database, LockOptions, Queryable, StatementTracer } from './port.ts';
import { acquireFileLock } from './file-lock.ts';
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

/** The file path of a `sqlite:` database, or `:memory:`. */
export function isSqliteMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}

/** The lock file beside a SQLite database that keeps a second migration runner (or a restore) out. */
export function sqliteLockPath(path: string): string {
  return `${path}.tradeledger-lock`;
}

/** A SQLite file through node:sqlite, with foreign keys on and a busy timeout. */
export async function openSqlite(path: string, url: string, trace?: StatementTracer): Promise<Database> {
  const memory = isSqliteMemory(path);
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  // Loaded here, not on import: migrate/backup.ts imports this file for sqliteLockPath, and Node 22
  // warns that node:sqlite is experimental whenever it loads (see sqlite-files.ts).
  const { DatabaseSync: Sqlite } = process.getBuiltinModule('node:sqlite');
  const db = new Sqlite(memory ? ':memory:' : path);
  db.exec('PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
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
    async withLock<T>(name: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
      // SQLite has no advisory locks; a lock file beside the database keeps a second runner out.
      if (memory) return fn();
      const lock = await acquireFileLock(sqliteLockPath(path), name, options.waitMs, options.pollMs);
      try {
        return await fn();
      } finally {
        lock.release();
      }
    },
    async close() {
      if (db.isOpen) db.close();
    },
  };
}
