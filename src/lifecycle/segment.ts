import { Decimal } from 'decimal.js';
import { TRADE_ID_FORMAT } from '../packs/bot-ledger/trade-id.ts';
import { isFilled, type LedgerRow } from './ledger-row.ts';
import { deterministicTradeId } from './trade-id.ts';

/** One lifecycle the walk found: flat → open → flat again on one (profile_id, symbol). */
export interface WalkedLifecycle {
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string;
  /** True when the id is the deterministic one (no row carried a valid trade_id). */
  readonly derived: boolean;
  readonly openingOrderId: string;
  readonly orderIds: readonly string[];
  readonly entryQty: Decimal;
  readonly exitQty: Decimal;
  readonly open: boolean;
  /** Exits exceeded entries: the lifecycle closed below zero. */
  readonly overExit: boolean;
}

/** What the walk of one partition decided. */
export interface Segmentation {
  readonly lifecycles: readonly WalkedLifecycle[];
  /** Rows with no trade_id that get one: the backfill's step 2. */
  readonly assignments: readonly { readonly orderId: string; readonly tradeId: string }[];
  /** EXIT rows with no trade_id that no open lifecycle could absorb: they stay NULL and are reported. */
  readonly orphanExits: readonly string[];
}

/** Sort key of the walk: fill time (creation time for rows that never filled), then creation, then id. */
export function compareWalkOrder(a: LedgerRow, b: LedgerRow): number {
  const at = (a.filledAt ?? a.createdAt).getTime();
  const bt = (b.filledAt ?? b.createdAt).getTime();
  if (at !== bt) return at - bt;
  if (a.createdAt.getTime() !== b.createdAt.getTime()) return a.createdAt.getTime() - b.createdAt.getTime();
  return a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0;
}

interface Building {
  readonly opening: LedgerRow;
  readonly members: LedgerRow[];
  entryQty: Decimal;
  exitQty: Decimal;
  overExit: boolean;
}

function finish(building: Building, open: boolean): WalkedLifecycle {
  // A lifecycle that already carries a valid trade_id keeps it; otherwise it gets the deterministic one.
  const carried = building.members.find((row) => row.tradeId !== null && TRADE_ID_FORMAT.test(row.tradeId))?.tradeId;
  const { opening } = building;
  return {
    profileId: opening.profileId,
    symbol: opening.symbol,
    tradeId: carried ?? deterministicTradeId(opening.profileId, opening.symbol, opening.orderId),
    derived: carried === undefined,
    openingOrderId: opening.orderId,
    orderIds: building.members.map((row) => row.orderId),
    entryQty: building.entryQty,
    exitQty: building.exitQty,
    open,
    overExit: building.overExit,
  };
}

/**
 * Walks one (profile_id, symbol) partition of bot ENTRY/EXIT rows in walk order: an ENTRY fill
 * while flat opens a lifecycle, later ENTRYs add to it, EXITs reduce it, and it closes when the
 * net quantity is back to zero (exactly, in decimal). Rows that did not fill join the open
 * lifecycle without moving it; an unfilled ENTRY while flat is a lifecycle of its own. Pure.
 */
export function segmentPartition(rows: readonly LedgerRow[]): Segmentation {
  const sorted = [...rows].sort(compareWalkOrder);
  const lifecycles: WalkedLifecycle[] = [];
  const orphanExits: string[] = [];
  let current: Building | undefined;
  for (const row of sorted) {
    if (row.action !== 'ENTRY' && row.action !== 'EXIT') continue;
    const filled = isFilled(row);
    if (current === undefined) {
      if (row.action === 'EXIT') {
        if (row.tradeId === null) orphanExits.push(row.orderId);
        continue;
      }
      const building: Building = { opening: row, members: [row], entryQty: filled ? row.quantity : new Decimal(0), exitQty: new Decimal(0), overExit: false };
      if (filled && row.quantity.gt(0)) current = building;
      else lifecycles.push(finish(building, false));
      continue;
    }
    current.members.push(row);
    if (!filled) continue;
    if (row.action === 'ENTRY') {
      current.entryQty = current.entryQty.plus(row.quantity);
      continue;
    }
    current.exitQty = current.exitQty.plus(row.quantity);
    const net = current.entryQty.minus(current.exitQty);
    if (net.lte(0)) {
      current.overExit = net.lt(0);
      lifecycles.push(finish(current, false));
      current = undefined;
    }
  }
  if (current !== undefined) lifecycles.push(finish(current, true));
  const byOrder = new Map(sorted.map((row) => [row.orderId, row]));
  const assignments = lifecycles.flatMap((lifecycle) =>
    lifecycle.orderIds.filter((id) => byOrder.get(id)!.tradeId === null).map((orderId) => ({ orderId, tradeId: lifecycle.tradeId })),
  );
  return { lifecycles, assignments, orphanExits };
}
