import type { Database, Dialect, Queryable } from '../db/port.ts';
import type { Migration } from './migration.ts';
import { sqlString, sqlStringOrNull } from './sql-literal.ts';

/** The history table's name, as the risk-state specification gives it. */
export const HISTORY_TABLE = 'schema_version';

/** One row of `schema_version`. */
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
}

/** The history table as it stands: absent, or present with its rows and any columns it lacks. */
export interface HistoryState {
  readonly exists: boolean;
  /** Our columns a table created by an older tool (the specification's own SQL) does not have. */
  readonly missingColumns: readonly ('checksum' | 'applied_by')[];
  readonly rows: readonly HistoryRow[];
}

/** The CREATE statements for `schema_version`: the specification's columns plus checksum and applied_by. */
export function historyTableSql(dialect: Dialect): string {
  const appliedAt = dialect === 'postgres' ? 'TIMESTAMPTZ NOT NULL' : 'TEXT NOT NULL';
  const success = dialect === 'postgres' ? 'BOOLEAN NOT NULL DEFAULT TRUE' : 'BOOLEAN NOT NULL DEFAULT 1';
  return [
    `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (`,
    '    version INTEGER PRIMARY KEY,',
    `    applied_at ${appliedAt},`,
    '    description TEXT NOT NULL,',
    '    migration_script TEXT,',
    '    rollback_script TEXT,',
    '    execution_time_ms INTEGER,',
    `    success ${success},`,
    '    error_message TEXT,',
    '    checksum TEXT,',
    '    applied_by TEXT',
    ');',
    `CREATE INDEX IF NOT EXISTS idx_schema_version_applied ON ${HISTORY_TABLE} (applied_at DESC);`,
  ].join('\n');
}

/** ALTERs that bring a specification-made `schema_version` up to our columns. */
export function historyUpgradeSql(missing: readonly string[]): string {
  return missing.map((column) => `ALTER TABLE ${HISTORY_TABLE} ADD COLUMN ${column} TEXT;`).join('\n');
}

async function historyColumns(db: Queryable, dialect: Dialect): Promise<string[] | null> {
  // The catalog, not information_schema: information_schema lists only the columns the current role
  // may use, so a role without privileges on schema_version would see no table and report version 0.
  const rows =
    dialect === 'postgres'
      ? await db.query<{ column_name: string }>(
          `SELECT a.attname AS column_name FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum`,
          [HISTORY_TABLE],
        )
      : await db.query<{ column_name: string }>(`SELECT name AS column_name FROM pragma_table_info(?)`, [HISTORY_TABLE]);
  return rows.length === 0 ? null : rows.map((row) => row.column_name);
}

function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === 't' || value === 'true';
}

