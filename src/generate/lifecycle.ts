import type { ProfileContext, Stream } from './context.ts';
import type { LifecycleInjection } from './injections.ts';
import { divRound, formatUnits, splitUnits } from './units.ts';

/** What one lifecycle should look like. */
export interface LifecyclePlan {
  /** Exactly this many `orders` rows (the orphan EXIT of `orphan_exit` included). */
  readonly size: number;
  readonly open: boolean;
  readonly injection: LifecycleInjection | null;
  /** `duplicate_lifecycle_key` only: a trade_id shared with another symbol, or split history rows. */
  readonly duplicate?: 'symbols' | 'history';
  /** What the lifecycle's rows (and its trade_history rows) carry: a TRD- id, null, blank or malformed. */
  readonly tradeId: string | null;
  readonly slotStart: number;
  readonly slotEnd: number;
  /** An open lifecycle with a resting EXIT order (status `open`, a non-terminal blocker). */
  readonly pendingExit: boolean;
  /** A ghost: large scale-ins and at most one recorded partial exit, so its remainders measure well against the dust threshold. */
  readonly ghost: boolean;
}

/** What was written for one lifecycle, for the expected anomalies and the stream's positions. */
export interface LifecycleRecord {
  readonly symbol: string;
  readonly tradeId: string | null;
  /** Every orders row the lifecycle's trade_id is on (the orphan EXIT excluded). */
  readonly orderIds: readonly string[];
  readonly historyIds: readonly number[];
  readonly orphanId: string | null;
  readonly entryUnits: bigint;
  readonly exitUnits: bigint;
  readonly firstEntryAt: number;
  /** The last event of the lifecycle (fill, cancel or resting order). */
  readonly lastEventAt: number;
  readonly avgEntryPrice: string;
}

type Event = 'E' | 'X' | 'C' | 'P';

interface Counts {
  readonly entries: number;
  readonly exits: number;
  readonly cancels: number;
}

function counts(ctx: ProfileContext, plan: LifecyclePlan, rows: number): Counts {
  const { rng } = ctx;
  if (plan.injection === 'missing_entry_order') {
    // Entries happen (and fill on the exchange) but the ledger lost them: all `rows` are exits or cancels.
    const cancels = rows >= 3 && rng.chance(250) ? 1 : 0;
    return { entries: rng.between(1, 3), exits: rows - cancels, cancels };
  }
  if (plan.ghost) {
    const exits = rows >= 3 ? rng.between(0, 1) : 0;
    const cancels = rows >= 4 && rng.chance(250) ? 1 : 0;
    return { entries: rows - exits - cancels, exits, cancels };
  }
  if (plan.open) {
    const room = rows - (plan.pendingExit ? 1 : 0);
    const cancels = room >= 3 && rng.chance(200) ? 1 : 0;
    const entries = rng.between(1, Math.min(3, room - cancels));
    return { entries, exits: room - cancels - entries, cancels };
  }
  const cancels = rows >= 4 && rng.chance(250) ? rng.between(1, Math.min(2, rows - 2)) : 0;
  const entries = rng.between(1, Math.min(3, rows - cancels - 1));
  return { entries, exits: rows - cancels - entries, cancels };
}

function sequence(ctx: ProfileContext, plan: LifecyclePlan, c: Counts): Event[] {
  const { rng } = ctx;
  if (plan.injection === 'missing_entry_order') {
    const tail = rng.shuffle([...Array<Event>(c.exits - 1).fill('X'), ...Array<Event>(c.cancels).fill('C')]);
    return [...Array<Event>(c.entries).fill('E'), ...tail, 'X'];
  }
  const middle = rng.shuffle([...Array<Event>(c.entries - 1).fill('E'), ...Array<Event>(plan.open ? c.exits : c.exits - 1).fill('X')]);
  const events: Event[] = plan.open ? ['E', ...middle] : ['E', ...middle, 'X'];
  // Cancels fall strictly inside a closed lifecycle, so the lifecycle walk keeps them in it.
  for (let i = 0; i < c.cancels; i++) events.splice(rng.between(1, plan.open ? events.length : events.length - 1), 0, 'C');
  if (plan.pendingExit) events.push('P');
  return events;
}

function eventTimes(ctx: ProfileContext, plan: LifecyclePlan, n: number): number[] {
  const step = Math.floor((plan.slotEnd - plan.slotStart) / (n + 1));
  return Array.from({ length: n }, (_, i) => plan.slotStart + step * (i + 1) - ctx.rng.below(Math.max(1, Math.floor(step / 2))));
}

