import type { Database, Dialect, Queryable } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import type { Migration } from './migration.ts';
import { sqlString, sqlStringOrNull } from './sql-literal.ts';

/** The history table's default name, as the risk-state specification gives it (`--migrations-table` picks another). */
export const HISTORY_TABLE = 'schema_version';

/**
 * Where the history lives. On PostgreSQL the schema is fixed when the table is first looked up or
 * created (the session's current_schema() then, or the one `--migrations-table schema.name` names),
 * and every write names it, so a migration that runs `SET search_path` cannot send them elsewhere.
 */
export interface HistoryTable {
  /** null on SQLite. */
  readonly schema: string | null;
  readonly name: string;
}

/** The default history table, schema unresolved (the planner's fallback for contexts built by hand). */
export const DEFAULT_HISTORY: HistoryTable = { schema: null, name: HISTORY_TABLE };

function identifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The history table as SQL names it: `public.schema_version` (quoted only where it must be). */
export function historyRef(table: HistoryTable): string {
  return table.schema === null ? identifier(table.name) : `${identifier(table.schema)}.${identifier(table.name)}`;
}

/** Checks a `--migrations-table` value: NAME or (PostgreSQL) SCHEMA.NAME, letters, digits and underscores. */
export function parseHistoryTableName(value: string): { schema: string | null; name: string } {
  const match = /^(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)$/.exec(value.trim());
  if (match === null) {
    throw new UsageError(
      `--migrations-table '${value}' is not a table name: use letters, digits and underscores, e.g. schema_version or app.schema_version`,
      'BAD_TABLE',
    );
  }
  return { schema: match[1] ?? null, name: match[2]! };
}

/** Finds where the history table is (or will be created): its schema on PostgreSQL is resolved once, here. */
export async function resolveHistoryTable(db: Queryable, dialect: Dialect, tableName: string = HISTORY_TABLE): Promise<HistoryTable> {
  const parsed = parseHistoryTableName(tableName);
  if (dialect === 'sqlite') {
    if (parsed.schema !== null) throw new UsageError(`--migrations-table '${tableName}': SQLite has no schemas; give a plain name`, 'BAD_TABLE');
    return { schema: null, name: parsed.name };
  }
  if (parsed.schema !== null) return parsed;
  // Where search_path finds an existing table, else where CREATE TABLE would put it (current_schema()).
  const rows = await db.query<{ schema: string | null }>(
    `SELECT coalesce((SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.oid = to_regclass(quote_ident($1))), current_schema()) AS schema`,
    [parsed.name],
  );
  const schema = rows[0]?.schema ?? null;
  if (schema === null) {
    throw new UsageError(
      `the session has no current schema (search_path names none that exists), so there is nowhere for ${parsed.name}: fix search_path or pass --migrations-table SCHEMA.${parsed.name}`,
      'BAD_TABLE',
    );
  }
  return { schema, name: parsed.name };
}

/** One row of the history table. */
export interface HistoryRow {
  readonly version: number;
  readonly appliedAt: string;
  readonly description: string;
  readonly migrationScript: string | null;
  readonly rollbackScript: string | null;
  readonly executionTimeMs: number | null;
  readonly success: boolean;
  readonly errorMessage: string | null;
  readonly checksum: string | null;
  readonly appliedBy: string | null;
  /** The source that applied it (`pack:bot-ledger`, `dir:examples/migrations`); null in rows written before it was recorded. */
  readonly source?: string | null;
}

/** Columns our history table has that one made by an older tradeledger or the specification's own SQL may lack. */
export type AddedColumn = 'checksum' | 'applied_by' | 'source';

/** What an existing history table lacks: columns, and (PostgreSQL) a 64-bit version column. */
export interface HistoryShape {
  readonly missingColumns: readonly AddedColumn[];
  /** PostgreSQL: `version` is INTEGER (tradeledger before 64-bit versions); it becomes BIGINT. */
  readonly narrowVersion: boolean;
}

/** The history table as it stands: absent, or present with its rows and what it lacks. */
export interface HistoryState extends HistoryShape {
  readonly exists: boolean;
  readonly table: HistoryTable;
  readonly rows: readonly HistoryRow[];
}

