import type { Database } from '../../db/port.ts';
import { UsageError } from '../../errors.ts';
import { V1_TABLES, V2_PREREQUISITE_COLUMNS } from './schema.ts';

async function userTables(db: Database): Promise<Set<string>> {
  // sqlite_sequence appears with the first AUTOINCREMENT table; it is SQLite's, not the daemon's.
  const rows = await db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
  return new Set(rows.map((row) => row.name));
}

async function missingColumns(db: Database): Promise<string[]> {
  const missing: string[] = [];
  for (const [table, columns] of Object.entries(V2_PREREQUISITE_COLUMNS)) {
    const rows = await db.query<{ name: string }>('SELECT name FROM pragma_table_info(?)', [table]);
    const present = new Set(rows.map((row) => row.name));
    for (const column of columns) if (!present.has(column)) missing.push(`${table}.${column}`);
  }
  return missing;
}

/**
 * The version of a risk-state database that has no schema_version: 0 when it holds no tables, 1
 * when it holds the nine v1 tables an older daemon made (adopted, then upgraded in place by `up`).
 * Anything else is refused with a UsageError naming what is missing, so `up` never creates the
 * baseline over someone else's tables.
 */
export async function riskStateBaseline(db: Database): Promise<number> {
  const tables = await userTables(db);
  if (tables.size === 0) return 0;
  const missing = V1_TABLES.filter((table) => !tables.has(table));
  if (missing.length > 0) {
    const found = [...tables].sort().join(', ');
    throw new UsageError(
      `${db.url} is not a risk-state v1 database: missing tables ${missing.join(', ')} (it has ${found}); point --db at the daemon's state.db, or at a new file to start from version 0`,
      'NOT_RISK_STATE',
    );
  }
  const columns = await missingColumns(db);
  if (columns.length > 0) {
    throw new UsageError(
      `${db.url} is not a risk-state v1 database: missing columns ${columns.join(', ')}, which version 2 indexes; add them or migrate a copy made by the v1 daemon`,
      'NOT_RISK_STATE',
    );
  }
  return 1;
}
