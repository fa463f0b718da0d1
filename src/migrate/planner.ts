import type { Dialect } from '../db/port.ts';
import { SafetyError, UsageError } from '../errors.ts';
import type { Migration } from './migration.ts';
import { sqlString } from './sql-literal.ts';
import { describeSource, type MigrationStatus } from './status.ts';
import {
  historyDeleteSql,
  historyEntryFor,
  historyFinishSql,
  historyRebuildDoneSql,
  historyRebuildStartSql,
  historyStartSql,
  historyTableSql,
  historyUpgradeSql,
  needsUpgrade,
  DEFAULT_HISTORY,
  type HistoryEntry,
  type HistoryTable,
} from './history.ts';
import { parsePostgresScript, type ScriptOrigin } from './pg-statements.ts';
import { splitStatements, stripComments } from './split-statements.ts';
import { mustRunOutsideTransaction, splitSqliteStatements } from './sqlite-statements.ts';
import { assertTransactionSafe, mayNeedNoTransaction } from './transaction-check.ts';

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
  /**
   * Where the migration's own SQL starts in `sql` (a string index) and where that is in its file,
   * so that the server's error position can name the file's line (see errorLine).
   */
  readonly section?: { readonly at: number; readonly end: number; readonly origin: ScriptOrigin };
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
  /** The history table every step writes to; the runner records failures there too. */
  readonly history?: HistoryTable;
  /** What the caller should tell the user before it runs (empty down sections rolled back as no-ops). */
  readonly warnings?: readonly string[];
}

/** Session settings and identity every step uses. */
export interface PlanSettings {
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly appliedBy: string;
  /** `--migrations-table`: NAME or SCHEMA.NAME of the history table (default schema_version). */
  readonly historyTable?: string;
}

/** What the planner knows about the database, read before planning. */
export interface PlanContext {
  readonly dialect: Dialect;
  readonly historyExists: boolean;
  readonly historyMissingColumns: readonly ('checksum' | 'applied_by' | 'source')[];
  /** PostgreSQL: the existing history table's version column is INTEGER; the first step makes it BIGINT. */
  readonly historyNarrowVersion?: boolean;
  /** The history table, its schema resolved (PostgreSQL); default `schema_version` unqualified. */
  readonly history?: HistoryTable;
  /** The source's label, recorded in each row's `source` column. */
  readonly source?: string;
  /** The newest version in dbmate's schema_migrations, when the database has that and no history of ours. */
  readonly dbmateVersion?: string;
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
  const table = context.history ?? DEFAULT_HISTORY;
  if (context.historyExists) {
    // An older table (INTEGER versions, no source column) is upgraded in the first step's transaction.
    const shape = { missingColumns: context.historyMissingColumns, narrowVersion: context.historyNarrowVersion === true };
    return needsUpgrade(shape) ? [historyUpgradeSql(shape, table)] : [];
  }
  // Adopted versions are recorded in the same transaction as the first real step, so a failed
  // or restored upgrade leaves the database as untracked as it was found.
  const adoptedBy = `${context.settings.appliedBy} (adopted: found in place, not run)`;
  return [
    historyTableSql(context.dialect, table),
    ...context.adopted.map((migration) => historyStartSql(context.dialect, entryFor(migration, context, adoptedBy), true, null, table)),
  ];
}

function entryFor(migration: Migration, context: PlanContext, appliedBy = context.settings.appliedBy): HistoryEntry {
  return historyEntryFor(migration, appliedBy, context.source ?? null);
}

function checkSupported(migration: Migration, dialect: Dialect): void {
  if (migration.disableForeignKeys && !migration.transactional) {
    throw new UsageError(
      `${migration.fileName}: '-- migrate:disable-foreign-keys' checks foreign keys before a commit, so it needs a transaction — remove it or the transaction:false / no-transaction line`,
      'MIGRATION_FORMAT',
    );
  }
  if (migration.disableForeignKeys && dialect !== 'sqlite') {
    throw new UsageError(`${migration.fileName}: '-- migrate:disable-foreign-keys' is for SQLite only — remove the line`, 'MIGRATION_FORMAT');
  }
}

