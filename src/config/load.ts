import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.ts';
import { DEFAULT_DATABASE_URL } from '../db/open.ts';
import { nulBytePath } from '../domain/nul-byte.ts';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from './duration.ts';
import { envValue, hideSecrets, interpolate, type Interpolated } from './secrets.ts';
import { defaultConfig } from './defaults.ts';
import type { Config } from './schema.ts';

// The YAML parser is loaded only when there is a file to read: most commands run without one, and
// it is some 70 modules for every start otherwise (require: load is synchronous).
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

// zod and the schema likewise, only when something is set (a file, an environment variable): with
// nothing set the result is defaultConfig(). Beside this file as .ts in a checkout, .js in dist/.
const SCHEMA_MODULE = import.meta.url.endsWith('.ts') ? './schema.ts' : './schema.js';
const configSchema = (): typeof import('./schema.ts').configSchema =>
  (createRequire(import.meta.url)(SCHEMA_MODULE) as typeof import('./schema.ts')).configSchema;

/** The configuration file read when none is named. */
export const DEFAULT_CONFIG_FILE = 'tradeledger.yaml';

type EnvKind = 'string' | 'boolean' | 'integer' | 'duration' | 'decimal' | 'positive';

/** Environment variables that override tradeledger.yaml, and the key each sets. */
export const ENVIRONMENT_OVERRIDES: readonly { readonly name: string; readonly path: readonly string[]; readonly kind: EnvKind }[] = [
  { name: 'DATABASE_URL', path: ['database', 'url'], kind: 'string' },
  { name: 'TRADELEDGER_AUTO_MIGRATE', path: ['database', 'schema', 'auto_migrate'], kind: 'boolean' },
  { name: 'TRADELEDGER_MIGRATIONS_TABLE', path: ['database', 'migrations_table'], kind: 'string' },
  { name: 'TRADELEDGER_TRACK_UNREALIZED_PNL', path: ['database', 'track_unrealized_pnl'], kind: 'boolean' },
  { name: 'TRADELEDGER_BACKUP_DIR', path: ['database', 'backup', 'directory'], kind: 'string' },
  { name: 'TRADELEDGER_BACKUP_RETENTION_DAYS', path: ['database', 'backup', 'retention_days'], kind: 'integer' },
  { name: 'TRADELEDGER_MAX_BACKUPS', path: ['database', 'backup', 'max_backups'], kind: 'integer' },
  { name: 'TRADELEDGER_REQUIRE_CONFIRMATION', path: ['database', 'migration', 'require_confirmation'], kind: 'boolean' },
  { name: 'TRADELEDGER_CREATE_BACKUP', path: ['database', 'migration', 'create_backup'], kind: 'boolean' },
  { name: 'TRADELEDGER_VERIFY_AFTER', path: ['database', 'migration', 'verify_after'], kind: 'boolean' },
  { name: 'TRADELEDGER_LOCK_TIMEOUT', path: ['database', 'migration', 'lock_timeout'], kind: 'duration' },
  { name: 'TRADELEDGER_STATEMENT_TIMEOUT', path: ['database', 'migration', 'statement_timeout'], kind: 'duration' },
  { name: 'TRADELEDGER_LOCK_WAIT', path: ['database', 'migration', 'lock_wait'], kind: 'duration' },
  { name: 'TRADELEDGER_MIGRATION_RETRIES', path: ['database', 'migration', 'retries'], kind: 'integer' },
  // The reconciliation specification's own flag names.
  { name: 'ENABLE_RECON_EXIT_BACKFILL', path: ['recon', 'enabled'], kind: 'boolean' },
  { name: 'RECON_EXIT_BACKFILL_DRY_RUN', path: ['recon', 'dry_run'], kind: 'boolean' },
  { name: 'RECON_EXIT_BACKFILL_REQUIRE_PAUSE', path: ['recon', 'require_pause'], kind: 'boolean' },
  { name: 'RECON_EXIT_BACKFILL_DUST_ABS_QTY', path: ['recon', 'dust_abs_qty'], kind: 'decimal' },
  { name: 'RECON_EXIT_BACKFILL_DUST_REL_PCT', path: ['recon', 'dust_rel_pct'], kind: 'decimal' },
  { name: 'RECON_EXIT_BACKFILL_LOOKBACK_HOURS', path: ['recon', 'lookback_hours'], kind: 'positive' },
  { name: 'EXCHANGE_STATE_MISMATCH_THROTTLE_MS', path: ['recon', 'mismatch_throttle_ms'], kind: 'integer' },
  { name: 'RECON_STATUS_URL', path: ['recon', 'status_url'], kind: 'string' },
  { name: 'TRADELEDGER_SERVE_HOST', path: ['serve', 'host'], kind: 'string' },
  { name: 'TRADELEDGER_SERVE_PORT', path: ['serve', 'port'], kind: 'integer' },
  { name: 'TRADELEDGER_SERVE_INTERVAL', path: ['serve', 'interval'], kind: 'duration' },
  { name: 'TRADELEDGER_SERVE_WAIT', path: ['serve', 'wait'], kind: 'duration' },
];

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false, yes: true, no: false, on: true, off: false };

