import { ProfileContext, type RunCounters, type Stream } from './context.ts';
import { writeGhostEvidence, type GhostEvidence } from './ghost.ts';
import { blankTradeId, isGhost, malformedTradeId, type LifecycleInjection, type StreamEndInjection } from './injections.ts';
import { writeLifecycle, type LifecycleRecord } from './lifecycle.ts';
import { writeExtras } from './extras.ts';
import { lifecycleSizes, streamBudgets, type AnomalyScheduler } from './plan.ts';
import { Prng, seedOf } from './prng.ts';
import type { RowSink } from './rows.ts';
import { SYMBOLS } from './symbols.ts';
import { formatUnits } from './units.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A lifecycle that got an injected anomaly, with what it was written as. */
export interface InjectedLifecycle {
  readonly injection: LifecycleInjection;
  readonly record: LifecycleRecord;
  /** duplicate_lifecycle_key across symbols: the lifecycle on another symbol that shares the trade_id. */
  readonly partner?: LifecycleRecord;
}

/** How one (profile, symbol) stream ended, and what was injected into it. */
export interface StreamOutcome {
  readonly symbol: string;
  readonly injected: readonly InjectedLifecycle[];
  readonly end: StreamEndInjection | null;
  readonly final: LifecycleRecord;
  readonly finalOpen: boolean;
  /** The open quantity of an open final lifecycle, else null. */
  readonly openQty: string | null;
  readonly ghost: GhostEvidence | null;
  /** Whether a positions row was written for the stream. */
  readonly positionsRow: boolean;
  readonly lifecycles: number;
}

/** What generating one profile wrote. */
export interface ProfileOutcome {
  readonly profileId: string;
  readonly paused: boolean;
  readonly streams: readonly StreamOutcome[];
}

/** Everything a profile's generation needs from the run. */
export interface ProfileInput {
  readonly index: number;
  readonly profileId: string;
  /** Exactly this many orders rows. */
  readonly budget: number;
  readonly seed: string;
  readonly endAt: number;
  readonly scheduler: AnomalyScheduler;
  readonly counters: RunCounters;
  readonly sink: RowSink;
  /** Awaited after every lifecycle, so that full batches go to the database while generation goes on. */
  readonly checkpoint: () => Promise<void>;
}

interface Names {
  blank: number;
  malformed: number;
  duplicate: number;
}

function streamEnd(ctx: ProfileContext, stream: Stream, base: Omit<StreamOutcome, 'ghost' | 'positionsRow' | 'openQty'>, endAt: number): StreamOutcome {
  const { rng, profileId, sink } = ctx;
  const { final, finalOpen, end } = base;
  const symbol = stream.spec.symbol;
  const openUnits = final.entryUnits - final.exitUnits;
  const outcome = { ...base, openQty: finalOpen ? formatUnits(openUnits, stream.spec.qtyDecimals) : null };
  const observedAt = endAt - rng.below(300_000);
  if (finalOpen && isGhost(end)) {
    const ghost = writeGhostEvidence(ctx, stream, openUnits, end === 'ghost_covered' ? 'covered' : end === 'ghost_dust' ? 'dust' : 'large', endAt);
    // The bot believes it is flat: a zero row, or none at all.
    const positionsRow = rng.chance(500);
    if (positionsRow) sink.position({ profileId, symbol, tradeId: null, quantity: '0', avgEntryPrice: null, updatedAt: final.lastEventAt });
    sink.exchangePosition({ profileId, symbol, quantity: '0', observedAt });
    return { ...outcome, ghost, positionsRow };
  }
  if (finalOpen) {
    const quantity = formatUnits(openUnits, stream.spec.qtyDecimals);
    sink.position({ profileId, symbol, tradeId: final.tradeId, quantity, avgEntryPrice: final.avgEntryPrice, updatedAt: final.lastEventAt });
    sink.exchangePosition({ profileId, symbol, quantity, observedAt });
    return { ...outcome, ghost: null, positionsRow: true };
  }
  if (end === 'untracked_position') {
    // A stale position the bot never cleared: no open lifecycle explains it, and the exchange is flat.
    const quantity = formatUnits(rng.bigBetween(stream.spec.minLots, stream.spec.maxLots), stream.spec.qtyDecimals);
    sink.position({ profileId, symbol, tradeId: null, quantity, avgEntryPrice: final.avgEntryPrice, updatedAt: final.lastEventAt });
    sink.exchangePosition({ profileId, symbol, quantity: '0', observedAt });
    return { ...outcome, ghost: null, positionsRow: true };
  }
  const positionsRow = rng.chance(500);
  if (positionsRow) sink.position({ profileId, symbol, tradeId: null, quantity: '0', avgEntryPrice: null, updatedAt: final.lastEventAt });
  sink.exchangePosition({ profileId, symbol, quantity: '0', observedAt });
  return { ...outcome, ghost: null, positionsRow };
}

