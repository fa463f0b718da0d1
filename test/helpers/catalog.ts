import type { Database } from '../../src/db/port.ts';

/**
 * A text snapshot of the user schema (tables, columns, indexes, constraints, types, policies),
 * without the migration history table, so that up / down / up can be compared exactly.
 */
export async function catalogSnapshot(db: Database): Promise<string> {
  if (db.dialect === 'sqlite') {
    const rows = await db.query<{ type: string; name: string; sql: string | null }>(
      "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'schema_version' ORDER BY type, name",
    );
    return rows.map((row) => `${row.type} ${row.name}: ${row.sql ?? ''}`).join('\n');
  }
  const parts = await Promise.all([
    db.query(`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name <> 'schema_version' ORDER BY table_name, ordinal_position`),
    db.query(`SELECT tablename, indexname, indexdef FROM pg_indexes
               WHERE schemaname = current_schema() AND tablename <> 'schema_version' ORDER BY tablename, indexname`),
    db.query(`SELECT c.conrelid::regclass::text AS rel, c.conname, pg_get_constraintdef(c.oid) AS def, c.convalidated
                FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
               WHERE n.nspname = current_schema() AND c.conrelid::regclass::text <> 'schema_version' ORDER BY 1, 2`),
    db.query(`SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                LEFT JOIN pg_enum e ON e.enumtypid = t.oid
               WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd') ORDER BY t.typname, e.enumsortorder`),
    db.query(`SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies WHERE schemaname = current_schema() ORDER BY 1, 2`),
    db.query(`SELECT tgrelid::regclass::text AS rel, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
  ]);
  return parts.map((rows) => rows.map((row) => JSON.stringify(row)).join('\n')).join('\n--\n');
}

/** Names of the user tables, history table included. */
export async function tableNames(db: Database): Promise<string[]> {
  const rows =
    db.dialect === 'sqlite'
      ? await db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      : await db.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1');
  return rows.map((row) => row.name);
}
