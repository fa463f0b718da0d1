import { execFile } from 'node:child_process';
import type { Database } from '../db/port.ts';
import { CheckFailedError, UsageError } from '../errors.ts';
import { historyRef, readHistory, type HistoryRow } from './history.ts';
import { sqlString, sqlStringOrNull } from './sql-literal.ts';

/** What `migrate dump` produced. */
export interface SchemaDump {
  /** The schema as SQL, then the history rows as INSERTs (as dbmate's schema.sql has them). */
  readonly sql: string;
  /** How it was made: `pg_dump`, `pglite-tools pg_dump` or `sqlite_master`. */
  readonly method: string;
}

function runPgDump(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'pg_dump',
      ['--schema-only', '--no-owner', '--no-privileges', '--dbname', url],
      { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
      (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(
            new UsageError(
              "migrate dump on a PostgreSQL server needs pg_dump, and it is not on PATH: install the PostgreSQL client (e.g. apt install postgresql-client) of the server's major version or newer",
              'PG_DUMP_MISSING',
            ),
          );
        }
        const detail = stderr.trim().split('\n')[0] ?? error.message;
        const mismatch = /server version mismatch/i.test(stderr);
        reject(
          new CheckFailedError(
            mismatch
              ? `pg_dump on PATH is older than the server: ${detail}; install the PostgreSQL client of the server's major version or newer`
              : `pg_dump failed: ${detail}`,
            mismatch ? 'PG_DUMP_VERSION' : 'PG_DUMP_FAILED',
          ),
        );
      },
    );
  });
}

async function sqliteSchema(db: Database): Promise<string> {
  const rows = await db.query<{ sql: string }>(
    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid",
  );
  return rows.map((row) => `${row.sql};`).join('\n\n');
}

function historyInserts(db: Database, ref: string, rows: readonly HistoryRow[]): string {
  if (rows.length === 0) return '';
  const yes = db.dialect === 'postgres' ? 'TRUE' : '1';
  const no = db.dialect === 'postgres' ? 'FALSE' : '0';
  const values = rows.map(
    (row) =>
      `    (${row.version}, ${sqlString(row.appliedAt)}, ${sqlString(row.description)}, ${sqlStringOrNull(row.migrationScript)}, ${row.success ? yes : no}, ${sqlStringOrNull(row.checksum)}, ${sqlStringOrNull(row.appliedBy)}, ${sqlStringOrNull(row.source ?? null)})`,
  );
  return [
    '',
    '-- The migration history, so that a database loaded from this file is at the same version.',
    `INSERT INTO ${ref} (version, applied_at, description, migration_script, success, checksum, applied_by, source) VALUES`,
    `${values.join(',\n')};`,
    '',
  ].join('\n');
}

/**
 * The database's schema as SQL, for review or to load a fresh database (dbmate's `dump`): pg_dump
 * --schema-only on a PostgreSQL server (it must be on PATH and not older than the server), the
 * WASM pg_dump of @electric-sql/pglite-tools on PGlite, sqlite_master on SQLite; then the history.
 * `url` is the unmasked connection URL pg_dump needs.
 */
export async function dumpSchema(db: Database, url: string, historyTable?: string): Promise<SchemaDump> {
  const history = await readHistory(db, historyTable);
  let schema: string;
  let method: string;
  if (db.dialect === 'sqlite') {
    schema = await sqliteSchema(db);
    method = 'sqlite_master';
  } else {
    // A PGlite database's engine; the adapter loads only when asked, so `migrate --help` stays light.
    const engine = db.kind === 'pglite' ? (await import('../db/pglite.ts')).pgliteEngine(db) : undefined;
    if (engine !== undefined) {
      // Loaded here: the WASM pg_dump is only wanted by this command.
      const { pgDump } = await import('@electric-sql/pglite-tools/pg_dump');
      const file = await pgDump({ pg: engine, args: ['--schema-only', '--no-owner', '--no-privileges'] });
      schema = await file.text();
      method = 'pglite-tools pg_dump';
    } else {
      schema = await runPgDump(url);
      method = 'pg_dump';
    }
  }
  return { sql: `${schema.trimEnd()}\n${historyInserts(db, historyRef(history.table), history.rows)}`, method };
}