/** Parses one environment value by kind; a malformed value is a usage error naming the variable. */
export function parseEnvironmentValue(name: string, kind: EnvKind, raw: string): string | boolean | number {
  const text = raw.trim();
  switch (kind) {
    case 'string':
      if (text === '') throw new UsageError(`environment variable ${name} is set but empty: unset it or give it a value`, 'BAD_ENV');
      return text;
    case 'boolean': {
      const value = BOOLEAN_WORDS[text.toLowerCase()];
      if (value === undefined) throw new UsageError(`environment variable ${name}='${raw}' is not a boolean: use true or false`, 'BAD_ENV');
      return value;
    }
    case 'integer':
      if (!/^\d+$/.test(text)) throw new UsageError(`environment variable ${name}='${raw}' is not a whole number`, 'BAD_ENV');
      return Number(text);
    case 'decimal':
      if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`environment variable ${name}='${raw}' is not a non-negative decimal such as 0.001`, 'BAD_ENV');
      return text;
    case 'positive':
      if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) throw new UsageError(`environment variable ${name}='${raw}' is not a positive number`, 'BAD_ENV');
      return Number(text);
    case 'duration': {
      const ms = parseDuration(text);
      if (ms === null) throw new UsageError(`environment variable ${name}='${raw}' is not a duration: use e.g. 500ms, 2s or 5m`, 'BAD_ENV');
      if (ms > MAX_DURATION_MS) throw new UsageError(`environment variable ${name}='${raw}' is too long: use a duration ${MAX_DURATION_TEXT}`, 'BAD_ENV');
      return `${ms}ms`;
    }
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`configuration file '${path}' cannot be read: check the path given to --config or TRADELEDGER_CONFIG`, 'CONFIG_MISSING');
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new UsageError(
      `configuration file '${path}'${line === undefined ? '' : ` line ${line}`} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      'CONFIG_YAML',
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(
      `configuration file '${path}' must hold a mapping (key: value), not a ${Array.isArray(parsed) ? 'list' : typeof parsed}`,
      'CONFIG_YAML',
    );
  return parsed as Record<string, unknown>;
}

/** Where the configuration came from, with the validated result. */
export interface LoadedConfig {
  readonly config: Config;
  /** The file read, or null when there was none. */
  readonly file: string | null;
}

// Settings that were removed, with what replaced them: "check its spelling" would mislead.
const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  'freqtrade.bot_stopped': "was removed: that the bot is stopped is the operator's word for one run, so say it with --bot-stopped on that run",
};

/**
 * Defaults, then tradeledger.yaml (`--config`, else TRADELEDGER_CONFIG, else ./tradeledger.yaml
 * when present; `${VAR}` in its values read from the environment), then the environment (each
 * variable also as VAR_FILE, naming a file that holds it). Flags are applied by the caller on top.
 */
export function loadConfig(options: { readonly configPath?: string | undefined; readonly env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const named = options.configPath ?? env['TRADELEDGER_CONFIG'];
  const file = named !== undefined ? resolve(named) : existsSync(DEFAULT_CONFIG_FILE) ? resolve(DEFAULT_CONFIG_FILE) : null;
  // `${VAR}` is replaced after parsing, so a value holding YAML syntax (`#`, `: `) stays one value
  // and a YAML error never quotes a secret.
  const { value: raw, secrets }: Interpolated<Record<string, unknown>> =
    file === null ? { value: {}, secrets: [] } : interpolate(readConfigFile(file), file, env);
  const hidden = [...secrets];
  for (const override of ENVIRONMENT_OVERRIDES) {
    const found = envValue(env, override.name);
    if (found === undefined) continue;
    if (found.fromFile || override.kind === 'string') hidden.push(found.value.trim());
    setPath(raw, override.path, parseEnvironmentValue(found.from, override.kind, found.value));
  }
  const nul = nulBytePath(raw, '');
  if (nul !== null) {
    throw new UsageError(
      `${file ?? 'configuration'}: ${nul} holds a NUL byte (\\0), which no database text or file name can hold: remove it`,
      'CONFIG_INVALID',
    );
  }
  if (Object.keys(raw).length === 0) return { config: defaultConfig(), file };
  const result = configSchema().safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    const key = keys.map(String).join('.') || '(top level)';
    const what = issue.code === 'unrecognized_keys' ? (REMOVED_SETTINGS[key] ?? 'is not a known setting; check its spelling') : issue.message;
    throw new UsageError(hideSecrets(`${file ?? 'configuration'}: ${key}: ${what}`, hidden), 'CONFIG_INVALID');
  }
  return { config: result.data, file };
}

/** The database URL: `--db`, else DATABASE_URL / tradeledger.yaml (`url`, or `path` for SQLite), else the embedded default. */
export function databaseUrl(config: Config, flag?: string): string {
  if (flag !== undefined) return flag;
  if (config.database.url !== undefined) return config.database.url;
  if (config.database.path !== undefined) return `sqlite:${config.database.path}`;
  return DEFAULT_DATABASE_URL;
}