function toText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** Reads `schema_version` in version order; a database without it has an empty history. */
export async function readHistory(db: Database): Promise<HistoryState> {
  const columns = await historyColumns(db, db.dialect);
  if (columns === null) return { exists: false, missingColumns: [], rows: [] };
  const missingColumns = (['checksum', 'applied_by'] as const).filter((column) => !columns.includes(column));
  const select = (column: string) => (columns.includes(column) ? column : `NULL AS ${column}`);
  const rows = await db.query(
    `SELECT version, applied_at, description, migration_script, rollback_script, execution_time_ms, success,
            error_message, ${select('checksum')}, ${select('applied_by')}
       FROM ${HISTORY_TABLE} ORDER BY version`,
  );
  return {
    exists: true,
    missingColumns,
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
}

/** The history entry for a migration, applied by `appliedBy`. */
export function historyEntryFor(migration: Migration, appliedBy: string): HistoryEntry {
  return {
    version: migration.version,
    description: migration.description,
    migrationScript: migration.fileName,
    rollbackScript: migration.down === null ? null : `${migration.fileName}#down`,
    checksum: migration.checksum,
    appliedBy,
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
export function historyStartSql(dialect: Dialect, entry: HistoryEntry, success: boolean, message: string | null): string {
  const now = nowExpression(dialect);
  return [
    `INSERT INTO ${HISTORY_TABLE} (version, applied_at, description, migration_script, rollback_script, execution_time_ms, success, error_message, checksum, applied_by)`,
    `VALUES (${entry.version}, ${now}, ${sqlString(entry.description)}, ${sqlString(entry.migrationScript)}, ${sqlStringOrNull(entry.rollbackScript)}, NULL, ${booleanLiteral(dialect, success)}, ${sqlStringOrNull(message)}, ${sqlString(entry.checksum)}, ${sqlString(entry.appliedBy)})`,
    `ON CONFLICT (version) DO UPDATE SET applied_at = excluded.applied_at, description = excluded.description, migration_script = excluded.migration_script, rollback_script = excluded.rollback_script, execution_time_ms = NULL, success = excluded.success, error_message = excluded.error_message, checksum = excluded.checksum, applied_by = excluded.applied_by;`,
  ].join('\n');
}

/** Marks a started migration as done and stores how long it took since `applied_at`. */
export function historyFinishSql(dialect: Dialect, version: number): string {
  const elapsed =
    dialect === 'postgres'
      ? 'CAST(round(EXTRACT(EPOCH FROM clock_timestamp() - applied_at) * 1000) AS INTEGER)'
      : "CAST(round((julianday('now') - julianday(applied_at)) * 86400000) AS INTEGER)";
  return `UPDATE ${HISTORY_TABLE} SET execution_time_ms = ${elapsed}, success = ${booleanLiteral(dialect, true)}, error_message = NULL WHERE version = ${version};`;
}

/** Removes a rolled-back migration's row. */
export function historyDeleteSql(version: number): string {
  return `DELETE FROM ${HISTORY_TABLE} WHERE version = ${version};`;
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
export function historyRebuildStartSql(version: number, indexes: readonly string[]): string {
  const message = `${REBUILD_MARK} ${indexes.join(', ')}: in progress; if this message stays, run \`migrate up\` again to complete it`;
  return `UPDATE ${HISTORY_TABLE} SET error_message = ${sqlString(message)} WHERE version = ${version};`;
}

/** Clears the rebuild mark once every rebuilt index is valid. */
export function historyRebuildDoneSql(version: number): string {
  return `UPDATE ${HISTORY_TABLE} SET error_message = NULL WHERE version = ${version};`;
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
export async function recordFailure(db: Database, entry: HistoryEntry, message: string, timeouts: RecordTimeouts): Promise<void> {
  await bounded(db, timeouts, async (tx) => {
    // CREATE INDEX IF NOT EXISTS locks the table even when the index is there: only when it is missing.
    if ((await historyColumns(tx, db.dialect)) === null) await tx.exec(historyTableSql(db.dialect));
    await tx.exec(historyStartSql(db.dialect, entry, false, message));
  });
}

/** Records that a migration's down failed part-way, so `status` shows it and `up` re-applies it. */
export async function recordDownFailure(db: Database, version: number, message: string, timeouts: RecordTimeouts): Promise<void> {
  await bounded(db, timeouts, (tx) =>
    tx.query(`UPDATE ${HISTORY_TABLE} SET success = $1, error_message = $2 WHERE version = $3`, [false, message, version]).then(() => undefined),
  );
}

/** Records why a rebuild of an applied migration's indexes failed; the row stays applied and marked as rebuilding. */
export async function recordRebuildFailure(
  db: Database,
  version: number,
  indexes: readonly string[],
  message: string,
  timeouts: RecordTimeouts,
): Promise<void> {
  const text = `${REBUILD_MARK} ${indexes.join(', ')} failed: ${message}; \`migrate up\` tries again`;
  await bounded(db, timeouts, (tx) => tx.query(`UPDATE ${HISTORY_TABLE} SET error_message = $1 WHERE version = $2`, [text, version]).then(() => undefined));
}
