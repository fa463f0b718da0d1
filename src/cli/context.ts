import { InvalidArgumentError, type Command } from 'commander';
import { databaseUrl, loadConfig } from '../config/load.ts';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from '../config/duration.ts';
import type { Config } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { engineSettings, type EngineSettings } from '../migrate/settings.ts';
import { directorySource, type MigrationSource } from '../migrate/source.ts';
import { packNames, packSource } from '../packs/registry.ts';
import type { ShortTransactionSettings } from '../lifecycle/short-transaction.ts';

/** Options every database command takes. */
export interface DatabaseFlags {
  readonly db?: string;
  readonly config?: string;
  readonly json?: boolean;
}

/** Options of commands that read migrations. */
export interface SourceFlags {
  readonly pack?: string;
  readonly dir?: string;
}

/** Options that tune the migration runner. */
export interface RunnerFlags {
  readonly lockWait?: number;
  readonly lockTimeout?: number;
  readonly statementTimeout?: number;
  readonly retries?: number;
  readonly backup?: boolean;
}

/** A whole number argument (a version, a count); anything else is a usage error. */
export function integerArgument(value: string, previous?: unknown, what = 'value'): number {
  void previous;
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not a whole number ${what}`);
  return Number(value);
}

/** A duration argument (`500ms`, `2s`, `5m`; a bare number is seconds). */
export function durationArgument(value: string): number {
  const ms = parseDuration(value);
  if (ms === null) throw new InvalidArgumentError(`'${value}' is not a duration: use e.g. 500ms, 2s or 5m`);
  if (ms > MAX_DURATION_MS) throw new InvalidArgumentError(`'${value}' is too long: use a duration ${MAX_DURATION_TEXT}`);
  return ms;
}

/** Adds --db, --config and --json. */
export function withDatabaseFlags(command: Command, json = true): Command {
  command
    .option(
      '--db <url>',
      'database URL: pglite:<dir>, postgres://… or sqlite:<file> (default: DATABASE_URL, tradeledger.yaml, then pglite:.tradeledger/pglite)',
    )
    .option('--config <path>', 'configuration file (default: TRADELEDGER_CONFIG, then ./tradeledger.yaml)');
  if (json) command.option('--json', 'print the result as JSON');
  return command;
}

/** Adds --pack and --dir. */
export function withSourceFlags(command: Command): Command {
  return command
    .option('--pack <name>', `a built-in migration pack${packNames().length > 0 ? ` (${packNames().join(', ')})` : ''}`)
    .option('--dir <path>', 'a folder of NNN_description.sql migrations');
}

/** Adds the runner's lock and retry flags. */
export function withRunnerFlags(command: Command): Command {
  return command
    .option('--lock-wait <duration>', 'how long to wait for another runner to finish (default 30s)', durationArgument)
    .option('--lock-timeout <duration>', 'lock_timeout set before each migration (default 2s)', durationArgument)
    .option('--statement-timeout <duration>', 'statement_timeout set before each migration (default 10m)', durationArgument)
    .option('--retries <n>', 'tries for a migration that hits lock_timeout (default 5)', (value) => integerArgument(value, undefined, 'of tries'))
    .option('--no-backup', 'SQLite: skip the backup taken before migrating');
}

/** Configuration with flags applied over file and environment (--migrations-table over database.migrations_table). */
export function resolveConfig(flags: DatabaseFlags & RunnerFlags & { readonly migrationsTable?: string }): Config {
  const { config } = loadConfig({ configPath: flags.config });
  const migration = { ...config.database.migration };
  if (flags.lockWait !== undefined) migration.lock_wait = flags.lockWait;
  if (flags.lockTimeout !== undefined) migration.lock_timeout = flags.lockTimeout;
  if (flags.statementTimeout !== undefined) migration.statement_timeout = flags.statementTimeout;
  if (flags.retries !== undefined) migration.retries = flags.retries;
  if (flags.backup === false) migration.create_backup = false;
  const table = flags.migrationsTable === undefined ? {} : { migrations_table: flags.migrationsTable };
  return { ...config, database: { ...config.database, migration, ...table, ...(flags.db === undefined ? {} : { url: flags.db }) } };
}

/** The database URL a command uses. */
export function resolveUrl(config: Config): string {
  return databaseUrl(config);
}

/** The engine settings a command uses. */
export function resolveSettings(config: Config): EngineSettings {
  return engineSettings(config);
}

/** Lock timeout and retries for data jobs (backfill, tighten, reconciliation), from the migration settings. */
export function resolveJobSettings(config: Config): ShortTransactionSettings {
  const migration = config.database.migration;
  return { lockTimeoutMs: migration.lock_timeout, retry: { tries: migration.retries, baseDelayMs: migration.retry_delay } };
}

/** The migration source: --pack or --dir, else tradeledger.yaml's `migrations:`. */
export async function resolveSource(flags: SourceFlags, config: Config): Promise<MigrationSource> {
  if (flags.pack !== undefined && flags.dir !== undefined) throw new UsageError('give either --pack or --dir, not both', 'SOURCE');
  const pack = flags.pack ?? (flags.dir === undefined ? config.migrations.pack : undefined);
  const dir = flags.dir ?? (flags.pack === undefined ? config.migrations.dir : undefined);
  if (pack !== undefined) return packSource(pack, { ...config.migrations.options, track_unrealized_pnl: config.database.track_unrealized_pnl });
  if (dir !== undefined) return directorySource(dir);
  throw new UsageError('no migrations named: pass --pack NAME or --dir PATH (or set migrations.pack / migrations.dir in tradeledger.yaml)', 'SOURCE');
}
