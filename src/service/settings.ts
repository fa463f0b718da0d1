import type { Config } from '../config/schema.ts';
import { parseDatabaseUrl } from '../db/open.ts';
import { envValue } from '../config/secrets.ts';
import { UsageError } from '../errors.ts';
import { isLoopback } from './access.ts';

/** The environment variable holding the admin token for the pause, resume and enforcement routes. */
export const ADMIN_TOKEN_VARIABLE = 'TRADELEDGER_ADMIN_TOKEN';

/** The environment variable holding the read token: every read route, no write route. */
export const READ_TOKEN_VARIABLE = 'TRADELEDGER_READ_TOKEN';

// Short tokens can be guessed by anyone who can reach the port.
const MIN_TOKEN_LENGTH = 16;

/** What the daemon runs with, resolved from configuration, environment and flags. */
export interface ServeSettings {
  readonly url: string;
  /** The built-in pack whose schema the daemon checks and whose features it serves. */
  readonly pack: string;
  readonly host: string;
  readonly port: number;
  readonly intervalMs: number;
  /** 0: no lifecycle report for the anomaly metrics. */
  readonly anomalyIntervalMs: number;
  readonly shutdownGraceMs: number;
  /** How long start-up waits for the database to accept connections; 0: not at all. */
  readonly waitMs: number;
  /** Null: the admin routes are not registered. */
  readonly adminToken: string | null;
  /** Opens the read routes (not the admin ones); null when unset. */
  readonly readToken: string | null;
  /**
   * True when every route but /healthz and /metrics needs a token (the read or the admin one):
   * when the daemon listens beyond loopback, or a read token is set.
   */
  readonly readsNeedToken: boolean;
}

/**
 * The daemon serves the built-in packs' schemas only. A freqtrade ledger is written by the bot
 * itself, and its reconciliation is a stop-the-bot runbook (a daemon's cycles would write beside a
 * running bot); a custom mapping is read through views made per run. Either configured means the
 * operator expects `serve` to work on that ledger, so say so before anything is opened (without this,
 * serve checked the file against risk-state and named tables the operator never had).
 */
function refuseForeignLedger(config: Config): void {
  if (config.ledger === 'bot-ledger') return;
  const runbook =
    config.ledger === 'freqtrade'
      ? 'freqtrade is reconciled with the bot stopped: run `tradeledger recon plan|apply --ledger freqtrade` (README, Using tradeledger with freqtrade)'
      : 'a custom ledger is read per run: use `tradeledger lifecycle report` and `tradeledger recon …`';
  throw new UsageError(
    `tradeledger serve does not serve ledger: ${config.ledger} (it serves the built-in packs); ${runbook}, or drop ledger: from the configuration serve reads`,
    'LEDGER_NOT_SERVED',
  );
}

/**
 * The pack a daemon serves: `serve.pack`, else `migrations.pack`, else the pack its database
 * family holds (bot-ledger on PostgreSQL and PGlite, risk-state on SQLite). One pack, because a
 * database has one `schema_version` history.
 */
export function servedPack(config: Config, url: string): string {
  return config.serve.pack ?? config.migrations.pack ?? (parseDatabaseUrl(url).kind === 'sqlite' ? 'risk-state' : 'bot-ledger');
}

function token(variable: string, env: NodeJS.ProcessEnv): string | null {
  const found = envValue(env, variable);
  const value = found?.value.trim();
  if (found === undefined || value === undefined || value === '') return null;
  if (value.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `${found.from} is ${value.length} characters long: use at least ${MIN_TOKEN_LENGTH}, e.g. the output of 'openssl rand -hex 32'`,
      'BAD_ENV',
    );
  }
  return value;
}

/** The admin token from the environment (or the file TRADELEDGER_ADMIN_TOKEN_FILE names); unset or empty is null, a short one is refused. */
export function adminToken(env: NodeJS.ProcessEnv = process.env): string | null {
  return token(ADMIN_TOKEN_VARIABLE, env);
}

/** The read token from the environment (or TRADELEDGER_READ_TOKEN_FILE); one equal to the admin token is refused. */
export function readToken(env: NodeJS.ProcessEnv = process.env): string | null {
  const read = token(READ_TOKEN_VARIABLE, env);
  if (read !== null && read === adminToken(env)) {
    throw new UsageError(
      `${READ_TOKEN_VARIABLE} equals ${ADMIN_TOKEN_VARIABLE}: a read token must not open the write routes; give it a value of its own`,
      'BAD_ENV',
    );
  }
  return read;
}

/** Settings from a validated configuration (flags already applied) and the environment. */
export function serveSettings(config: Config, url: string, env: NodeJS.ProcessEnv = process.env): ServeSettings {
  refuseForeignLedger(config);
  const read = readToken(env);
  return {
    url,
    pack: servedPack(config, url),
    host: config.serve.host,
    port: config.serve.port,
    intervalMs: config.serve.interval,
    anomalyIntervalMs: config.serve.anomaly_interval,
    shutdownGraceMs: config.serve.shutdown_grace,
    waitMs: config.serve.wait,
    adminToken: adminToken(env),
    readToken: read,
    readsNeedToken: read !== null || !isLoopback(config.serve.host),
  };
}
