import type { Config } from '../config/schema.ts';
import { parseDatabaseUrl } from '../db/open.ts';
import { UsageError } from '../errors.ts';

/** The environment variable holding the admin token for the pause, resume and enforcement routes. */
export const ADMIN_TOKEN_VARIABLE = 'TRADELEDGER_ADMIN_TOKEN';

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
  /** Null: the admin routes are not registered. */
  readonly adminToken: string | null;
}

/**
 * The pack a daemon serves: `serve.pack`, else `migrations.pack`, else the pack its database
 * family holds (bot-ledger on PostgreSQL and PGlite, risk-state on SQLite). One pack, because a
 * database has one `schema_version` history.
 */
export function servedPack(config: Config, url: string): string {
  return config.serve.pack ?? config.migrations.pack ?? (parseDatabaseUrl(url).kind === 'sqlite' ? 'risk-state' : 'bot-ledger');
}

/** The admin token from the environment; unset or empty is null, a short one is refused. */
export function adminToken(env: NodeJS.ProcessEnv = process.env): string | null {
  const token = env[ADMIN_TOKEN_VARIABLE]?.trim();
  if (token === undefined || token === '') return null;
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `${ADMIN_TOKEN_VARIABLE} is ${token.length} characters long: use at least ${MIN_TOKEN_LENGTH}, e.g. the output of 'openssl rand -hex 32'`,
      'BAD_ENV',
    );
  }
  return token;
}

/** Settings from a validated configuration (flags already applied) and the environment. */
export function serveSettings(config: Config, url: string, env: NodeJS.ProcessEnv = process.env): ServeSettings {
  return {
    url,
    pack: servedPack(config, url),
    host: config.serve.host,
    port: config.serve.port,
    intervalMs: config.serve.interval,
    anomalyIntervalMs: config.serve.anomaly_interval,
    shutdownGraceMs: config.serve.shutdown_grace,
    adminToken: adminToken(env),
  };
}