function transactionStep(migration: Migration, direction: 'up' | 'down', body: string, context: PlanContext, isFirst: boolean): PlanStep {
  const entry = entryFor(migration, context);
  const table = context.history ?? DEFAULT_HISTORY;
  const adopting = isFirst && !context.historyExists && context.adopted.length > 0;
  const sqlite = context.dialect === 'sqlite';
  const begin = sqlite ? 'BEGIN IMMEDIATE;' : 'BEGIN;';
  const lines = [header(migration, direction, ''), begin, ...settingsSql(context, true), ...historyBootstrap(context, isFirst)];
  if (direction === 'up') lines.push(historyStartSql(context.dialect, entry, true, null, table));
  const at = lines.join('\n').length + 1;
  // The section's own text ends where terminated() adds its newline and `;`: a position past it is in tradeledger's lines.
  const section = { at, end: at + body.length, origin: sectionOrigin(migration, direction) };
  if (direction === 'up') {
    lines.push(terminated(body), historyFinishSql(context.dialect, migration.version, table));
  } else {
    lines.push(terminated(body), historyDeleteSql(migration.version, table));
    // The temporary table outlives the commit on this connection: the next step must not inherit the consent.
    if (sqlite && context.allowDataLoss === true) lines.push(`DELETE FROM ${SQLITE_SETTINGS_TABLE};`);
  }
  if (!(sqlite && migration.disableForeignKeys)) {
    // COMMIT is sent on its own: the server runs a message to its end even after the client died,
    // so a runner killed mid-migration must not have sent its COMMIT yet (that would commit behind
    // a rerun's recorded failure); its backend then reads the closed socket and rolls back.
    return {
      migration,
      direction,
      kind: 'transaction',
      chunks: [{ sql: lines.join('\n'), section }, { sql: 'COMMIT;' }],
      cleanup: ['ROLLBACK'],
      entry,
      adopting,
    };
  }
  // Foreign keys can only be switched off outside a transaction; check them before the commit.
  return {
    migration,
    direction,
    kind: 'transaction',
    chunks: [
      { sql: 'PRAGMA foreign_keys = OFF;' },
      { sql: lines.join('\n'), section },
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

/**
 * Whether planning `up` or `down` of this migration on PostgreSQL parses one of its sections (a
 * no-transaction section is split statement by statement; a transactional one is parsed when the
 * transaction check may refuse it), so that the parser is loaded only when a plan needs it.
 */
export function planningParses(migration: Migration): boolean {
  const down = migration.down !== null && !isEmptyDown(migration) ? migration.down : null;
  return (
    parsedWhenPlanned(migration.transactional, migration.up) ||
    (down !== null && parsedWhenPlanned(migration.downTransactional ?? migration.transactional, down))
  );
}

/**
 * Whether the planner parses a PostgreSQL section: a no-transaction one is split statement by
 * statement; a transactional one only when the transaction check may refuse it (mayNeedNoTransaction),
 * else it is sent as written. The one rule planningParses, the planner and assertPlanParses share.
 */
export function parsedWhenPlanned(transactional: boolean, body: string): boolean {
  return !transactional || mayNeedNoTransaction(body);
}

function statementsStep(migration: Migration, direction: 'up' | 'down', body: string, context: PlanContext, isFirst: boolean): PlanStep {
  const entry = entryFor(migration, context);
  const table = context.history ?? DEFAULT_HISTORY;
  const opening = [
    header(migration, direction, ', no transaction: each statement commits on its own'),
    ...settingsSql(context, false),
    ...historyBootstrap(context, isFirst),
  ];
  if (direction === 'up') {
    opening.push(
      historyStartSql(
        context.dialect,
        entry,
        false,
        'in progress: no-transaction migration started; if this row stays, run `migrate up` again to complete it',
        table,
      ),
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
  const closing = direction === 'up' ? historyFinishSql(context.dialect, migration.version, table) : historyDeleteSql(migration.version, table);
  const check = built.length > 0 ? [validIndexesSql(migration.version, built, false)] : [];
  const resets = sessionResets(context);
  chunks.push({ sql: [...check, closing, ...resets.map((reset) => `${reset};`)].join('\n') });
  return { migration, direction, kind: 'statements', chunks, cleanup: resets, entry };
}

/**
 * SQLite without one transaction around the migration: `transaction:false` (each statement commits
 * on its own, as dbmate runs it), or a migration with a statement SQLite refuses or ignores in a
 * transaction (VACUUM, PRAGMA journal_mode = WAL), which then runs alone between transactions that
 * hold the statements around it. The history row says "in progress" until the last one is done.
 */
function sqliteStatementsStep(
  migration: Migration,
  direction: 'up' | 'down',
  body: string,
  context: PlanContext,
  isFirst: boolean,
  transactional: boolean,
): PlanStep {
  const entry = entryFor(migration, context);
  const table = context.history ?? DEFAULT_HISTORY;
  const statements = splitSqliteStatements(body);
  const outside = statements.filter(mustRunOutsideTransaction);
  const note = transactional
    ? `, no single transaction: ${outside.length === 1 ? 'this statement runs' : 'these statements run'} outside one (SQLite ignores or refuses them inside): ${outside.map((statement) => statement.split('\n')[0]).join(' | ')}`
    : ', no transaction: each statement commits on its own';
  const opening = [...historyBootstrap(context, isFirst)];
  if (direction === 'up') {
    opening.push(
      historyStartSql(
        context.dialect,
        entry,
        false,
        'in progress: migration without a transaction started; if this row stays, run `migrate up` again to complete it',
        table,
      ),
    );
  }
  // The history writes that open the step commit together (a kill leaves the table as it was).
  const wrapped = opening.length === 0 ? [] : ['BEGIN IMMEDIATE;', ...opening, 'COMMIT;'];
  const chunks: PlanChunk[] = [{ sql: [header(migration, direction, note), ...wrapped].join('\n') }];
  let group: string[] = [];
  const flush = () => {
    if (group.length > 0) chunks.push({ sql: ['BEGIN IMMEDIATE;', ...group.map(terminated), 'COMMIT;'].join('\n') });
    group = [];
  };
  for (const statement of statements) {
    if (transactional && !mustRunOutsideTransaction(statement)) {
      group.push(statement);
      continue;
    }
    flush();
    chunks.push({ sql: terminated(statement) });
  }
  flush();
  const closing = direction === 'up' ? historyFinishSql(context.dialect, migration.version, table) : historyDeleteSql(migration.version, table);
  chunks.push({ sql: closing });
  return { migration, direction, kind: 'statements', chunks, cleanup: ['ROLLBACK'], entry };
}

function sessionResets(context: PlanContext): string[] {
  if (context.dialect === 'sqlite') return [];
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
    historyRebuildStartSql(migration.version, spelled, context.history ?? DEFAULT_HISTORY),
  ];
  const chunks: PlanChunk[] = [{ sql: opening.join('\n') }];
  for (const statement of statements.values()) {
    const name = spelledIndexName(statement)!;
    chunks.push({ sql: `DROP INDEX CONCURRENTLY IF EXISTS ${name};` }, { sql: statement, buildsIndex: name });
  }
  const resets = sessionResets(context);
  chunks.push({
    sql: [
      validIndexesSql(migration.version, spelled, true),
      historyRebuildDoneSql(migration.version, context.history ?? DEFAULT_HISTORY),
      ...resets.map((reset) => `${reset};`),
    ].join('\n'),
  });
  return {
    migration,
    direction: 'up',
    kind: 'statements',
    chunks,
    cleanup: resets,
    entry: entryFor(migration, context),
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

/** True when a down section holds no SQL (dbmate's template leaves it empty): rolling back runs nothing. */
export function isEmptyDown(migration: Migration): boolean {
  return migration.down !== null && stripComments(migration.down).replace(/;/g, '').trim() === '';
}

/** Rolls back a migration whose down section is empty: its history row goes, nothing else runs. */
function emptyDownStep(migration: Migration, context: PlanContext): PlanStep {
  const sqlite = context.dialect === 'sqlite';
  const lines = [
    header(migration, 'down', ', empty down section: nothing to undo, only its history row goes'),
    sqlite ? 'BEGIN IMMEDIATE;' : 'BEGIN;',
    // Nothing runs that could ask for --allow-data-loss; on SQLite its consent row would outlive the step.
    ...(sqlite ? [] : settingsSql(context, true)),
    historyDeleteSql(migration.version, context.history ?? DEFAULT_HISTORY),
  ];
  return {
    migration,
    direction: 'down',
    kind: 'transaction',
    chunks: [{ sql: lines.join('\n') }, { sql: 'COMMIT;' }],
    cleanup: ['ROLLBACK'],
    entry: entryFor(migration, context),
  };
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
  if (direction === 'down' && isEmptyDown(migration)) return emptyDownStep(migration, context);
  const transactional = direction === 'up' ? migration.transactional : (migration.downTransactional ?? migration.transactional);
  if (context.dialect === 'sqlite' && (!transactional || splitSqliteStatements(body).some(mustRunOutsideTransaction))) {
    if (migration.disableForeignKeys) {
      throw new UsageError(
        `${migration.fileName}: '-- migrate:disable-foreign-keys' checks foreign keys before one commit, but VACUUM, ATTACH, DETACH and PRAGMA journal_mode / foreign_keys run outside a transaction — move them to a migration of their own`,
        'MIGRATION_FORMAT',
      );
    }
    return sqliteStatementsStep(migration, direction, body, context, isFirst, transactional);
  }
  if (transactional && context.dialect === 'postgres' && parsedWhenPlanned(transactional, body)) {
    // Parsed before anything runs: a CONCURRENTLY here would fail only when the server reached it.
    // Without one of the words such a statement needs, the section is sent as written, unparsed.
    const origin = sectionOrigin(migration, direction);
    assertTransactionSafe(parsePostgresScript(body, origin), origin);
  }
  return transactional ? transactionStep(migration, direction, body, context, isFirst) : statementsStep(migration, direction, body, context, isFirst);
}

/** Refuses to build on a history that does not match the source: drift, an unknown or a backwards version. */
export function assertConsistent(status: MigrationStatus, label: string): void {
  if (status.otherSource.length > 0) {
    const first = status.otherSource[0]!;
    const from = describeSource(first.row.source!);
    throw new SafetyError(
      `migration ${first.migration.version} (${first.migration.fileName}) was applied from ${from}, not from ${describeSource(label)}: this database's schema was built by that source, so run this command with ${sourceFlag(first.row.source!)}, or use another database for ${describeSource(label)}`,
      'OTHER_SOURCE',
      status.otherSource.map((d) => `version ${d.migration.version}: applied from ${describeSource(d.row.source!)}`),
    );
  }
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
    const sources = [...new Set(status.unknown.flatMap((row) => (row.source === null || row.source === undefined ? [] : [describeSource(row.source)])))];
    const from = sources.length === 0 ? '' : ` (applied from ${sources.join(', ')})`;
    throw new SafetyError(
      `the database has applied version(s) ${versions}${from} that ${label} does not have: it is ahead of this source; use the source that applied them`,
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

function sourceFlag(label: string): string {
  if (label.startsWith('pack:')) return `--pack ${label.slice(5)}`;
  if (label.startsWith('dir:')) return `--dir ${label.slice(4)}`;
  return label;
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
  if (context.dbmateVersion !== undefined && pending.length > 0) {
    throw new UsageError(
      `this database was migrated by dbmate (schema_migrations, newest version ${context.dbmateVersion}) and has no ${(context.history ?? DEFAULT_HISTORY).name} yet: run 'migrate stamp ${context.dbmateVersion}' to start tradeledger's history there, then 'migrate up'`,
      'DBMATE_HISTORY',
    );
  }
  const steps = pending.map((migration, index) => step(migration, 'up', context, index === 0));
  return {
    direction: 'up',
    from: status.current,
    // The highest version applied, not --to itself: `--to 7` over versions 1, 5, 10 ends at 5.
    to: pending.reduce((max, migration) => Math.max(max, migration.version), status.current),
    // Applied migrations' indexes first: what is recorded as applied should be usable before more is built on it.
    steps: [...rebuildSteps(context, steps), ...steps],
    settings: context.settings,
    ...(context.history === undefined ? {} : { history: context.history }),
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
  const empty = steps.filter((s) => isEmptyDown(s.migration)).map((s) => `${s.migration.version} (${s.migration.fileName})`);
  const warnings =
    empty.length === 0
      ? []
      : [
          `empty '-- migrate:down' section in version${empty.length === 1 ? '' : 's'} ${empty.join(', ')}: rolling back removes only the history row; nothing in the schema is undone`,
        ];
  return {
    direction: 'down',
    from: status.current,
    to: remaining[0] ?? 0,
    steps,
    settings: context.settings,
    ...(context.history === undefined ? {} : { history: context.history }),
    warnings,
  };
}

/** The plan as the exact text the runner sends, chunk after chunk, one newline between. */
export function renderPlan(plan: Pick<Plan, 'steps'>): string {
  return plan.steps.flatMap((s) => s.chunks.map((chunk) => chunk.sql)).join('\n');
}
