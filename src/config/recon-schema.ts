import { z } from 'zod';

/** The longest lookback: 100 years back from now is still a date every database and Date can hold. */
export const MAX_LOOKBACK_HOURS = 876_000;

const decimalText = z
  .union([z.string(), z.number()])
  .transform((value) => String(value).trim())
  .refine((text) => /^\d+(\.\d+)?$/.test(text), { message: 'expected a non-negative decimal such as 0.001' });

/** tradeledger.yaml `recon:`; every key mirrors one of the specification's feature flags. */
export const reconSchema = z
  .strictObject({
    /** ENABLE_RECON_EXIT_BACKFILL */
    enabled: z.boolean().default(false),
    /** RECON_EXIT_BACKFILL_DRY_RUN */
    dry_run: z.boolean().default(true),
    /** RECON_EXIT_BACKFILL_REQUIRE_PAUSE */
    require_pause: z.boolean().default(true),
    /** RECON_EXIT_BACKFILL_DUST_ABS_QTY */
    dust_abs_qty: decimalText.default('0.001'),
    /** RECON_EXIT_BACKFILL_DUST_REL_PCT, a fraction: 0.002 is 0.2 % */
    dust_rel_pct: decimalText.default('0.002'),
    /** A dust_rel_pct above 0.01 (1 %) is refused unless this is true; the threshold stays within 1 % of the open quantity either way. */
    allow_wide_dust: z.boolean().default(false),
    /** RECON_EXIT_BACKFILL_LOOKBACK_HOURS */
    lookback_hours: z
      .number()
      .positive()
      .max(MAX_LOOKBACK_HOURS, { message: `must be at most ${MAX_LOOKBACK_HOURS} (100 years)` })
      .default(72),
    /** EXCHANGE_STATE_MISMATCH_THROTTLE_MS */
    mismatch_throttle_ms: z.number().int().nonnegative().default(300_000),
    /** Where pause state comes from: the trading_status table, or a URL answering PAUSED / RUNNING. */
    pause_source: z.enum(['table', 'url']).default('table'),
    status_url: z.string().url().optional(),
    evidence: z
      .strictObject({
        source: z.enum(['table', 'file', 'ccxt']).default('table'),
        /** file: a JSON or CSV export of fills and positions */
        file: z.string().min(1).optional(),
        /** ccxt: the exchange id and its options (apiKey, secret, urls for a simulator, …) */
        exchange: z.string().min(1).optional(),
        options: z.record(z.string(), z.unknown()).default({}),
        /** ccxt: the profile these credentials belong to */
        profile: z.string().min(1).optional(),
      })
      .prefault({}),
  })
  .prefault({});

/** Validated reconciliation settings. */
export type ReconConfig = z.output<typeof reconSchema>;
