import type { Database } from '../db/port.ts';

/** dbmate's own history table, which tradeledger reads (to refuse re-running) but never writes. */
export const DBMATE_TABLE = 'schema_migrations';

/**
 * The newest version dbmate recorded in this database (its `schema_migrations(version)`, in the
 * current schema), or null when there is no such table or it is empty: a database dbmate migrated,
 * which `up` must not migrate again from version 0.
 */
export async function dbmateLatestVersion(db: Database): Promise<string | null> {
  const columns =
    db.dialect === 'postgres'
      ? await db.query<{ name: string }>(
          `SELECT a.attname AS name FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped`,
          [DBMATE_TABLE],
        )
      : await db.query<{ name: string }>('SELECT name FROM pragma_table_info(?)', [DBMATE_TABLE]);
  if (columns.length !== 1 || columns[0]!.name !== 'version') return null;
  // Versions are text in dbmate: the longest, then the greatest, is the newest number.
  const rows = await db.query<{ version: string | null }>(`SELECT version FROM ${DBMATE_TABLE} ORDER BY length(version) DESC, version DESC LIMIT 1`);
  return rows[0]?.version ?? null;
}
