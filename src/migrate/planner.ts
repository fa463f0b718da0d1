import type { Dialect } from '../db/port.ts';
import { SafetyError, UsageError } from '../errors.ts';
import type { Migration } from './migration.ts';
import { sqlString } from './sql-literal.ts';
import type { MigrationStatus } from './status.ts';
import {
  historyDeleteSql,
  historyEntryFor,
  historyFinishSql,
  historyRebuildDoneSql,
  historyRebuildStartSql,
  historyStartSql,
  historyTableSql,
  historyUpgradeSql,
  type HistoryEntry,
} from './history.ts';
import { parsePostgresScript, type ScriptOrigin } from './pg-statements.ts';
import { splitStatements, stripComments } from './split-statements.ts';
import { assertTransactionSafe } from './transaction-check.ts';

/** One piece of SQL the runner sends as it is; `expectNoRows` makes a returned row a failure. */
export interface PlanChunk {
  readonly sql: string;
  readonly expectNoRows?: boolean;
  /**
   * A `CREATE INDEX CONCURRENTLY` of a no-transaction migration: the index it builds, spelled as the
   * statement writes it. Before every try (the first, and each retry after a lock timeout) the runner
   * drops that index if it is there and invalid (`DROP INDEX CONCURRENTLY IF EXISTS`), since a failed
   * build leaves it so and `IF NOT EXISTS` would keep it.
   */
  readonly buildsIndex?: string;
}

/**
 * An index that an applied no-transaction migration builds and that must be built again: `invalid`
 * (`pg_index.indisvalid = false`: a CREATE INDEX CONCURRENTLY that did not finish, recorded as applied
 * by an older tradeledger, or left by another tool), or `missing` because a rebuild was interrupted
 * between its DROP and its CREATE (the history row still says it was rebuilding).
 */
export interface IndexRebuild {
  readonly migration: Migration;
  /** As `concurrentIndexName` gives it. */
  readonly index: string;
  readonly state: 'invalid' | 'missing';
}

/**
 * One migration's work. A `transaction` step is retried whole after a lock timeout; a
 * `statements` step (no-transaction) retries the statement that timed out.
 */
export interface PlanStep {
  readonly migration: Migration;
  readonly direction: 'up' | 'down';
  readonly kind: 'transaction' | 'statements';
  readonly chunks: readonly PlanChunk[];
  /** Sent only when the step fails, to leave the session clean (ROLLBACK, settings back). */
  readonly cleanup: readonly string[];
  readonly entry: HistoryEntry;
  /**
   * The transaction that also records an untracked schema as adopted: a failure is not recorded,
   * since that would create the history table and lose the adoption; the database stays as found.
   */
  readonly adopting?: boolean;
  /**
   * Set on a step that rebuilds these indexes of an already applied migration (DROP INDEX CONCURRENTLY
   * IF EXISTS, then the migration's own CREATE INDEX CONCURRENTLY) instead of applying it; the version
   * stays applied whatever happens.
   */
  readonly rebuild?: readonly string[];
}

/** What `up` or `down` will run, in order. */
export interface Plan {
  readonly direction: 'up' | 'down';
  readonly from: number;
  readonly to: number;
  readonly steps: readonly PlanStep[];
  /** The settings the steps set; the runner bounds its own failure records with the same lock_timeout. */
  readonly settings: PlanSettings;
}

/** Session settings and identity every step uses. */
export interface PlanSettings {
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly appliedBy: string;
}

/** What the planner knows about the database, read before planning. */
export interface PlanContext {
  readonly dialect: Dialect;
  readonly historyExists: boolean;
  readonly historyMissingColumns: readonly string[];
  /** Indexes an interrupted CREATE INDEX CONCURRENTLY left invalid (`pg_index.indisvalid = false`). */
  readonly invalidIndexes: ReadonlySet<string>;
  /** Indexes of applied migrations that `up` builds again (PostgreSQL). */
  readonly rebuilds?: readonly IndexRebuild[];
  /** Migrations whose schema was found in place without a history table (a pack's `baseline`). */
  readonly adopted: readonly Migration[];
  readonly settings: PlanSettings;
  /**
   * `migrate down --allow-data-loss`: sets `tradeledger.allow_data_loss = 'on'` for the step, which a
   * down section that would drop rows it must keep checks before it goes on.
   */
  readonly allowDataLoss?: boolean;
}

