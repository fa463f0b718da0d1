import { Decimal } from 'decimal.js';
import type { ReconConfig } from '../config/recon-schema.ts';

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

/** Flags from validated configuration (defaults ← tradeledger.yaml ← environment ← CLI flags). */
export function reconFlags(config: ReconConfig): ReconFlags {
  return {
    enabled: config.enabled,
    dryRun: config.dry_run,
    requirePause: config.require_pause,
    dustAbsQty: new Decimal(config.dust_abs_qty),
    dustRelPct: new Decimal(config.dust_rel_pct),
    lookbackMs: Math.round(config.lookback_hours * 3_600_000),
    mismatchThrottleMs: config.mismatch_throttle_ms,
  };
}