interface Leg {
  readonly orderId: string;
  readonly units: bigint;
  readonly ticks: bigint;
  readonly at: number;
}

function sumNotional(legs: readonly Leg[]): bigint {
  return legs.reduce((sum, leg) => sum + leg.units * leg.ticks, 0n);
}

function sumUnits(legs: readonly Leg[]): bigint {
  return legs.reduce((sum, leg) => sum + leg.units, 0n);
}

/**
 * Writes one lifecycle of a stream: scale-in ENTRYs, partial EXITs that bring it back to exactly
 * zero (or leave it open), terminal cancels inside it, its exchange fills and its trade_history
 * rows, shaped by the injected anomaly if any. Returns what the expectations need.
 */
export function writeLifecycle(ctx: ProfileContext, stream: Stream, plan: LifecyclePlan): LifecycleRecord {
  const { rng, profileId } = ctx;
  const { spec } = stream;
  const orphan = plan.injection === 'orphan_exit';
  const c = counts(ctx, plan, plan.size - (orphan ? 1 : 0));
  const events = sequence(ctx, plan, c);
  const times = eventTimes(ctx, plan, events.length + (orphan ? 1 : 0));
  const entrySide = stream.direction === 'long' ? 'buy' : 'sell';
  const exitSide = stream.direction === 'long' ? 'sell' : 'buy';
  const missingEntry = plan.injection === 'missing_entry_order';
  const entries: Leg[] = [];
  const exits: Leg[] = [];
  const orderIds: string[] = [];
  let net = 0n;
  // missing_entry_order: the exits split the lost entries' total exactly.
  let exitSplit: bigint[] = [];
  const lastX = events.lastIndexOf('X');

  events.forEach((planned, i) => {
    const at = times[i]!;
    let event = planned;
    // A partial exit needs something to leave open; when too little is left, the bot scales in instead.
    if (event === 'X' && !missingEntry && i !== lastX && net < 2n) event = 'E';
    if (event === 'X' && !missingEntry && i === lastX && !plan.open && net < 1n) event = 'E';
    const price = ctx.walkPrice(stream);
    const orderId = ctx.nextOrderId('o');
    const exchangeOrderId = ctx.counters.nextExchangeOrderId();
    const clientOrderId = `cl-${orderId}`;
    if (event === 'C' || event === 'P') {
      const action = event === 'P' || missingEntry || rng.chance(500) ? 'EXIT' : 'ENTRY';
      const status = event === 'P' ? 'open' : rng.pick(['canceled', 'canceled', 'canceled', 'rejected', 'expired']);
      const quantity = formatUnits(rng.bigBetween(spec.minLots, spec.maxLots), spec.qtyDecimals);
      ctx.order({
        orderId,
        profileId,
        symbol: spec.symbol,
        tradeId: plan.tradeId,
        action,
        side: action === 'ENTRY' ? entrySide : exitSide,
        status,
        quantity,
        qty: null,
        price,
        source: 'bot',
        exchangeOrderId: status === 'rejected' ? null : exchangeOrderId,
        clientOrderId,
        filledAt: null,
        createdAt: at,
        updatedAt: status === 'open' ? at : at + 1000 + rng.below(600_000),
      });
      orderIds.push(orderId);
      return;
    }
    let units: bigint;
    if (event === 'E') {
      units = rng.bigBetween(plan.ghost ? spec.maxLots / 2n : spec.minLots, spec.maxLots);
      net += units;
    } else if (missingEntry) {
      if (exitSplit.length === 0) exitSplit = splitUnits(rng, sumUnits(entries), c.exits);
      units = exitSplit.shift()!;
    } else if (i === lastX && !plan.open) {
      // The closing exit takes exactly what is left; over_exit records more than that.
      units = plan.injection === 'over_exit' ? net + rng.bigBetween(1n, net) : net;
      net = 0n;
    } else {
      const take = (net * BigInt(rng.between(10, 50))) / 100n;
      units = take < 1n ? 1n : take >= net ? net - 1n : take;
      net -= units;
    }
    const leg = { orderId, units, ticks: stream.ticks, at };
    (event === 'E' ? entries : exits).push(leg);
    const quantity = formatUnits(units, spec.qtyDecimals);
    const side = event === 'E' ? entrySide : exitSide;
    if (!(missingEntry && event === 'E')) {
      ctx.order({
        orderId,
        profileId,
        symbol: spec.symbol,
        tradeId: plan.tradeId,
        action: event === 'E' ? 'ENTRY' : 'EXIT',
        side,
        status: 'filled',
        // Some bot versions wrote the legacy qty column too.
        quantity,
        qty: rng.chance(100) ? quantity : null,
        price,
        source: 'bot',
        exchangeOrderId,
        clientOrderId,
        filledAt: at,
        createdAt: at - rng.below(30_000),
        updatedAt: at,
      });
      orderIds.push(orderId);
    }
    ctx.fills(stream, exchangeOrderId, clientOrderId, side, units, spec.qtyDecimals, price, at);
  });

  let orphanId: string | null = null;
  if (orphan) {
    // A bot EXIT with no trade_id while the stream is flat: nothing can absorb it.
    const at = times[times.length - 1]!;
    const price = ctx.walkPrice(stream);
    orphanId = ctx.nextOrderId('o');
    const exchangeOrderId = ctx.counters.nextExchangeOrderId();
    const units = rng.bigBetween(spec.minLots, spec.maxLots);
    ctx.order({
      orderId: orphanId,
      profileId,
      symbol: spec.symbol,
      tradeId: null,
      action: 'EXIT',
      side: exitSide,
      status: 'filled',
      quantity: formatUnits(units, spec.qtyDecimals),
      qty: null,
      price,
      source: 'bot',
      exchangeOrderId,
      clientOrderId: `cl-${orphanId}`,
      filledAt: at,
      createdAt: at - rng.below(30_000),
      updatedAt: at,
    });
    ctx.fills(stream, exchangeOrderId, `cl-${orphanId}`, exitSide, units, spec.qtyDecimals, price, at);
  }

  const entryUnits = sumUnits(entries);
  const exitUnits = sumUnits(exits);
  const avgEntryTicks = divRound(sumNotional(entries), entryUnits);
  return {
    symbol: spec.symbol,
    tradeId: plan.tradeId,
    orderIds,
    historyIds: plan.open ? [] : writeHistory(ctx, stream, plan, entries, exits),
    orphanId,
    entryUnits: missingEntry ? 0n : entryUnits,
    exitUnits,
    firstEntryAt: entries[0]!.at,
    lastEventAt: times[events.length - 1]!,
    avgEntryPrice: formatUnits(avgEntryTicks, spec.priceDecimals),
  };
}