/** The session setting a down section reads to learn that `--allow-data-loss` was given. */
export const ALLOW_DATA_LOSS_SETTING = 'tradeledger.allow_data_loss';

const CONCURRENT_INDEX =
  /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?!ON\b)("(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*("(?:[^"]|"")+"|[A-Za-z_][\w$]*))?/i;

/** The index a `CREATE INDEX CONCURRENTLY` statement builds, with any schema, or null for other statements. */
export function concurrentIndexName(statement: string): string | null {
  const match = CONCURRENT_INDEX.exec(stripComments(statement));
  if (match === null) return null;
  const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase());
  return match[2] === undefined ? unquote(match[1]!) : `${unquote(match[1]!)}.${unquote(match[2])}`;
}

/** The index a `CREATE INDEX CONCURRENTLY` statement builds as the statement spells it, quotes kept; null for other statements. */
export function spelledIndexName(statement: string): string | null {
  // Quotes kept: an unquoted "Idx_C" would fold to idx_c and drop nothing.
  const match = CONCURRENT_INDEX.exec(stripComments(statement));
  if (match === null) return null;
  return match[2] === undefined ? match[1]! : `${match[1]!}.${match[2]}`;
}

/**
 * A DO block that fails (SQLSTATE 55000) when an index these statements built is not valid, so that
 * the history update sent with it in the same message is rolled back: a version is recorded only
 * when every index it built concurrently is usable. `mustExist`: a missing index fails too (a
 * rebuild); a migration may itself drop or rename an index it built, so there it may be missing.
 */
function validIndexesSql(version: number, spelled: readonly string[], mustExist: boolean): string {
  const consequence = mustExist ? `the rebuild of version ${version}'s indexes is not complete` : `version ${version} is not recorded as applied`;
  const names = spelled.map((name) => sqlString(name)).join(', ');
  return [
    'DO $tradeledger$',
    'DECLARE',
    '    not_valid TEXT;',
    'BEGIN',
    "    SELECT string_agg(built.name, ', ' ORDER BY built.ord) INTO not_valid",
    `      FROM unnest(ARRAY[${names}]) WITH ORDINALITY AS built(name, ord)`,
    `      ${mustExist ? 'LEFT ' : ''}JOIN pg_index i ON i.indexrelid = to_regclass(built.name)`,
    `     WHERE ${mustExist ? 'i.indisvalid IS NOT TRUE' : 'NOT i.indisvalid'};`,
    '    IF not_valid IS NOT NULL THEN',
    `        RAISE EXCEPTION ${sqlString(`index % not valid after CREATE INDEX CONCURRENTLY (pg_index.indisvalid is false${mustExist ? ', or it is missing' : ''}), so ${consequence}: run migrate up again, which drops it and builds it again`)}, not_valid`,
    "            USING ERRCODE = '55000';",
    '    END IF;',
    'END',
    '$tradeledger$;',
  ].join('\n');
}

function terminated(sql: string): string {
  // The next line we add must not join the migration's last statement.
  return stripComments(sql).trimEnd().endsWith(';') ? sql : `${sql}\n;`;
}

function header(migration: Migration, direction: 'up' | 'down' | 'rebuild', note: string): string {
  return `-- tradeledger: ${direction} ${String(migration.version).padStart(3, '0')} ${migration.description} (${migration.fileName}${note})`;
}

/** SQLite has no session settings: a temporary table carries `--allow-data-loss` to a down section's guard, inside its transaction. */
export const SQLITE_SETTINGS_TABLE = 'temp.tradeledger_settings';

