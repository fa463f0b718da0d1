import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { withDatabase } from '../db/open.ts';
import { parseDatabaseUrl } from '../db/open.ts';
import { SafetyError, UsageError } from '../errors.ts';
import { restoreBackup } from '../migrate/backup.ts';
import { migrateDown } from '../migrate/down.ts';
import { readHistory } from '../migrate/history.ts';
import { formatFinding, lintMigrations, type LintFinding } from '../migrate/lint.ts';
import { parseAllowUnsafe } from '../migrate/lint-policy.ts';
import { previewUp } from '../migrate/preview.ts';
import { renderPlan, type Plan } from '../migrate/planner.ts';
import type { RunEvent } from '../migrate/run-plan.ts';
import { stampVersion } from '../migrate/stamp.ts';
import { readMigrationState } from '../migrate/state.ts';
import { migrateUp } from '../migrate/up.ts';
import { verifyDatabase } from '../migrate/verify.ts';
import type { Config } from '../config/schema.ts';
import {
  durationArgument,
  integerArgument,
  resolveConfig,
  resolveSettings,
  resolveSource,
  resolveUrl,
  withDatabaseFlags,
  withRunnerFlags,
  withSourceFlags,
  type DatabaseFlags,
  type RunnerFlags,
  type SourceFlags,
} from './context.ts';
import { json, table } from './format.ts';
import { addDbmateCommands, waitIfAsked, withTable, withTableFlag, withWaitFlags, type DbmateFlags } from './migrate-dbmate.ts';
import { describeSource } from '../migrate/status.ts';
import type { CliIo } from './io.ts';

// Read-only commands never create a database: a missing file or folder is exit 2.
/** How read-only commands open: never creating a database; on PGlite waiting for a running command as long as --lock-wait says. */
function readOnly(config: Config): { readonly mustExist: true; readonly lockWaitMs: number } {
  return { mustExist: true, lockWaitMs: config.database.migration.lock_wait };
}

type Flags = DatabaseFlags &
  DbmateFlags &
  SourceFlags &
  RunnerFlags & {
    readonly to?: number;
    readonly steps?: number;
    readonly allowUnsafe?: boolean | string;
    readonly allowDataLoss?: boolean;
    readonly yes?: boolean;
  };

const version = (value: string) => integerArgument(value, undefined, 'version');

function progress(io: CliIo) {
  return (event: RunEvent) => {
    const id = `${String(event.step.migration.version).padStart(3, '0')} ${event.step.migration.description}`;
    const doing =
      event.step.rebuild !== undefined ? `rebuilding index ${event.step.rebuild.join(', ')} of` : event.step.direction === 'up' ? 'applying' : 'reverting';
    if (event.type === 'step-start') io.err(`${doing} ${id} …`);
    if (event.type === 'retry')
      io.err(
        `  lock timeout on ${id} (try ${event.attempt}): ${event.reason}; retrying in ${event.delayMs} ms${event.blockers === '' ? '' : ` — ${event.blockers}`}`,
      );
    if (event.type === 'step-done') io.err(`  done in ${event.elapsedMs} ms${event.attempts > 1 ? ` after ${event.attempts} tries` : ''}`);
  };
}

