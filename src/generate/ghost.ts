import { Decimal } from 'decimal.js';
import type { ProfileContext, Stream } from './context.ts';
import { formatUnits, splitUnits } from './units.ts';

/** The reconciliation defaults the ghost remainders are measured against (the specification's flags). */
export const RECON_DEFAULTS = { dustAbsQty: '0.001', dustRelPct: '0.002', lookbackHours: 72 } as const;

/** The exchange's record of a ghost lifecycle's exits, as reconciliation will read it. */
export interface GhostEvidence {
  readonly variant: 'covered' | 'dust' | 'large';
  readonly openQty: string;
  /** One entry per exchange order, with its total quantity. */
  readonly evidence: readonly { readonly exchangeOrderId: string; readonly clientOrderId: string; readonly quantity: string }[];
  /** What the fills leave uncovered. */
  readonly remainder: string;
  readonly threshold: string;
  /** Whether reconciliation may close it: the remainder is within the dust threshold. */
  readonly closable: boolean;
}

const HOUR = 3_600_000;

/**
 * Writes the exit fills the ledger never recorded for a ghost lifecycle (`openUnits` open): in the
 * 48 hours before `endAt`, on the exit side, on exchange orders no EXIT row names. `covered` adds up
 * to the open quantity, `dust` leaves half the dust threshold, `large` leaves half the position.
 */
export function writeGhostEvidence(ctx: ProfileContext, stream: Stream, openUnits: bigint, variant: GhostEvidence['variant'], endAt: number): GhostEvidence {
  const { rng } = ctx;
  const { spec } = stream;
  const open = new Decimal(formatUnits(openUnits, spec.qtyDecimals));
  const threshold = Decimal.max(RECON_DEFAULTS.dustAbsQty, open.times(RECON_DEFAULTS.dustRelPct));
  let remainder = new Decimal(0);
  if (variant === 'dust') {
    // Half the threshold, on the lot grid when the grid is fine enough, else as it is.
    const half = threshold.div(2);
    const onGrid = half.toDecimalPlaces(spec.qtyDecimals, Decimal.ROUND_DOWN);
    remainder = onGrid.gt(0) ? onGrid : half;
  } else if (variant === 'large') {
    remainder = new Decimal(formatUnits(openUnits / 2n, spec.qtyDecimals));
    // A position too small for half of it to exceed the threshold is left wholly uncovered.
    if (remainder.lte(threshold)) remainder = open;
  }
  const covered = open.minus(remainder);
  const decimals = Math.max(spec.qtyDecimals, remainder.decimalPlaces());
  const coveredUnits = BigInt(covered.times(new Decimal(10).pow(decimals)).toFixed(0));
  const exitSide = stream.direction === 'long' ? 'sell' : 'buy';
  const parts = coveredUnits > 0n ? splitUnits(rng, coveredUnits, rng.between(1, 3)) : [];
  const window = 47 * HOUR;
  const step = Math.floor(window / (parts.length + 1));
  const evidence = parts.map((units, i) => {
    const exchangeOrderId = ctx.counters.nextExchangeOrderId();
    const clientOrderId = `cl-${ctx.profileId}-x${exchangeOrderId}`;
    const at = endAt - 48 * HOUR + step * (i + 1) - rng.below(Math.floor(step / 2));
    ctx.fills(stream, exchangeOrderId, clientOrderId, exitSide, units, decimals, ctx.walkPrice(stream), at);
    return { exchangeOrderId, clientOrderId, quantity: new Decimal(formatUnits(units, decimals)).toFixed() };
  });
  return { variant, openQty: open.toFixed(), evidence, remainder: remainder.toFixed(), threshold: threshold.toFixed(), closable: remainder.lte(threshold) };
}