function settingsSql(context: PlanContext, local: boolean): string[] {
  if (context.dialect !== 'postgres') {
    if (context.allowDataLoss !== true) return [];
    return [
      `CREATE TEMP TABLE IF NOT EXISTS tradeledger_settings (name TEXT PRIMARY KEY, value TEXT);`,
      `INSERT OR REPLACE INTO ${SQLITE_SETTINGS_TABLE} (name, value) VALUES ('allow_data_loss', 'on');`,
    ];
  }
  const scope = local ? 'SET LOCAL' : 'SET';
  return [
    `${scope} lock_timeout = '${context.settings.lockTimeoutMs}ms';`,
    `${scope} statement_timeout = '${context.settings.statementTimeoutMs}ms';`,
    ...(context.allowDataLoss === true ? [`${scope} ${ALLOW_DATA_LOSS_SETTING} = 'on';`] : []),
  ];
}

function historyBootstrap(context: PlanContext, isFirst: boolean): string[] {
  if (!isFirst) return [];
  if (context.historyExists) return context.historyMissingColumns.length > 0 ? [historyUpgradeSql(context.historyMissingColumns)] : [];
  // Adopted versions are recorded in the same transaction as the first real step, so a failed
  // or restored upgrade leaves the database as untracked as it was found.
  const adoptedBy = `${context.settings.appliedBy} (adopted: found in place, not run)`;
  return [
    historyTableSql(context.dialect),
    ...context.adopted.map((migration) => historyStartSql(context.dialect, historyEntryFor(migration, adoptedBy), true, null)),
  ];
}

function checkSupported(migration: Migration, dialect: Dialect): void {
  if (!migration.transactional && dialect === 'sqlite') {
    throw new UsageError(
      `${migration.fileName}: '-- migrate:no-transaction' is for PostgreSQL; SQLite migrations always run in one transaction — remove the line`,
      'MIGRATION_FORMAT',
    );
  }
  if (migration.disableForeignKeys && dialect !== 'sqlite') {
    throw new UsageError(`${migration.fileName}: '-- migrate:disable-foreign-keys' is for SQLite only — remove the line`, 'MIGRATION_FORMAT');
  }
}

function transactionStep(migration: Migration, direction: 'up' | 'down', body: string, context: PlanContext, isFirst: boolean): PlanStep {
  const entry = historyEntryFor(migration, context.settings.appliedBy);
  const adopting = isFirst && !context.historyExists && context.adopted.length > 0;
  const sqlite = context.dialect === 'sqlite';
  const begin = sqlite ? 'BEGIN IMMEDIATE;' : 'BEGIN;';
  const lines = [header(migration, direction, ''), begin, ...settingsSql(context, true), ...historyBootstrap(context, isFirst)];
  if (direction === 'up') {
    lines.push(historyStartSql(context.dialect, entry, true, null), terminated(body), historyFinishSql(context.dialect, migration.version));
  } else {
    lines.push(terminated(body), historyDeleteSql(migration.version));
    // The temporary table outlives the commit on this connection: the next step must not inherit the consent.
    if (sqlite && context.allowDataLoss === true) lines.push(`DELETE FROM ${SQLITE_SETTINGS_TABLE};`);
  }
  if (!(sqlite && migration.disableForeignKeys)) {
    // COMMIT is sent on its own: the server runs a message to its end even after the client died,
    // so a runner killed mid-migration must not have sent its COMMIT yet (that would commit behind
    // a rerun's recorded failure); its backend then reads the closed socket and rolls back.
    return { migration, direction, kind: 'transaction', chunks: [{ sql: lines.join('\n') }, { sql: 'COMMIT;' }], cleanup: ['ROLLBACK'], entry, adopting };
  }
  // Foreign keys can only be switched off outside a transaction; check them before the commit.
  return {
    migration,
    direction,
    kind: 'transaction',
    chunks: [
      { sql: 'PRAGMA foreign_keys = OFF;' },
      { sql: lines.join('\n') },
      { sql: 'PRAGMA foreign_key_check;', expectNoRows: true },
      { sql: 'COMMIT;' },
      { sql: 'PRAGMA foreign_keys = ON;' },
    ],
    cleanup: ['ROLLBACK', 'PRAGMA foreign_keys = ON'],
    entry,
    adopting,
  };
}

