import type { Database } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { readHistory, type HistoryRow, type HistoryState } from './history.ts';
import type { Migration } from './migration.ts';
import type { PlanContext, PlanSettings } from './planner.ts';
import type { MigrationSource } from './source.ts';
import { computeStatus, type MigrationStatus } from './status.ts';

/** The lock every migrating command takes, so one runner at a time changes a database's schema. */
export const MIGRATION_LOCK = 'tradeledger migration';

/** A database's migration state, read before planning. */
export interface MigrationState {
  readonly history: HistoryState;
  readonly status: MigrationStatus;
  readonly context: PlanContext;
}

/** Refuses a source written for another database family (a PostgreSQL pack on SQLite). */
export function assertDialect(db: Database, source: MigrationSource): void {
  if (source.dialects !== undefined && !source.dialects.includes(db.dialect)) {
    throw new UsageError(
      `${source.label} is written for ${source.dialects.join(' / ')}, but ${db.url} is ${db.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: pick a matching --db`,
      'WRONG_DIALECT',
    );
  }
}

async function invalidIndexes(db: Database): Promise<Set<string>> {
  if (db.dialect !== 'postgres') return new Set();
  const rows = await db.query<{ name: string; schema: string }>(
    `SELECT c.relname AS name, n.nspname AS schema
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  );
  const currentSchema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema'))[0]?.schema;
  const names = new Set<string>();
  for (const row of rows) {
    names.add(`${row.schema}.${row.name}`);
    if (row.schema === currentSchema) names.add(row.name);
  }
  return names;
}

function adoptedRow(migration: Migration): HistoryRow {
  // No checksum: what is in place was not made from this file, so there is nothing to compare.
  return {
    version: migration.version,
    appliedAt: '',
    description: migration.description,
    migrationScript: migration.fileName,
    rollbackScript: null,
    executionTimeMs: null,
    success: true,
    errorMessage: null,
    checksum: null,
    appliedBy: 'found in place (not yet recorded)',
  };
}

/** Reads history, compares it with the source and gathers what the planner needs (read-only). */
export async function readMigrationState(db: Database, source: MigrationSource, settings: PlanSettings): Promise<MigrationState> {
  assertDialect(db, source);
  const history = await readHistory(db);
  const adoptedVersion = !history.exists && source.baseline !== undefined ? await source.baseline(db) : 0;
  const adopted = source.migrations.filter((migration) => migration.version <= adoptedVersion);
  return {
    history,
    status: computeStatus(source.migrations, [...history.rows, ...adopted.map(adoptedRow)]),
    context: {
      dialect: db.dialect,
      historyExists: history.exists,
      historyMissingColumns: history.missingColumns,
      invalidIndexes: await invalidIndexes(db),
      adopted,
      settings,
    },
  };
}