function confirmer(io: CliIo, config: Config, flags: Flags): ((plan: Plan) => Promise<boolean>) | undefined {
  if (!config.database.migration.require_confirmation || flags.yes === true) return undefined;
  return async (plan) => {
    if (!io.interactive) {
      throw new SafetyError('migration.require_confirmation is on and there is no terminal to ask: pass --yes to confirm', 'NOT_CONFIRMED');
    }
    const versions = plan.steps.map((step) => step.migration.version).join(', ');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${plan.direction} ${plan.steps.length} migration(s) (${versions}), version ${plan.from} → ${plan.to}? [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}

/** `warning: file:line rule: …` for a warning, `blocks: …` (or `allowed by --allow-unsafe: …`) for a blocking finding. */
function findingLine(finding: LintFinding, allowed: boolean): string {
  const label = finding.severity === 'warning' ? 'warning' : allowed ? 'allowed by --allow-unsafe' : 'blocks';
  return `${label}: ${formatFinding(finding)}`;
}

async function status(io: CliIo, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  const source = await resolveSource(flags, config);
  await waitIfAsked(io, config, flags);
  await withDatabase(
    resolveUrl(config),
    async (db) => {
      const state = await readMigrationState(db, source, withTable(resolveSettings(config), flags).plan);
      const s = state.status;
      const applied = new Map(s.applied.map((row) => [row.version, row]));
      const failed = new Map(s.failed.map((row) => [row.version, row]));
      const drifted = new Set(s.drifted.map((d) => d.migration.version));
      const otherSource = new Map(s.otherSource.map((d) => [d.migration.version, d.row.source!]));
      const rows = source.migrations.map((m) => {
        const row = applied.get(m.version) ?? failed.get(m.version);
        const other = otherSource.get(m.version);
        const stateName =
          other !== undefined
            ? `applied from ${describeSource(other)}`
            : drifted.has(m.version)
              ? 'drifted'
              : applied.has(m.version)
                ? 'applied'
                : failed.has(m.version)
                  ? 'failed'
                  : 'pending';
        return {
          version: m.version,
          description: m.description,
          state: stateName,
          appliedAt: row?.appliedAt ?? null,
          error: failed.get(m.version)?.errorMessage ?? null,
        };
      });
      for (const row of s.unknown) rows.push({ version: row.version, description: row.description, state: 'unknown', appliedAt: row.appliedAt, error: null });
      if (flags.json === true) {
        io.out(
          json({
            database: db.url,
            source: source.label,
            current: s.current,
            latest: s.latest,
            pending: s.pending.map((m) => m.version),
            failed: s.failed.map((r) => r.version),
            drifted: [...drifted],
            otherSource: s.otherSource.map((d) => ({ version: d.migration.version, source: d.row.source })),
            unknown: s.unknown.map((r) => r.version),
            rebuild: state.rebuilds.map((r) => ({ version: r.migration.version, file: r.migration.fileName, index: r.index, state: r.state })),
            migrations: rows,
          }),
        );
      } else {
        io.out(`${db.url} — ${source.label} — version ${s.current} of ${s.latest}, ${s.pending.length} pending`);
        io.out(
          table(
            ['version', 'description', 'state', 'applied_at', 'error'],
            rows.map((r) => [r.version, r.description, r.state, r.appliedAt, r.error]),
          ),
        );
        if (state.context.dbmateVersion !== undefined) {
          io.out(
            `this database was migrated by dbmate (schema_migrations, newest version ${state.context.dbmateVersion}): run 'migrate stamp ${state.context.dbmateVersion}' before 'migrate up'`,
          );
        }
        for (const r of state.rebuilds) {
          const why =
            r.state === 'invalid'
              ? 'invalid (pg_index.indisvalid = false: a CREATE INDEX CONCURRENTLY that did not finish)'
              : 'missing (a rebuild dropped it and did not finish)';
          io.out(`index ${r.index} of migration ${r.migration.version} (${r.migration.fileName}) is ${why}: \`migrate up\` rebuilds it concurrently`);
        }
      }
      if (s.drifted.length > 0 || s.otherSource.length > 0 || s.failed.length > 0 || s.unknown.length > 0 || state.rebuilds.length > 0) io.exitCode = 1;
    },
    readOnly(config),
  );
}

async function plan(io: CliIo, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  const source = await resolveSource(flags, config);
  await waitIfAsked(io, config, flags);
  await withDatabase(
    resolveUrl(config),
    async (db) => {
      const { plan: p, repairs } = await previewUp(db, source, withTable(resolveSettings(config), flags), { to: flags.to, allowDataLoss: flags.allowDataLoss });
      if (flags.json === true) {
        io.out(
          json({
            from: p.from,
            to: p.to,
            steps: p.steps.map((s) => ({
              version: s.migration.version,
              file: s.migration.fileName,
              kind: s.kind,
              ...(s.rebuild === undefined ? {} : { rebuild: s.rebuild }),
              sql: s.chunks.map((c) => c.sql),
            })),
            ...(repairs.length === 0 ? {} : { repairs: repairs.map((r) => ({ version: p.to, description: r.description, sql: r.sql })) }),
          }),
        );
      } else if (repairs.length > 0) {
        io.out(repairs.map((r) => `-- repair at version ${p.to} (recorded in schema_repairs): ${r.description}\n${r.sql}`).join('\n'));
      } else if (p.steps.length === 0) {
        io.err(`nothing to apply: ${db.url} is at version ${p.from}`);
      } else {
        io.out(renderPlan(p));
      }
    },
    readOnly(config),
  );
}

async function up(io: CliIo, flags: Flags): Promise<void> {
  const allowUnsafe = parseAllowUnsafe(flags.allowUnsafe);
  const config = resolveConfig(flags);
  const source = await resolveSource(flags, config);
  await waitIfAsked(io, config, flags);
  await withDatabase(
    resolveUrl(config),
    async (db) => {
      const result = await migrateUp(db, source, withTable(resolveSettings(config), flags), {
        to: flags.to,
        allowUnsafe,
        allowDataLoss: flags.allowDataLoss === true,
        confirm: confirmer(io, config, flags),
        onEvent: progress(io),
        // Printed before the first migration runs, so that they are seen even if one fails.
        onLint: (findings) => {
          for (const finding of findings) io.err(findingLine(finding, true));
        },
      });
      if (flags.json === true) return io.out(json(result));
      if (result.backup !== null) io.out(`backup: ${result.backup}`);
      for (const step of result.repaired) io.out(`repaired at version ${step.version}: ${step.description} (recorded in schema_repairs)`);
      for (const step of result.rebuilt) io.out(`rebuilt index ${step.rebuilt!.join(', ')} of migration ${step.version} (${step.fileName})`);
      io.out(
        result.applied.length === 0
          ? result.rebuilt.length > 0 || result.repaired.length > 0
            ? `${db.url} is at version ${result.from}; nothing else to apply`
            : `${db.url} is up to date at version ${result.from}`
          : `${db.url}: version ${result.from} → ${result.to} (${result.applied.length} applied)`,
      );
      if (result.verify !== null) io.out(`verified: ${result.verify.checks.map((c) => c.name).join(', ')}`);
    },
    { lockWaitMs: config.database.migration.lock_wait, lockAhead: true },
  );
}

async function down(io: CliIo, flags: Flags): Promise<void> {
  if (flags.steps !== undefined && flags.to !== undefined) throw new UsageError('give either --steps or --to, not both', 'BAD_TARGET');
  const config = resolveConfig(flags);
  const source = await resolveSource(flags, config);
  await waitIfAsked(io, config, flags);
  await withDatabase(
    resolveUrl(config),
    async (db) => {
      const result = await migrateDown(db, source, withTable(resolveSettings(config), flags), {
        ...(flags.to === undefined ? {} : { to: flags.to }),
        ...(flags.steps === undefined ? {} : { steps: flags.steps }),
        allowDataLoss: flags.allowDataLoss === true,
        confirm: confirmer(io, config, flags),
        onEvent: progress(io),
      });
      for (const warning of result.warnings ?? []) io.err(`warning: ${warning}`);
      if (flags.json === true) return io.out(json(result));
      if (result.backup !== null) io.out(`backup: ${result.backup}`);
      io.out(
        result.reverted.length === 0
          ? `nothing to roll back: ${db.url} is at version ${result.from}`
          : `${db.url}: version ${result.from} → ${result.to} (${result.reverted.length} rolled back)`,
      );
    },
    { lockWaitMs: config.database.migration.lock_wait },
  );
}

async function stamp(io: CliIo, target: number, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  const source = await resolveSource(flags, config);
  await waitIfAsked(io, config, flags);
  await withDatabase(
    resolveUrl(config),
    async (db) => {
      const result = await stampVersion(db, source, withTable(resolveSettings(config), flags), target);
      if (flags.json === true) return io.out(json(result));
      io.out(
        `${db.url}: stamped at version ${result.to} (was ${result.from}); marked ${result.marked.join(', ') || 'none'}, unmarked ${result.unmarked.join(', ') || 'none'}; no migration SQL was run`,
      );
    },
    { lockWaitMs: config.database.migration.lock_wait },
  );
}

async function history(io: CliIo, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  await withDatabase(
    resolveUrl(config),
    async (db) => {
      const h = await readHistory(db, config.database.migrations_table);
      if (flags.json === true) return io.out(json(h.rows));
      if (!h.exists) return io.out(`${db.url} has no ${h.table.name} table: no migration has been applied`);
      io.out(
        table(
          ['version', 'description', 'success', 'applied_at', 'ms', 'applied_by', 'source', 'error'],
          h.rows.map((r) => [
            r.version,
            r.description,
            r.success ? 'yes' : 'no',
            r.appliedAt,
            r.executionTimeMs,
            r.appliedBy,
            r.source ?? null,
            r.errorMessage,
          ]),
        ),
      );
    },
    readOnly(config),
  );
}

async function verify(io: CliIo, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  const source = await resolveSource(flags, config);
  await waitIfAsked(io, config, flags);
  await withDatabase(
    resolveUrl(config),
    async (db) => {
      const report = await verifyDatabase(db, source, resolveSettings(config).packOptions, config.database.migrations_table);
      if (flags.json === true) io.out(json(report));
      else
        io.out(
          table(
            ['check', 'result', 'detail'],
            report.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail]),
          ),
        );
      if (!report.ok) io.exitCode = 1;
    },
    readOnly(config),
  );
}