/** Where a migration's up or down section starts, for messages that name a line. */
export function sectionOrigin(migration: Migration, direction: 'up' | 'down'): ScriptOrigin {
  // The down section's line in the file is not kept on a Migration: messages count from its start.
  return direction === 'up' ? { fileName: migration.fileName, line: migration.upLine } : { fileName: migration.fileName, line: 1, section: 'down' };
}

/**
 * A section's statements as the runner sends them one by one: PostgreSQL's own parser splits
 * PostgreSQL (and PGlite) scripts; SQLite keeps the splitter that knows its quoting.
 */
export function sectionStatements(migration: Migration, direction: 'up' | 'down', body: string, dialect: Dialect): string[] {
  if (dialect === 'sqlite') return splitStatements(body);
  return parsePostgresScript(body, sectionOrigin(migration, direction)).map((statement) => statement.text);
}

function statementsStep(migration: Migration, direction: 'up' | 'down', body: string, context: PlanContext, isFirst: boolean): PlanStep {
  const entry = historyEntryFor(migration, context.settings.appliedBy);
  const opening = [
    header(migration, direction, ', no transaction: each statement commits on its own'),
    ...settingsSql(context, false),
    ...historyBootstrap(context, isFirst),
  ];
  if (direction === 'up') {
    opening.push(
      historyStartSql(context.dialect, entry, false, 'in progress: no-transaction migration started; if this row stays, run `migrate up` again to complete it'),
    );
  }
  const chunks: PlanChunk[] = [{ sql: opening.join('\n') }];
  const built: string[] = [];
  for (const statement of sectionStatements(migration, direction, body, context.dialect)) {
    const index = concurrentIndexName(statement);
    const spelled = spelledIndexName(statement);
    if (direction !== 'up' || index === null || spelled === null) {
      chunks.push({ sql: statement });
      continue;
    }
    // An interrupted build leaves an invalid index that IF NOT EXISTS would keep: drop it and build again.
    if (context.invalidIndexes.has(index)) chunks.push({ sql: `DROP INDEX CONCURRENTLY IF EXISTS ${spelled};` });
    chunks.push({ sql: statement, buildsIndex: spelled });
    if (!built.includes(spelled)) built.push(spelled);
  }
  const closing = direction === 'up' ? historyFinishSql(context.dialect, migration.version) : historyDeleteSql(migration.version);
  const check = built.length > 0 ? [validIndexesSql(migration.version, built, false)] : [];
  const resets = sessionResets(context);
  chunks.push({ sql: [...check, closing, ...resets.map((reset) => `${reset};`)].join('\n') });
  return { migration, direction, kind: 'statements', chunks, cleanup: resets, entry };
}

function sessionResets(context: PlanContext): string[] {
  return ['lock_timeout', 'statement_timeout', ...(context.allowDataLoss === true ? [ALLOW_DATA_LOSS_SETTING] : [])].map((name) => `RESET ${name}`);
}

/**
 * Builds again the invalid (or, after an interrupted rebuild, missing) indexes of an applied
 * no-transaction migration: DROP INDEX CONCURRENTLY IF EXISTS, then the migration's own CREATE
 * statement, then the validity check. The history row stays `success = true`; its error_message says
 * a rebuild is under way until the check passes, so a rebuild that fails after its DROP is still
 * found (the index is then missing rather than invalid) and the next `up` completes it.
 */