function tradeIdFor(ctx: ProfileContext, injection: LifecycleInjection | null, names: Names, partner: LifecycleRecord | undefined): string | null {
  switch (injection) {
    case 'missing_trade_id':
      return null;
    case 'blank_trade_id':
      return blankTradeId(names.blank++);
    case 'malformed_trade_id':
      return malformedTradeId(names.malformed++, ctx.rng.hex8());
    default:
      return partner?.tradeId ?? ctx.nextTradeId();
  }
}

/**
 * Generates one profile: its streams of lifecycles (2–6 symbols, re-entries, some still open),
 * the injections the scheduler places in them, positions and exchange positions to match, manual
 * and legacy rows, and its trading_status (PAUSED whenever it holds a ghost).
 */
export async function generateProfile(input: ProfileInput): Promise<ProfileOutcome> {
  const { profileId, scheduler, endAt } = input;
  const rng = new Prng(seedOf(input.seed, input.index + 1));
  const ctx = new ProfileContext(rng, input.counters, input.sink, profileId);
  const extras = input.budget >= 30 ? Math.floor((input.budget * rng.between(10, 40)) / 1000) : 0;
  const budgets = streamBudgets(rng, input.budget - extras);
  const specs = rng.shuffle(SYMBOLS).slice(0, budgets.length);
  const plans = budgets.map((budget) => lifecycleSizes(rng, budget));
  const last = endAt - 4 * DAY;
  const span = Math.max(90 * DAY, Math.max(1, ...plans.map((p) => p.length)) * 20 * MINUTE);
  const first = last - span;
  const names: Names = { blank: 0, malformed: 0, duplicate: 0 };
  // The last clean closed lifecycle of each finished stream: a partner for a trade_id shared across symbols.
  const shareable: LifecycleRecord[] = [];
  const streams: StreamOutcome[] = [];
  for (const [s, sizes] of plans.entries()) {
    const stream: Stream = { spec: specs[s]!, direction: rng.chance(200) ? 'short' : 'long', ticks: specs[s]!.priceTicks };
    const lastSize = sizes[sizes.length - 1]!;
    // A stale position needs a closed final lifecycle, which needs two rows.
    const fits = (kind: StreamEndInjection) => kind !== 'untracked_position' || lastSize >= 2;
    const randomOpen = lastSize < 2 || rng.chance(400);
    const slot = Math.floor(span / sizes.length);
    const injected: InjectedLifecycle[] = [];
    let end: StreamEndInjection | null = null;
    let lastClean: LifecycleRecord | undefined;
    let final: LifecycleRecord | undefined;
    let finalOpen = false;
    for (const [i, size] of sizes.entries()) {
      scheduler.tick();
      end ??= scheduler.takeStreamEnd(fits);
      const isFinal = i === sizes.length - 1;
      const open = isFinal && (end === null ? randomOpen : isGhost(end));
      const injection = open ? null : scheduler.takeLifecycle((kind) => size >= (kind === 'orphan_exit' ? 3 : 2));
      const partner = injection === 'duplicate_lifecycle_key' && names.duplicate++ % 2 === 0 ? shareable.shift() : undefined;
      const record = writeLifecycle(ctx, stream, {
        size,
        open,
        injection,
        ...(injection === 'duplicate_lifecycle_key' ? { duplicate: partner === undefined ? 'history' : 'symbols' } : {}),
        tradeId: tradeIdFor(ctx, injection, names, partner),
        slotStart: first + i * slot,
        slotEnd: first + (i + 1) * slot,
        pendingExit: open && !isGhost(end) && size >= 2 && rng.chance(300),
        ghost: open && isGhost(end),
      });
      if (injection !== null) injected.push({ injection, record, ...(partner === undefined ? {} : { partner }) });
      else if (!open) lastClean = record;
      final = record;
      finalOpen = open;
      await input.checkpoint();
    }
    if (lastClean !== undefined) shareable.push(lastClean);
    streams.push(streamEnd(ctx, stream, { symbol: stream.spec.symbol, injected, end, final: final!, finalOpen, lifecycles: sizes.length }, endAt));
  }
  writeExtras(ctx, specs, extras, first, last);
  const paused = streams.some((s) => s.ghost !== null) || rng.chance(250);
  input.sink.status({
    profileId,
    state: paused ? 'PAUSED' : 'RUNNING',
    reason: paused ? rng.pick(['reconciliation', 'exchange maintenance', 'risk limit reached']) : null,
    updatedBy: paused ? 'operator' : 'bot',
    updatedAt: endAt - rng.below(3 * DAY),
  });
  return { profileId, paused, streams };
}