/** The CREATE statements for the history table: the specification's columns plus checksum, applied_by and source. */
export function historyTableSql(dialect: Dialect, table: HistoryTable = DEFAULT_HISTORY): string {
  const appliedAt = dialect === 'postgres' ? 'TIMESTAMPTZ NOT NULL' : 'TEXT NOT NULL';
  const success = dialect === 'postgres' ? 'BOOLEAN NOT NULL DEFAULT TRUE' : 'BOOLEAN NOT NULL DEFAULT 1';
  // SQLite's INTEGER PRIMARY KEY is already 64-bit; PostgreSQL's INTEGER is not (dbmate's timestamp versions).
  const version = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  const ref = historyRef(table);
  return [
    `CREATE TABLE IF NOT EXISTS ${ref} (`,
    `    version ${version} PRIMARY KEY,`,
    `    applied_at ${appliedAt},`,
    '    description TEXT NOT NULL,',
    '    migration_script TEXT,',
    '    rollback_script TEXT,',
    '    execution_time_ms INTEGER,',
    `    success ${success},`,
    '    error_message TEXT,',
    '    checksum TEXT,',
    '    applied_by TEXT,',
    '    source TEXT',
    ');',
    `CREATE INDEX IF NOT EXISTS ${identifier(`idx_${table.name}_applied`)} ON ${ref} (applied_at DESC);`,
  ].join('\n');
}

/** True when an existing table needs `historyUpgradeSql`. */
export function needsUpgrade(shape: HistoryShape): boolean {
  return shape.missingColumns.length > 0 || shape.narrowVersion;
}

/**
 * The statements that bring an existing history table up to ours: the missing columns, and BIGINT
 * versions on PostgreSQL. Run inside the transaction (or the one implicit transaction of a
 * multi-statement message) that first writes to the table, so a kill leaves it as it was.
 */
export function historyUpgradeSql(shape: HistoryShape, table: HistoryTable = DEFAULT_HISTORY): string {
  const ref = historyRef(table);
  return [
    ...(shape.narrowVersion ? [`ALTER TABLE ${ref} ALTER COLUMN version TYPE BIGINT;`] : []),
    ...shape.missingColumns.map((column) => `ALTER TABLE ${ref} ADD COLUMN ${column} TEXT;`),
  ].join('\n');
}

interface Column {
  readonly name: string;
  readonly type: string;
}

async function historyColumns(db: Queryable, dialect: Dialect, table: HistoryTable): Promise<Column[] | null> {
  // The catalog, not information_schema: information_schema lists only the columns the current role
  // may use, so a role without privileges on schema_version would see no table and report version 0.
  const rows =
    dialect === 'postgres'
      ? await db.query<Column>(
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum`,
          [table.schema, table.name],
        )
      : await db.query<Column>(`SELECT name, type FROM pragma_table_info(?)`, [table.name]);
  return rows.length === 0 ? null : rows;
}

/** Another migration tool's history table where ours should be: exit 2, naming the tool and `--migrations-table`. */
export class ForeignHistoryError extends UsageError {
  /** The tool the table's columns belong to. */
  readonly tool: string;
  constructor(table: HistoryTable, tool: string, columns: readonly string[], hint: string) {
    super(`${historyRef(table)} in this database belongs to ${tool} (columns ${columns.join(', ')}), not to tradeledger: ${hint}`, 'FOREIGN_HISTORY');
    this.tool = tool;
  }
}

const OUR_COLUMNS = ['version', 'applied_at', 'description', 'success'];

function foreignTool(table: HistoryTable, columns: readonly string[]): string | null {
  if (OUR_COLUMNS.every((column) => columns.includes(column)) && !columns.includes('installed_rank')) return null;
  if (columns.includes('installed_rank')) return 'Flyway';
  if (columns.includes('version_num')) return 'Alembic';
  // dbmate's table is schema_migrations(version); a one-column table by another name may be anyone's.
  if (columns.length === 1 && columns[0] === 'version' && table.name === 'schema_migrations') return 'dbmate';
  return 'another migration tool';
}

function foreignHint(tool: string, table: HistoryTable): string {
  const other = table.name === HISTORY_TABLE ? 'tradeledger_schema_version' : HISTORY_TABLE;
  const keep = `pass --migrations-table NAME to keep tradeledger's history in a table of its own (e.g. --migrations-table ${other})`;
  if (tool !== 'dbmate') return `${keep}; ${tool}'s table is left as it is`;
  return `${keep}, then 'migrate stamp VERSION' with the newest version dbmate applied, so tradeledger starts from there; dbmate's table is left as it is`;
}

function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === 't' || value === 'true';
}

function toText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/**
 * Reads the history table in version order; a database without it has an empty history. Another
 * tool's table under that name (Flyway's schema_version, say) is refused with ForeignHistoryError.
 */
