import { Decimal } from 'decimal.js';
import type { ReconConfig } from '../config/recon-schema.ts';
import { SafetyError, UsageError } from '../errors.ts';

/** The widest dust there is: a remainder above 1 % of the lifecycle's open quantity is never dust, whatever the settings. */
export const DUST_CEILING_FRACTION = new Decimal('0.01');

/** The specification's feature flags, parsed: decimals exact, durations in milliseconds. */
export interface ReconFlags {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly requirePause: boolean;
  readonly dustAbsQty: Decimal;
  /** A fraction: 0.002 is 0.2 %. */
  readonly dustRelPct: Decimal;
  readonly lookbackMs: number;
  readonly mismatchThrottleMs: number;
}

/**
 * Flags from validated configuration (defaults ← tradeledger.yaml ← environment ← CLI flags).
 * A relative dust setting above 1 % is refused unless `allow_wide_dust` is set; even then the
 * threshold each decision uses stays within DUST_CEILING_FRACTION of the open quantity.
 */
export function reconFlags(config: ReconConfig): ReconFlags {
  const dustRelPct = new Decimal(config.dust_rel_pct);
  if (dustRelPct.gt(DUST_CEILING_FRACTION) && !config.allow_wide_dust) {
    throw new UsageError(
      `RECON_EXIT_BACKFILL_DUST_REL_PCT ${config.dust_rel_pct} is a fraction above 0.01 (1 % of the open quantity): give e.g. 0.002 for 0.2 %, or --allow-wide-dust (recon.allow_wide_dust) if you mean it; no remainder above 1 % is ever closed as dust`,
      'WIDE_DUST',
    );
  }
  return {
    enabled: config.enabled,
    dryRun: config.dry_run,
    requirePause: config.require_pause,
    dustAbsQty: new Decimal(config.dust_abs_qty),
    dustRelPct,
    lookbackMs: Math.round(config.lookback_hours * 3_600_000),
    mismatchThrottleMs: config.mismatch_throttle_ms,
  };
}

/** Refuses (SafetyError, exit 3) unless ENABLE_RECON_EXIT_BACKFILL is on: nothing is read or written. */
export function requireEnabled(flags: Pick<ReconFlags, 'enabled'>, action: string): void {
  if (!flags.enabled) {
    throw new SafetyError(
      `reconciliation backfill is disabled (ENABLE_RECON_EXIT_BACKFILL=false): set it to true (or --enable) to ${action}; nothing was written`,
      'DISABLED',
    );
  }
}

/** Refuses (SafetyError, exit 3) unless the master switch is on and dry run is off: the gate of every write to orders. */
export function requireApplyAllowed(flags: Pick<ReconFlags, 'enabled' | 'dryRun'>): void {
  requireEnabled(flags, 'apply');
  if (flags.dryRun) {
    throw new SafetyError(
      'dry run is on (RECON_EXIT_BACKFILL_DRY_RUN=true): nothing is applied in a dry run; set it to false (or --no-dry-run) to apply; nothing was written',
      'DRY_RUN',
    );
  }
}