function rebuildStep(migration: Migration, rebuilds: readonly IndexRebuild[], context: PlanContext): PlanStep | null {
  const wanted = new Set(rebuilds.map((rebuild) => rebuild.index));
  // The last statement that creates each index is the definition it was left with.
  const statements = new Map<string, string>();
  for (const statement of sectionStatements(migration, 'up', migration.up, context.dialect)) {
    const index = concurrentIndexName(statement);
    if (index !== null && wanted.has(index)) statements.set(index, statement);
  }
  if (statements.size === 0) return null;
  const spelled = [...statements.values()].map((statement) => spelledIndexName(statement)!);
  const states = rebuilds
    .filter((rebuild) => statements.has(rebuild.index))
    .map((rebuild) => `${rebuild.index} ${rebuild.state}`)
    .join(', ');
  const opening = [
    header(migration, 'rebuild', `, no transaction: index ${states}; the version stays applied`),
    ...settingsSql(context, false),
    historyRebuildStartSql(migration.version, spelled),
  ];
  const chunks: PlanChunk[] = [{ sql: opening.join('\n') }];
  for (const statement of statements.values()) {
    const name = spelledIndexName(statement)!;
    chunks.push({ sql: `DROP INDEX CONCURRENTLY IF EXISTS ${name};` }, { sql: statement, buildsIndex: name });
  }
  const resets = sessionResets(context);
  chunks.push({
    sql: [validIndexesSql(migration.version, spelled, true), historyRebuildDoneSql(migration.version), ...resets.map((reset) => `${reset};`)].join('\n'),
  });
  return {
    migration,
    direction: 'up',
    kind: 'statements',
    chunks,
    cleanup: resets,
    entry: historyEntryFor(migration, context.settings.appliedBy),
    rebuild: [...statements.keys()],
  };
}

/** Rebuild steps for the indexes of applied migrations, oldest migration first; an index a pending step builds is left to it. */
function rebuildSteps(context: PlanContext, pending: readonly PlanStep[]): PlanStep[] {
  const builtByPending = new Set(
    pending.flatMap((s) => s.chunks.flatMap((chunk) => (chunk.buildsIndex === undefined ? [] : [concurrentIndexName(chunk.sql)!]))),
  );
  const byVersion = new Map<number, IndexRebuild[]>();
  for (const rebuild of context.rebuilds ?? []) {
    if (builtByPending.has(rebuild.index)) continue;
    byVersion.set(rebuild.migration.version, [...(byVersion.get(rebuild.migration.version) ?? []), rebuild]);
  }
  return [...byVersion.values()]
    .sort((a, b) => a[0]!.migration.version - b[0]!.migration.version)
    .flatMap((rebuilds) => rebuildStep(rebuilds[0]!.migration, rebuilds, context) ?? []);
}

function step(migration: Migration, direction: 'up' | 'down', context: PlanContext, isFirst: boolean): PlanStep {
  checkSupported(migration, context.dialect);
  const body = direction === 'up' ? migration.up : migration.down;
  if (body === null) {
    throw new UsageError(
      `migration ${migration.version} (${migration.fileName}) has no '-- migrate:down' section, so it cannot be rolled back; add one`,
      'NO_DOWN',
    );
  }
  if (migration.transactional && context.dialect === 'postgres') {
    // Parsed before anything runs: a CONCURRENTLY here would fail only when the server reached it.
    const origin = sectionOrigin(migration, direction);
    assertTransactionSafe(parsePostgresScript(body, origin), origin);
  }
  return migration.transactional ? transactionStep(migration, direction, body, context, isFirst) : statementsStep(migration, direction, body, context, isFirst);
}

