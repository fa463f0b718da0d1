// Short-lived node:sqlite connections on a SQLite file, for tests that look at (or damage) a state
// file between CLI runs without holding it open.
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';

/** One row as node:sqlite returns it, copied into a plain object. */
export type SqliteRow = Record<string, SQLInputValue>;

/** Runs one statement on a SQLite file with its own connection and returns its rows. */
export function querySqlite(file: string, sql: string, ...params: SQLInputValue[]): SqliteRow[] {
  const db = new DatabaseSync(file);
  try {
    return db
      .prepare(sql)
      .all(...params)
      .map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}

/** Runs SQL (one or more statements) on a SQLite file with its own connection. */
export function execSqlite(file: string, sql: string): void {
  const db = new DatabaseSync(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** The file's user tables, by name. */
export function sqliteTables(file: string): string[] {
  return querySqlite(file, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").map((row) => String(row['name']));
}
