import { z } from 'zod';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from './duration.ts';
import { reconSchema } from './recon-schema.ts';

const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 2s or 5m (got '${String(value)}')` });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `'${String(value)}' is too long: use a duration ${MAX_DURATION_TEXT}` });
    return z.NEVER;
  }
  return ms;
});

/**
 * tradeledger.yaml. The `database:` section mirrors the risk-state specification's
 * config/database.yaml; durations are written `2s`, `500ms`, `5m` and held in milliseconds.
 */
export const configSchema = z.strictObject({
  database: z
    .strictObject({
      url: z.string().min(1).optional(),
      /** The specification's SQLite path; same as `url: sqlite:<path>`. */
      path: z.string().min(1).optional(),
      schema: z
        .strictObject({
          auto_migrate: z.boolean().default(false),
          current_version: z.number().int().nonnegative().optional(),
        })
        .prefault({}),
      track_unrealized_pnl: z.boolean().default(false),
      /** The migration history table (dbmate's --migrations-table): NAME or SCHEMA.NAME; default schema_version. */
      migrations_table: z
        .string()
        .regex(/^\s*(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*\s*$/, {
          message: 'expected a table name: NAME or SCHEMA.NAME, letters, digits and underscores (e.g. schema_version or app.schema_version)',
        })
        .optional(),
      backup: z
        .strictObject({
          directory: z.string().min(1).nullable().default(null),
          retention_days: z.number().int().nonnegative().default(30),
          max_backups: z.number().int().positive().default(10),
        })
        .prefault({}),
      migration: z
        .strictObject({
          require_confirmation: z.boolean().default(false),
          create_backup: z.boolean().default(true),
          verify_after: z.boolean().default(true),
          lock_timeout: duration.default(2000),
          statement_timeout: duration.default(600_000),
          lock_wait: duration.default(30_000),
          retries: z.number().int().positive().default(5),
          retry_delay: duration.default(500),
        })
        .prefault({}),
    })
    .prefault({}),
  migrations: z
    .strictObject({
      pack: z.string().min(1).optional(),
      dir: z.string().min(1).optional(),
      /** Pack settings substituted into its SQL (order-execution's trader setting and compliance role). */
      options: z.record(z.string(), z.union([z.string(), z.boolean()])).default({}),
    })
    .prefault({}),
  /** Which ledger lifecycle and recon read: the bot-ledger pack's tables, or a freqtrade database as freqtrade made it. */
  ledger: z.enum(['bot-ledger', 'freqtrade', 'custom']).default('bot-ledger'),
  /**
   * `ledger: custom`: the lifecycle model's tables mapped onto the user's tables and columns. Which
   * tables and columns the model has is src/ledgers/custom/model.ts's to say (checkMapping names an
   * unknown one); here only the shape is checked.
   */
  mapping: z
    .record(
      z.string(),
      z.strictObject({
        table: z.string().min(1),
        columns: z.record(z.string(), z.union([z.string().min(1), z.strictObject({ value: z.string() })])),
      }),
    )
    .optional(),
  /** freqtrade: its REST API, asked before writing whether the bot still runs (the stop-the-bot gate). */
  freqtrade: z
    .strictObject({
      /** e.g. http://127.0.0.1:8080 (freqtrade's api_server listen address); unset: only open file handles / sessions are checked. */
      api_url: z.string().url().optional(),
      /** Where Linux's process table is mounted, for the open-file check (default /proc). */
      proc_root: z.string().min(1).optional(),
    })
    .prefault({}),
  recon: reconSchema,
  /** `tradeledger serve`: the pack whose schema the daemon checks, where it listens, how often it reconciles. */
  serve: z
    .strictObject({
      /** Default: migrations.pack, else bot-ledger on PostgreSQL / PGlite and risk-state on SQLite. */
      pack: z.string().min(1).optional(),
      host: z.string().min(1).default('127.0.0.1'),
      /** 0 picks a free port (the daemon logs the one it bound). */
      port: z.number().int().min(0).max(65535).default(8080),
      /** Time between the end of one reconciliation cycle and the start of the next. */
      interval: duration.default(60_000).refine((ms) => ms > 0, { message: 'must be above 0' }),
      /** How often the daemon runs the lifecycle report for the anomaly metrics (it scans the ledger); 0 turns it off. */
      anomaly_interval: duration.default(600_000),
      /** How long SIGTERM waits for a running cycle before giving up on it. */
      shutdown_grace: duration.default(8_000),
      /** How long start-up waits for the database to accept connections (with backoff); 0 gives up at once. */
      wait: duration.default(0),
    })
    .prefault({}),
});

/** Configuration after defaults, file, environment and flags, validated. */
export type Config = z.output<typeof configSchema>;

/** Configuration as written in the file, before defaults. */
export type ConfigInput = z.input<typeof configSchema>;
