import type { Database } from '../../db/port.ts';
import { integrityOf } from '../../db/sqlite-integrity.ts';
import { errorMessage } from '../../errors.ts';
import type { VerifyContext } from '../../migrate/source.ts';
import {
  TRACK_UNREALIZED_PNL,
  UNREALIZED_PNL_INDEXES,
  UNREALIZED_PNL_REAL_COLUMNS,
  UNREALIZED_PNL_TABLE,
  V1_INDEXES,
  V1_TABLES,
  V2_REQUIRED_INDEXES,
} from './schema.ts';

async function names(db: Database, type: 'table' | 'index'): Promise<Set<string>> {
  const rows = await db.query<{ name: string }>('SELECT name FROM sqlite_master WHERE type = ?', [type]);
  return new Set(rows.map((row) => row.name));
}

async function recordedVersion(db: Database): Promise<number | null> {
  const rows = await db.query<{ version: number | bigint | null }>('SELECT MAX(version) AS version FROM schema_version WHERE success = 1');
  const value = rows[0]?.version;
  return value === null || value === undefined ? null : Number(value);
}

async function hasColumn(db: Database, table: string, column: string): Promise<boolean> {
  const rows = await db.query<{ name: string }>('SELECT name FROM pragma_table_info(?) WHERE name = ?', [table, column]);
  return rows.length > 0;
}

/**
 * docs/runbooks/risk-state-v2.md DB-SCHEMA-006 Phase 4's seven checks, one line per failure: the
 * recorded version, the v1 tables, schema_version, the optional table (when tracking is on), the
 * indexes, integrity_check and the sample queries. At version 1 only what v1 has is checked; at 0,
 * only that an old daemon's file is not mistaken for a verified one.
 */
export async function verifyRiskState(db: Database, context: VerifyContext): Promise<string[]> {
  const errors: string[] = [];
  const tables = await names(db, 'table');
  if (context.version === 0) {
    // An older daemon's untracked file: check 3 of docs/runbooks/risk-state-v2.md Phase 4 fails until `up` adopts it.
    if (V1_TABLES.some((table) => tables.has(table)) && !tables.has('schema_version')) {
      errors.push("Missing schema_version table: this is an untracked v1 database; run 'migrate up' to adopt and upgrade it");
    }
    return errors;
  }
  const v2 = context.version >= 2;
  const indexes = await names(db, 'index');

  // 1. The version schema_version records.
  if (tables.has('schema_version')) {
    const version = await recordedVersion(db);
    if (version !== context.version) errors.push(`Schema version ${version ?? 'none'} != ${context.version}`);
  }
  // 2. Every v1 table is still there.
  for (const table of V1_TABLES) if (!tables.has(table)) errors.push(`Missing v1 table: ${table}`);
  // 3. The history table.
  if (!tables.has('schema_version')) errors.push('Missing schema_version table');
  // 4. The optional table, when the configuration turns it on.
  const tracking = context.options[TRACK_UNREALIZED_PNL] === true;
  if (v2 && tracking && !tables.has(UNREALIZED_PNL_TABLE)) errors.push(`Missing ${UNREALIZED_PNL_TABLE} table (enabled in config)`);
  // 5. Indexes: the v1 ones, the four v2 requires, and the optional table's.
  const required = [...V1_INDEXES, ...(v2 ? V2_REQUIRED_INDEXES : []), ...(v2 && tables.has(UNREALIZED_PNL_TABLE) ? UNREALIZED_PNL_INDEXES : [])];
  for (const index of required) if (!indexes.has(index)) errors.push(`Missing index: ${index}`);
  if (v2 && tables.has('enforcement_log') && !(await hasColumn(db, 'enforcement_log', 'execution_time_ms'))) {
    errors.push('Missing column: enforcement_log.execution_time_ms');
  }
  // The specification's column types for the optional table (an earlier tradeledger made them decimal TEXT).
  if (v2 && tables.has(UNREALIZED_PNL_TABLE)) {
    const types = await db.query<{ name: string; type: string }>('SELECT name, type FROM pragma_table_info(?)', [UNREALIZED_PNL_TABLE]);
    for (const row of types) {
      if ((UNREALIZED_PNL_REAL_COLUMNS as readonly string[]).includes(row.name) && row.type.toUpperCase() !== 'REAL')
        errors.push(`Column ${UNREALIZED_PNL_TABLE}.${row.name} is ${row.type}, the specification says REAL`);
    }
  }
  // 6. SQLite's own consistency check: verifyDatabase's own run when it made one (a full read of the file).
  const integrity = context.integrity ?? (await integrityOf(db));
  if (integrity !== 'ok') errors.push(`Integrity check failed: ${integrity}`);
  // 7. The daemon's start-up reads still work.
  for (const table of ['enforcement_log', 'positions', 'orders']) {
    try {
      await db.query(`SELECT COUNT(*) AS n FROM ${table}`);
    } catch (error) {
      errors.push(`Sample query failed: ${errorMessage(error)}`);
    }
  }
  return errors;
}
