import type { DatabaseSync } from 'node:sqlite';
import { nodeSqlite } from './node-sqlite.ts';
import { damagedFileAnswer } from './sqlite-integrity.ts';

/**
 * node:sqlite, loaded on first use rather than on import: everything that backs up or checks a
 * migration imports this file, and Node 22 prints an experimental-feature warning whenever the
 * module loads, so a library or CLI run that never touches SQLite must not load it.
 */
function sqlite(): typeof import('node:sqlite') {
  return nodeSqlite();
}

function openReadOnly(path: string): DatabaseSync {
  return new (sqlite().DatabaseSync)(path, { readOnly: true });
}

/** `PRAGMA integrity_check` on a SQLite file: 'ok', the problems it lists, or the damage that stopped it. */
export function integrityCheck(path: string): string {
  const db = openReadOnly(path);
  try {
    const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('; ');
  } catch (error) {
    const answer = damagedFileAnswer(error);
    if (answer === undefined) throw error;
    return answer;
  } finally {
    db.close();
  }
}

/** Copies a live SQLite database page by page with SQLite's online backup API (writers may keep going). */
export async function onlineBackup(sourcePath: string, destinationPath: string): Promise<void> {
  const source = openReadOnly(sourcePath);
  try {
    await sqlite().backup(source, destinationPath);
  } finally {
    source.close();
  }
}

/** Names of the tables in a SQLite file, for checks that must not open it through an adapter. */
export function tableNames(path: string): string[] {
  const db = openReadOnly(path);
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
  } finally {
    db.close();
  }
}

/** The highest successful version in a SQLite file's `schema_version`, or 0 when it has none. */
export function sqliteVersion(path: string): number {
  const db = openReadOnly(path);
  try {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
    if (exists === undefined) return 0;
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_version WHERE success = 1').get() as { version: number | null };
    return row.version ?? 0;
  } finally {
    db.close();
  }
}
