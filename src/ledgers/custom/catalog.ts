import type { Dialect, Queryable } from '../../db/port.ts';
import { MODEL_TABLES, quotedTable, type LedgerMapping, type UserCatalog, type UserColumn } from './model.ts';

/** A SQLite table's columns from its pragmas: declared type, NOT NULL, default, one-column unique index or lone primary key. */
async function sqliteColumns(db: Queryable, table: string): Promise<[string, UserColumn][]> {
  const dot = table.indexOf('.');
  const [schema, name] = dot < 0 ? ['main', table] : [table.slice(0, dot), table.slice(dot + 1)];
  // hidden 1 is a virtual table's hidden column; 2 and 3 are generated columns (they have a value without one given).
  const columns = await db.query<{ name: string; type: string; not_null: number; has_default: number; pk: number }>(
    `SELECT name, type, "notnull" AS not_null, (dflt_value IS NOT NULL OR hidden IN (2, 3)) AS has_default, pk
       FROM pragma_table_xinfo($1, $2) WHERE hidden <> 1`,
    [name, schema],
  );
  const unique = await db.query<{ name: string }>(
    `SELECT ii.name FROM pragma_index_list($1, $2) il JOIN pragma_index_info(il.name, $2) ii
      WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT count(*) FROM pragma_index_info(il.name, $2)) = 1`,
    [name, schema],
  );
  const uniqueNames = new Set(unique.map((row) => row.name));
  const lonePk = columns.filter((column) => column.pk > 0).length === 1;
  return columns.map((c) => [
    c.name,
    { type: c.type, notNull: c.not_null === 1, hasDefault: c.has_default === 1, unique: uniqueNames.has(c.name) || (lonePk && c.pk > 0) },
  ]);
}

/**
 * Reads, for each user table the mapping names, its columns as the database's catalog has them:
 * type, NOT NULL, default (identity and generated count as one), and whether a one-column unique
 * index covers the column (PostgreSQL's pg_attribute, SQLite's table pragmas). A table the
 * database lacks is simply absent (checkMapping names it).
 */
export async function readCatalog(db: Queryable, mapping: LedgerMapping, dialect: Dialect = 'postgres'): Promise<UserCatalog> {
  const catalog = new Map<string, Map<string, UserColumn>>();
  for (const model of MODEL_TABLES) {
    const table = mapping[model];
    if (table === undefined || catalog.has(table.table)) continue;
    quotedTable(table, model); // a name that is no plain identifier is refused before it reaches a query
    if (dialect === 'sqlite') {
      const columns = await sqliteColumns(db, table.table);
      if (columns.length > 0) catalog.set(table.table, new Map(columns));
      continue;
    }
    const rows = await db.query<{ name: string; type: string; not_null: boolean; has_default: boolean; is_unique: boolean; found: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
              (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indnkeyatts = 1
                         AND i.indkey[0] = a.attnum AND i.indpred IS NULL) AS is_unique
         FROM pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [quotedTable(table, model)],
    );
    if (rows.length === 0) continue;
    catalog.set(
      table.table,
      new Map(rows.map((row) => [row.name, { type: row.type, notNull: row.not_null, hasDefault: row.has_default, unique: row.is_unique }])),
    );
  }
  return catalog;
}
