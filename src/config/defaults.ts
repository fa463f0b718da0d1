import type { Config } from './schema.ts';

/**
 * The configuration with nothing set (no file, no environment): what `configSchema.parse({})`
 * gives, written out so that a command run with flags alone need not load zod and the schema
 * (some 100 modules). test/config/defaults.unit.test.ts keeps the two equal. A new object each call.
 */
export function defaultConfig(): Config {
  return {
    database: {
      schema: { auto_migrate: false },
      track_unrealized_pnl: false,
      backup: { directory: null, retention_days: 30, max_backups: 10 },
      migration: {
        require_confirmation: false,
        create_backup: true,
        verify_after: true,
        lock_timeout: 2000,
        statement_timeout: 600_000,
        lock_wait: 30_000,
        retries: 5,
        retry_delay: 500,
      },
    },
    migrations: { options: {} },
    ledger: 'bot-ledger',
    freqtrade: {},
    recon: {
      enabled: false,
      dry_run: true,
      require_pause: true,
      dust_abs_qty: '0.001',
      dust_rel_pct: '0.002',
      allow_wide_dust: false,
      lookback_hours: 72,
      mismatch_throttle_ms: 300_000,
      pause_source: 'table',
      evidence: { source: 'table', options: {} },
    },
    serve: { host: '127.0.0.1', port: 8080, interval: 60_000, anomaly_interval: 600_000, shutdown_grace: 8000, wait: 0 },
  };
}