/** The trade_history rows of a closed lifecycle: normally one, with the lifecycle's quantity. */
function writeHistory(ctx: ProfileContext, stream: Stream, plan: LifecyclePlan, entries: readonly Leg[], exits: readonly Leg[]): number[] {
  const { spec } = stream;
  const total = sumUnits(entries);
  let quantities: bigint[] = [total];
  if (plan.injection === 'history_mismatch') {
    // The bot recorded only its last partial exit, or (with a single exit) nothing at all.
    quantities = exits.length >= 2 ? [exits[exits.length - 1]!.units] : [];
  } else if (plan.injection === 'duplicate_lifecycle_key' && plan.duplicate === 'history') {
    // One row per partial exit: the quantities add up, but the lifecycle has several rows.
    quantities = exits.length >= 2 ? exits.map((leg) => leg.units) : splitUnits(ctx.rng, total, 2);
  }
  const sign = stream.direction === 'long' ? 1n : -1n;
  const pnl = sign * (sumNotional(exits) - sumNotional(entries));
  const openedAt = entries[0]!.at;
  const closedAt = exits[exits.length - 1]!.at;
  return quantities.map((units) => {
    const id = ctx.counters.nextHistoryId();
    ctx.sink.history({
      id,
      profileId: ctx.profileId,
      symbol: spec.symbol,
      tradeId: plan.tradeId,
      entryOrderId: entries[0]!.orderId,
      exitOrderId: exits[exits.length - 1]!.orderId,
      quantity: formatUnits(units, spec.qtyDecimals),
      entryPrice: formatUnits(divRound(sumNotional(entries), total), spec.priceDecimals),
      exitPrice: formatUnits(divRound(sumNotional(exits), sumUnits(exits)), spec.priceDecimals),
      realizedPnl: formatUnits(pnl, spec.qtyDecimals + spec.priceDecimals),
      openedAt,
      closedAt,
      createdAt: closedAt + 1000,
    });
    return id;
  });
}