export async function readHistory(db: Database, tableName: string = HISTORY_TABLE): Promise<HistoryState> {
  const table = await resolveHistoryTable(db, db.dialect, tableName);
  const described = await historyColumns(db, db.dialect, table);
  if (described === null) return { exists: false, table, missingColumns: [], narrowVersion: false, rows: [] };
  const columns = described.map((column) => column.name);
  const tool = foreignTool(table, columns);
  if (tool !== null) throw new ForeignHistoryError(table, tool, columns, foreignHint(tool, table));
  const missingColumns = (['checksum', 'applied_by', 'source'] as const).filter((column) => !columns.includes(column));
  const narrowVersion = db.dialect === 'postgres' && described.some((column) => column.name === 'version' && column.type === 'integer');
  const select = (column: string) => (columns.includes(column) ? column : `NULL AS ${column}`);
  const rows = await db.query(
    `SELECT version, applied_at, description, migration_script, rollback_script, execution_time_ms, success,
            error_message, ${select('checksum')}, ${select('applied_by')}, ${select('source')}
       FROM ${historyRef(table)} ORDER BY version`,
  );
  return {
    exists: true,
    table,
    missingColumns,
    narrowVersion,
    rows: rows.map((row) => ({
      version: Number(row['version']),
      appliedAt: toText(row['applied_at']),
      description: String(row['description']),
      migrationScript: row['migration_script'] === null ? null : String(row['migration_script']),
      rollbackScript: row['rollback_script'] === null ? null : String(row['rollback_script']),
      executionTimeMs: row['execution_time_ms'] === null ? null : Number(row['execution_time_ms']),
      success: toBoolean(row['success']),
      errorMessage: row['error_message'] === null ? null : String(row['error_message']),
      checksum: row['checksum'] === null ? null : String(row['checksum']),
      appliedBy: row['applied_by'] === null ? null : String(row['applied_by']),
      source: row['source'] === null ? null : String(row['source']),
    })),
  };
}

/** What one history row records about a migration. */
export interface HistoryEntry {
  readonly version: number;
  readonly description: string;
  readonly migrationScript: string;
  readonly rollbackScript: string | null;
  readonly checksum: string;
  readonly appliedBy: string;
  /** The source's label (`pack:bot-ledger`, `dir:PATH`); null when the caller does not know it. */
  readonly source: string | null;
}

/** The history entry for a migration, applied by `appliedBy` from `source`. */
export function historyEntryFor(migration: Migration, appliedBy: string, source: string | null = null): HistoryEntry {
  return {
    version: migration.version,
    description: migration.description,
    migrationScript: migration.fileName,
    rollbackScript: migration.down === null ? null : `${migration.fileName}#down`,
    checksum: migration.checksum,
    appliedBy,
    source,
  };
}

function nowExpression(dialect: Dialect): string {
  return dialect === 'postgres' ? 'clock_timestamp()' : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
}

function booleanLiteral(dialect: Dialect, value: boolean): string {
  if (dialect === 'postgres') return value ? 'TRUE' : 'FALSE';
  return value ? '1' : '0';
}

/**
 * The upsert that records a migration as started (or, for a stamp, done): a literal statement, so
 * that `migrate plan` prints it byte for byte. A failed attempt's row is overwritten by the retry.
 */
export function historyStartSql(
  dialect: Dialect,
  entry: HistoryEntry,
  success: boolean,
  message: string | null,
  table: HistoryTable = DEFAULT_HISTORY,
): string {
  const now = nowExpression(dialect);
  return [
    `INSERT INTO ${historyRef(table)} (version, applied_at, description, migration_script, rollback_script, execution_time_ms, success, error_message, checksum, applied_by, source)`,
    `VALUES (${entry.version}, ${now}, ${sqlString(entry.description)}, ${sqlString(entry.migrationScript)}, ${sqlStringOrNull(entry.rollbackScript)}, NULL, ${booleanLiteral(dialect, success)}, ${sqlStringOrNull(message)}, ${sqlString(entry.checksum)}, ${sqlString(entry.appliedBy)}, ${sqlStringOrNull(entry.source)})`,
    `ON CONFLICT (version) DO UPDATE SET applied_at = excluded.applied_at, description = excluded.description, migration_script = excluded.migration_script, rollback_script = excluded.rollback_script, execution_time_ms = NULL, success = excluded.success, error_message = excluded.error_message, checksum = excluded.checksum, applied_by = excluded.applied_by, source = excluded.source;`,
  ].join('\n');
}

/** Marks a started migration as done and stores how long it took since `applied_at`. */
export function historyFinishSql(dialect: Dialect, version: number, table: HistoryTable = DEFAULT_HISTORY): string {
  const elapsed =
    dialect === 'postgres'
      ? 'CAST(round(EXTRACT(EPOCH FROM clock_timestamp() - applied_at) * 1000) AS INTEGER)'
      : "CAST(round((julianday('now') - julianday(applied_at)) * 86400000) AS INTEGER)";
  return `UPDATE ${historyRef(table)} SET execution_time_ms = ${elapsed}, success = ${booleanLiteral(dialect, true)}, error_message = NULL WHERE version = ${version};`;
}