async function lint(io: CliIo, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  const source = await resolveSource(flags, config);
  if (source.dialects !== undefined && !source.dialects.includes('postgres'))
    throw new UsageError(`${source.label} is SQLite: migrate lint lints PostgreSQL migrations only (squawk)`, 'LINT_DIALECT');
  const database = parseDatabaseUrl(resolveUrl(config));
  if (database.kind === 'sqlite')
    throw new UsageError(
      `${database.display} is SQLite: migrate lint lints PostgreSQL migrations only (squawk knows no SQLite); pass a postgres:// or pglite: --db to lint these files as PostgreSQL`,
      'LINT_DIALECT',
    );
  // Each file on its own: in CI the earlier files were applied long ago, and `up` would find their tables busy.
  const findings = await lintMigrations(source.migrations, { oneRun: false });
  const blocking = findings.filter((finding) => finding.severity === 'blocking').length;
  if (flags.json === true) io.out(json(findings));
  else if (findings.length === 0) io.out(`squawk: no findings in ${source.migrations.length} migration(s)`);
  else {
    io.out(findings.map((finding) => findingLine(finding, false)).join('\n'));
    io.out(`squawk: ${blocking} blocking finding(s), ${findings.length - blocking} warning(s) in ${source.migrations.length} migration(s)`);
  }
  // Warnings are for reading; only what would stop `up` fails the check.
  if (blocking > 0) io.exitCode = 1;
}

