import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/schema.ts';
import { CheckFailedError } from '../errors.ts';
import { packNames } from '../packs/registry.ts';
import { startDaemon } from '../service/daemon.ts';
import { openLogFile } from '../service/log-file.ts';
import { daemonLogger, type DaemonLogger } from '../service/logger.ts';
import { smokeCheck } from '../service/smoke-check.ts';
import { durationArgument, integerArgument, resolveConfig, resolveUrl, withDatabaseFlags, type DatabaseFlags } from './context.ts';
import type { CliIo } from './io.ts';

type Flags = DatabaseFlags & {
  readonly pack?: string;
  readonly host?: string;
  readonly port?: number;
  readonly interval?: number;
  readonly wait?: number;
  readonly check?: boolean;
  readonly logFile?: string;
};

function portArgument(value: string): number {
  const port = integerArgument(value, undefined, 'port');
  if (port > 65535) throw new InvalidArgumentError(`'${value}' is not a port: use 0 to 65535 (0 picks a free one)`);
  return port;
}

function intervalArgument(value: string): number {
  const ms = durationArgument(value);
  if (ms <= 0) throw new InvalidArgumentError(`'${value}' is not an interval: use a duration above 0, e.g. 60s`);
  return ms;
}

/** Configuration with the serve flags applied over file and environment. */
function serveConfig(flags: Flags): Config {
  const config = resolveConfig(flags);
  const serve = { ...config.serve };
  if (flags.pack !== undefined) serve.pack = flags.pack;
  if (flags.host !== undefined) serve.host = flags.host;
  if (flags.port !== undefined) serve.port = flags.port;
  if (flags.interval !== undefined) serve.interval = flags.interval;
  if (flags.wait !== undefined) serve.wait = flags.wait;
  return { ...config, serve };
}

/** Resolves with the first SIGTERM or SIGINT; a second one gets Node's default (the process ends at once). */
function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** `tradeledger serve`: the daemon (schema check at start-up, HTTP status and admin routes, reconciliation cycles). */
export function serveCommand(io: CliIo): Command {
  return withDatabaseFlags(new Command('serve'), false)
    .description('run the daemon: check the schema at start-up, serve trading status, health, metrics and the audit over HTTP, and reconcile every --interval')
    .option(
      '--pack <name>',
      `the pack whose schema it checks (${packNames().join(', ')}; default: serve.pack, migrations.pack, else bot-ledger on PostgreSQL and risk-state on SQLite)`,
    )
    .option('--host <address>', 'the address to listen on (default 127.0.0.1)')
    .option('--port <n>', 'the port to listen on; 0 picks a free one (default 8080)', portArgument)
    .option('--interval <duration>', 'time from the end of one reconciliation cycle to the start of the next (default 60s)', intervalArgument)
    .option(
      '--wait <duration>',
      'wait up to this long for the database to accept connections, retrying with backoff (default 0: give up at once)',
      durationArgument,
    )
    .option('--check', 'start, verify the schema, ask /healthz, run the sample queries, stop: a smoke test after a migration (exit 1 if a check fails)')
    .option('--log-file <path>', 'also append the log lines to this file, e.g. logs/daemon.log (created 0600)')
    .action(async (flags: Flags) => {
      const config = serveConfig(flags);
      const file = flags.logFile === undefined ? undefined : openLogFile(flags.logFile);
      const log = daemonLogger({
        write: (line: string) => {
          io.out(line);
          file?.write(line);
        },
      });
      try {
        if (flags.check === true) return await check(io, config, log);
        await serve(config, log);
      } finally {
        file?.close();
      }
    });
}

/** `serve --check`: the smoke test, one line per check on stderr. */
async function check(io: CliIo, config: Config, log: DaemonLogger): Promise<void> {
  const report = await smokeCheck(config, resolveUrl(config), log);
  for (const item of report.checks) io.err(`${item.ok ? 'ok    ' : 'FAILED'} ${item.name}: ${item.detail}`);
  if (!report.ok) {
    const failed = report.checks.filter((item) => !item.ok).map((item) => `${item.name}: ${item.detail}`);
    throw new CheckFailedError(`serve --check failed: ${failed.join('; ')}`, 'SMOKE_FAILED', failed);
  }
}

/** Runs the daemon until SIGTERM or SIGINT. */
async function serve(config: Config, log: DaemonLogger): Promise<void> {
  const daemon = await startDaemon({ config, url: resolveUrl(config), log });
  const signal = await nextSignal();
  const { clean } = await daemon.stop(signal);
  if (!clean) {
    throw new CheckFailedError(
      `the running reconciliation cycle did not finish within ${daemon.settings.shutdownGraceMs} ms of ${signal}; it commits or rolls back as a whole`,
      'SHUTDOWN_TIMEOUT',
    );
  }
}
