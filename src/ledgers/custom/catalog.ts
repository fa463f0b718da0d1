import type { Queryable } from '../../db/port.ts';
import { MODEL_TABLES, quotedTable, type LedgerMapping, type UserCatalog, type UserColumn } from './model.ts';

/**
 * Reads, for each user table the mapping names, its columns as PostgreSQL's catalog has them:
 * type, NOT NULL, default (identity and generated count as one), and whether a one-column unique
 * index covers the column. A table the database lacks is simply absent (checkMapping names it).
 */
export async function readCatalog(db: Queryable, mapping: LedgerMapping): Promise<UserCatalog> {
  const catalog = new Map<string, Map<string, UserColumn>>();
  for (const model of MODEL_TABLES) {
    const table = mapping[model];
    if (table === undefined || catalog.has(table.table)) continue;
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