async function restore(io: CliIo, backupPath: string, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  const parsed = parseDatabaseUrl(resolveUrl(config));
  if (parsed.kind !== 'sqlite' || parsed.target === ':memory:')
    throw new UsageError(`migrate restore works on SQLite files; ${parsed.display} is not one — pass --db sqlite:<file>`, 'RESTORE_DIALECT');
  const result = await restoreBackup(parsed.target, backupPath, new Date(), config.database.migration.lock_wait);
  if (flags.json === true) return io.out(json(result));
  io.out(
    `restored ${parsed.display} from ${result.restoredFrom}${result.failedCopy === null ? '' : `; the replaced file is ${result.failedCopy}`}; integrity_check: ${result.integrity}`,
  );
  if (result.integrity !== 'ok') io.exitCode = 1;
}

/** `tradeledger migrate …`: the migration engine's commands. */
export function migrateCommand(io: CliIo): Command {
  const migrate = new Command('migrate').description(
    'versioned schema migrations: status, plan, up, down, stamp, history, verify, lint, restore, new, wait, dump',
  );
  const sourced = (name: string, description: string) =>
    withWaitFlags(withTableFlag(withSourceFlags(withDatabaseFlags(migrate.command(name).description(description)))));

  const lockWait = (command: Command) =>
    command.option('--lock-wait <duration>', 'PGlite: how long to wait for a running migration (default 30s)', durationArgument);
  lockWait(sourced('status', 'current version, pending, failed and drifted migrations (exit 1 on drift or failure)')).action((flags: Flags) =>
    status(io, flags),
  );
  lockWait(sourced('plan', 'print exactly the SQL `up` would run, session settings included'))
    .option('--to <version>', 'stop at this version', version)
    .option('--allow-data-loss', 'show the repairs `up --allow-data-loss` would run')
    .action((flags: Flags) => plan(io, flags));
  withRunnerFlags(sourced('up', 'apply pending migrations'))
    .option('--to <version>', 'stop at this version', version)
    .option('--allow-unsafe [rules]', "apply migrations that squawk's blocking rules flag: all of them, or only RULE[,RULE]")
    .option('--allow-data-loss', 'let a repair drop what the configuration turned off (risk-state: daily_unrealized_pnl once track_unrealized_pnl is false)')
    .option('--yes', 'do not ask for confirmation')
    .action((flags: Flags) => up(io, flags));
  withRunnerFlags(sourced('down', 'roll back applied migrations (default: the last one)'))
    .option('--steps <n>', 'how many to roll back', (value) => integerArgument(value, undefined, 'of steps'))
    .option('--to <version>', 'roll back to this version', version)
    .option('--allow-data-loss', "let a down section drop rows it keeps by default (sets tradeledger.allow_data_loss = 'on')")
    .option('--yes', 'do not ask for confirmation')
    .action((flags: Flags) => down(io, flags));
  sourced('stamp', 'mark the database as being at <version> without running anything')
    .argument('<version>', 'the version to record', version)
    .option('--lock-wait <duration>', 'how long to wait for another runner (default 30s)', durationArgument)
    .action((target: number, flags: Flags) => stamp(io, target, flags));
  lockWait(withTableFlag(withDatabaseFlags(migrate.command('history').description('every row of schema_version')))).action((flags: Flags) =>
    history(io, flags),
  );
  lockWait(sourced('verify', "the pack's checks, the history, and PRAGMA integrity_check on SQLite (exit 1 on failure)")).action((flags: Flags) =>
    verify(io, flags),
  );
  withSourceFlags(
    withDatabaseFlags(migrate.command('lint').description('run squawk on PostgreSQL migrations (exit 1 on findings that would block up)')),
  ).action((flags: Flags) => lint(io, flags));
  withDatabaseFlags(migrate.command('restore').description('SQLite: put a backup in place; the current file becomes <name>.failed_v<N>_<UTC ts>'))
    .argument('<backup>', 'the backup file')
    .option('--lock-wait <duration>', 'how long to wait for another runner (default 30s)', durationArgument)
    .action((backupPath: string, flags: Flags) => restore(io, backupPath, flags));
  addDbmateCommands(migrate, io);
  return migrate;
}