/** Refuses to build on a history that does not match the source: drift, an unknown or a backwards version. */
export function assertConsistent(status: MigrationStatus, label: string): void {
  if (status.drifted.length > 0) {
    const first = status.drifted[0]!;
    throw new SafetyError(
      `migration ${first.migration.version} (${first.migration.fileName}) was edited after it was applied (checksum ${first.row.checksum?.slice(0, 12)}… is now ${first.migration.checksum.slice(0, 12)}…): restore the file as it was applied, or roll back to before it and apply again`,
      'DRIFT',
      status.drifted.map((d) => `${d.migration.fileName}: applied ${d.row.checksum}, file ${d.migration.checksum}`),
    );
  }
  if (status.unknown.length > 0) {
    const versions = status.unknown.map((row) => row.version).join(', ');
    throw new SafetyError(
      `the database has applied version(s) ${versions} that ${label} does not have: it is ahead of this source; use the source that applied them`,
      'UNKNOWN_VERSION',
    );
  }
  if (status.outOfOrder.length > 0) {
    const first = status.outOfOrder[0]!;
    throw new UsageError(
      `migration ${first.fileName} has version ${first.version}, below the applied version ${status.current}: versions must only go forward — renumber it above ${status.current}`,
      'VERSION_BACKWARDS',
    );
  }
}

/** The steps `up` runs to reach `target` (default: the latest); pure. */
export function planUp(status: MigrationStatus, context: PlanContext, target?: number): Plan {
  const to = target ?? status.latest;
  if (target !== undefined && target < status.current) {
    throw new UsageError(`--to ${target} is below the current version ${status.current}: use 'migrate down --to ${target}'`, 'BAD_TARGET');
  }
  if (target !== undefined && target > status.latest) {
    throw new UsageError(`--to ${target} is above the latest version ${status.latest} this source has`, 'BAD_TARGET');
  }
  const pending = status.pending.filter((migration) => migration.version <= to);
  const steps = pending.map((migration, index) => step(migration, 'up', context, index === 0));
  return {
    direction: 'up',
    from: status.current,
    // The highest version applied, not --to itself: `--to 7` over versions 1, 5, 10 ends at 5.
    to: pending.reduce((max, migration) => Math.max(max, migration.version), status.current),
    // Applied migrations' indexes first: what is recorded as applied should be usable before more is built on it.
    steps: [...rebuildSteps(context, steps), ...steps],
    settings: context.settings,
  };
}

/** Which applied migrations `down` undoes: `--steps N` (default 1) or `--to N`. */
export interface DownTarget {
  readonly steps?: number;
  readonly to?: number;
  /** Let down sections drop rows they would otherwise refuse to (see ALLOW_DATA_LOSS_SETTING). */
  readonly allowDataLoss?: boolean;
}

/** The steps `down` runs, newest first; pure. */
export function planDown(status: MigrationStatus, migrations: readonly Migration[], context: PlanContext, target: DownTarget): Plan {
  if (!context.historyExists && context.adopted.length > 0) {
    throw new UsageError(
      'this database has its schema but no schema_version history yet: run `migrate up` (or `migrate stamp N`) before rolling back',
      'NO_HISTORY',
    );
  }
  const appliedVersions = status.applied.map((row) => row.version).sort((a, b) => b - a);
  let undo: number[];
  if (target.to !== undefined) {
    if (target.to > status.current)
      throw new UsageError(`--to ${target.to} is above the current version ${status.current}: use 'migrate up --to ${target.to}'`, 'BAD_TARGET');
    undo = appliedVersions.filter((version) => version > target.to!);
  } else {
    undo = appliedVersions.slice(0, target.steps ?? 1);
  }
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const steps = undo.map((version) => {
    const migration = byVersion.get(version);
    if (migration === undefined) throw new SafetyError(`applied version ${version} is not in this source, so its down section is unknown`, 'UNKNOWN_VERSION');
    return step(migration, 'down', { ...context, allowDataLoss: target.allowDataLoss === true }, false);
  });
  const remaining = appliedVersions.filter((version) => !undo.includes(version));
  return { direction: 'down', from: status.current, to: remaining[0] ?? 0, steps, settings: context.settings };
}

/** The plan as the exact text the runner sends, chunk after chunk, one newline between. */
export function renderPlan(plan: Pick<Plan, 'steps'>): string {
  return plan.steps.flatMap((s) => s.chunks.map((chunk) => chunk.sql)).join('\n');
}
