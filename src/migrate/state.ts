import type { Database } from '../db/port.ts';
import { dbmateLatestVersion } from './dbmate-history.ts';
import { UsageError } from '../errors.ts';
import { isRebuilding, readHistory, type HistoryRow, type HistoryState } from './history.ts';
import type { Migration } from './migration.ts';
import { loadPostgresParser } from './pg-statements.ts';
import { concurrentIndexName, planningParses, sectionStatements, spelledIndexName, type IndexRebuild, type PlanContext, type PlanSettings } from './planner.ts';
import type { MigrationSource } from './source.ts';
import { computeStatus, type MigrationStatus } from './status.ts';

/** The lock every migrating command takes, so one runner at a time changes a database's schema. */
export const MIGRATION_LOCK = 'tradeledger migration';

/** A database's migration state, read before planning. */
export interface MigrationState {
  readonly history: HistoryState;
  readonly status: MigrationStatus;
  readonly context: PlanContext;
  /** Indexes of applied migrations that are invalid or, after an interrupted rebuild, missing: `up` builds them again. */
  readonly rebuilds: readonly IndexRebuild[];
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

/**
 * The indexes applied no-transaction migrations build with CREATE INDEX CONCURRENTLY that are not
 * usable: invalid, or missing while the migration's row says a rebuild of them was under way. An
 * index built by several applied migrations belongs to the newest, whose definition it has.
 */
export async function findIndexRebuilds(
  db: Database,
  migrations: readonly Migration[],
  rows: readonly HistoryRow[],
  invalid?: ReadonlySet<string>,
): Promise<IndexRebuild[]> {
  if (db.dialect !== 'postgres') return [];
  const applied = new Map(rows.filter((row) => row.success).map((row) => [row.version, row]));
  const candidates = migrations.filter((migration) => !migration.transactional && applied.has(migration.version)).sort((a, b) => b.version - a.version);
  if (candidates.length === 0) return [];
  const invalidNow = invalid ?? (await invalidIndexes(db));
  const seen = new Set<string>();
  const found: IndexRebuild[] = [];
  for (const migration of candidates) {
    const rebuilding = isRebuilding(applied.get(migration.version)!);
    // Nothing to find without an invalid index or a rebuild under way; parsing is skipped then, since
    // a large script makes V8 compile the parser's WebAssembly further in the background, and the
    // process waits for that when it exits (about 0.3 s on every `migrate status`).
    if (invalidNow.size === 0 && !rebuilding) continue;
    await loadPostgresParser();
    for (const statement of sectionStatements(migration, 'up', migration.up, db.dialect)) {
      const index = concurrentIndexName(statement);
      if (index === null || seen.has(index)) continue;
      seen.add(index);
      if (invalidNow.has(index)) found.push({ migration, index, state: 'invalid' });
      else if (rebuilding && (await indexMissing(db, spelledIndexName(statement)!))) found.push({ migration, index, state: 'missing' });
    }
  }
  return found.sort((a, b) => a.migration.version - b.migration.version);
}

async function indexMissing(db: Database, spelled: string): Promise<boolean> {
  const rows = await db.query<{ missing: boolean }>('SELECT to_regclass($1) IS NULL AS missing', [spelled]);
  return rows[0]?.missing === true;
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
  // The planner splits PostgreSQL scripts with PostgreSQL's parser, loaded here (not at CLI start)
  // when a section will be parsed: plain transactional files are sent as written.
  if (db.dialect === 'postgres' && source.migrations.some(planningParses)) await loadPostgresParser();
  const history = await readHistory(db, settings.historyTable);
  const adoptedVersion = !history.exists && source.baseline !== undefined ? await source.baseline(db) : 0;
  const adopted = source.migrations.filter((migration) => migration.version <= adoptedVersion);
  // Only where tradeledger has no history yet: afterwards, dbmate's table is just a table.
  const dbmateVersion = !history.exists && adopted.length === 0 ? await dbmateLatestVersion(db) : null;
  const invalid = await invalidIndexes(db);
  const rebuilds = await findIndexRebuilds(db, source.migrations, history.rows, invalid);
  return {
    history,
    status: computeStatus(source.migrations, [...history.rows, ...adopted.map(adoptedRow)], source.label),
    context: {
      dialect: db.dialect,
      historyExists: history.exists,
      historyMissingColumns: history.missingColumns,
      historyNarrowVersion: history.narrowVersion,
      history: history.table,
      source: source.label,
      ...(dbmateVersion === null ? {} : { dbmateVersion }),
      invalidIndexes: invalid,
      rebuilds,
      adopted,
      settings,
    },
    rebuilds,
  };
}
