import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withDatabase } from '../db/open.ts';
import { errorMessage, UsageError } from '../errors.ts';
import { parseHistoryTableName } from '../migrate/history.ts';
import { dumpSchema } from '../migrate/dump.ts';
import { createMigrationFile } from '../migrate/new-file.ts';
import type { EngineSettings } from '../migrate/settings.ts';
import { waitForDatabase } from '../migrate/wait.ts';
import type { Config } from '../config/schema.ts';
import { durationArgument, resolveConfig, resolveUrl, withDatabaseFlags, type DatabaseFlags } from './context.ts';
import { json } from './format.ts';
import type { CliIo } from './io.ts';

/** The flags this file adds: dbmate's --migrations-table, --wait and --wait-timeout. */
export interface DbmateFlags {
  readonly migrationsTable?: string;
  readonly wait?: boolean;
  readonly waitTimeout?: number;
}

const DEFAULT_WAIT_MS = 60_000;

function tableArgument(value: string): string {
  parseHistoryTableName(value);
  return value;
}

/** Adds --migrations-table (the history table's name). */
export function withTableFlag(command: Command): Command {
  return command.option('--migrations-table <name>', 'the history table: NAME or SCHEMA.NAME (default schema_version)', tableArgument);
}

/** Adds --wait and --wait-timeout: wait for the database to accept connections before the command. */
export function withWaitFlags(command: Command): Command {
  return command
    .option('--wait', 'wait for the database to accept connections first (as `migrate wait`)')
    .option('--wait-timeout <duration>', 'how long --wait and `migrate wait` wait (default 60s)', durationArgument);
}

/** Engine settings with --migrations-table applied. */
export function withTable(settings: EngineSettings, flags: DbmateFlags): EngineSettings {
  return flags.migrationsTable === undefined ? settings : { ...settings, plan: { ...settings.plan, historyTable: flags.migrationsTable } };
}

async function waitFor(io: CliIo, url: string, flags: DbmateFlags): Promise<number> {
  const { attempts } = await waitForDatabase(url, {
    timeoutMs: flags.waitTimeout ?? DEFAULT_WAIT_MS,
    onRetry: (attempt, reason) => {
      if (attempt === 1) io.err(`waiting for the database: ${reason}`);
    },
  });
  return attempts;
}

/** With --wait: waits for the configured database before the command opens it. */
export async function waitIfAsked(io: CliIo, config: Config, flags: DbmateFlags): Promise<void> {
  if (flags.wait === true) await waitFor(io, resolveUrl(config), flags);
}

/** `migrate new`, `migrate wait` and `migrate dump`, added to the `migrate` command. */
export function addDbmateCommands(migrate: Command, io: CliIo): void {
  migrate
    .command('new')
    .description("write an empty migration into --dir, named in the folder's style (timestamp or next number)")
    .argument('<name>', 'what the migration does, e.g. create_orders')
    .requiredOption('--dir <path>', 'the migrations folder (created when missing)')
    .option('--json', 'print the result as JSON')
    .action((name: string, flags: { dir: string; json?: boolean }) => {
      const created = createMigrationFile(flags.dir, name);
      if (flags.json === true) return io.out(json(created));
      io.out(`${created.path}: write the SQL under '-- migrate:up' (and what undoes it under '-- migrate:down')`);
    });
  withWaitFlags(withDatabaseFlags(migrate.command('wait').description('wait until the database accepts connections (exit 1 at --wait-timeout)'))).action(
    async (flags: DatabaseFlags & DbmateFlags) => {
      const config = resolveConfig(flags);
      const url = resolveUrl(config);
      const attempts = await waitFor(io, url, flags);
      if (flags.json === true) return io.out(json({ ready: true, attempts }));
      io.out(attempts === 0 ? `${url.split(':')[0]} database: nothing to wait for` : `database is ready (${attempts} ${attempts === 1 ? 'try' : 'tries'})`);
    },
  );
  withWaitFlags(
    withTableFlag(
      withDatabaseFlags(migrate.command('dump').description('print the schema as SQL, with the history rows (pg_dump, PGlite pg_dump, SQLite)'), false),
    ),
  )
    .option('--out <file>', 'write the dump to this file instead of standard output')
    .option('--lock-wait <duration>', 'PGlite: how long to wait for a running migration (default 30s)', durationArgument)
    .action(async (flags: DatabaseFlags & DbmateFlags & { out?: string; lockWait?: number }) => {
      const config = resolveConfig(flags);
      await waitIfAsked(io, config, flags);
      const url = resolveUrl(config);
      await withDatabase(
        url,
        async (db) => {
          const dump = await dumpSchema(db, url, config.database.migrations_table);
          if (flags.out === undefined) return io.out(dump.sql);
          if (flags.out.trim() === '') throw new UsageError('--out needs a file name', 'BAD_OUT');
          try {
            writeFileSync(flags.out, dump.sql);
          } catch (error) {
            throw new UsageError(
              `--out '${flags.out}' cannot be written (${errorMessage(error)}): give a file in a folder that exists and you may write to`,
              'BAD_OUT',
            );
          }
          io.err(`wrote ${flags.out} (${dump.method})`);
        },
        // Read-only: a missing database is refused, never created; on PGlite it waits as --lock-wait says.
        { mustExist: true, lockWaitMs: config.database.migration.lock_wait },
      );
    });
}