/** Removes a rolled-back migration's row. */
export function historyDeleteSql(version: number, table: HistoryTable = DEFAULT_HISTORY): string {
  return `DELETE FROM ${historyRef(table)} WHERE version = ${version};`;
}

/**
 * How a row of an applied migration says one of its indexes is being built again (`success` stays
 * true). While it says so, an index of that migration that is missing is one the rebuild dropped and
 * did not build yet, and `up` builds it.
 */
export const REBUILD_MARK = 'rebuilding index';

/** True when an applied row's error_message says a rebuild of its indexes has not completed. */
export function isRebuilding(row: HistoryRow): boolean {
  return row.success && row.errorMessage?.startsWith(REBUILD_MARK) === true;
}

/** Marks an applied migration's row as rebuilding these indexes, before the first DROP. */
export function historyRebuildStartSql(version: number, indexes: readonly string[], table: HistoryTable = DEFAULT_HISTORY): string {
  const message = `${REBUILD_MARK} ${indexes.join(', ')}: in progress; if this message stays, run \`migrate up\` again to complete it`;
  return `UPDATE ${historyRef(table)} SET error_message = ${sqlString(message)} WHERE version = ${version};`;
}

/** Clears the rebuild mark once every rebuilt index is valid. */
export function historyRebuildDoneSql(version: number, table: HistoryTable = DEFAULT_HISTORY): string {
  return `UPDATE ${historyRef(table)} SET error_message = NULL WHERE version = ${version};`;
}

/**
 * Bounds on the runner's own history writes after a failure. They run outside the migration, often
 * right after a lock timeout, behind the same long transaction (a killed runner's, still running):
 * without a lock_timeout they would wait for it as long as it lives.
 */
export interface RecordTimeouts {
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

async function bounded(db: Database, timeouts: RecordTimeouts, work: (tx: Queryable) => Promise<void>): Promise<void> {
  await db.transaction(
    async (tx) => {
      if (db.dialect === 'postgres') {
        await tx.exec(`SET LOCAL lock_timeout = '${timeouts.lockTimeoutMs}ms'; SET LOCAL statement_timeout = '${timeouts.statementTimeoutMs}ms'`);
      }
      await work(tx);
    },
    { immediate: true },
  );
}

/**
 * Records a failed attempt, outside the failed transaction, so `status` shows it and `up` retries it.
 * Bounded by `timeouts`: when a lock it needs stays held (the history row of a transaction still
 * running), it fails with that lock timeout instead of waiting, and the caller reports both.
 */
export async function recordFailure(
  db: Database,
  entry: HistoryEntry,
  message: string,
  timeouts: RecordTimeouts,
  table: HistoryTable = DEFAULT_HISTORY,
): Promise<void> {
  await bounded(db, timeouts, async (tx) => {
    // CREATE INDEX IF NOT EXISTS locks the table even when the index is there: only when it is missing.
    const columns = await historyColumns(tx, db.dialect, table);
    if (columns === null) await tx.exec(historyTableSql(db.dialect, table));
    else {
      // The step's own upgrade of an older table rolled back with it; the row needs the new shape too.
      const names = columns.map((column) => column.name);
      const shape: HistoryShape = {
        missingColumns: (['checksum', 'applied_by', 'source'] as const).filter((column) => !names.includes(column)),
        narrowVersion: db.dialect === 'postgres' && columns.some((column) => column.name === 'version' && column.type === 'integer'),
      };
      if (needsUpgrade(shape)) await tx.exec(historyUpgradeSql(shape, table));
    }
    await tx.exec(historyStartSql(db.dialect, entry, false, message, table));
  });
}

/** Records that a migration's down failed part-way, so `status` shows it and `up` re-applies it. */
export async function recordDownFailure(
  db: Database,
  version: number,
  message: string,
  timeouts: RecordTimeouts,
  table: HistoryTable = DEFAULT_HISTORY,
): Promise<void> {
  await bounded(db, timeouts, (tx) =>
    tx.query(`UPDATE ${historyRef(table)} SET success = $1, error_message = $2 WHERE version = $3`, [false, message, version]).then(() => undefined),
  );
}

/** Records why a rebuild of an applied migration's indexes failed; the row stays applied and marked as rebuilding. */
export async function recordRebuildFailure(
  db: Database,
  version: number,
  indexes: readonly string[],
  message: string,
  timeouts: RecordTimeouts,
  table: HistoryTable = DEFAULT_HISTORY,
): Promise<void> {
  const text = `${REBUILD_MARK} ${indexes.join(', ')} failed: ${message}; \`migrate up\` tries again`;
  await bounded(db, timeouts, (tx) => tx.query(`UPDATE ${historyRef(table)} SET error_message = $1 WHERE version = $2`, [text, version]).then(() => undefined));
}
