import { ANOMALY_KINDS, type AnomalyKind, type AnomalyRow } from '../lifecycle/anomalies.ts';
import type { NoGoReason } from '../recon/decide.ts';
import { RECON_DEFAULTS } from './ghost.ts';
import type { Injection } from './injections.ts';
import type { ProfileOutcome, StreamOutcome } from './profile.ts';

/** An anomaly `lifecycleReport(db).anomalies` must list, in its shape (without detail and blocking). */
export interface ExpectedAnomaly {
  readonly kind: AnomalyKind;
  readonly profileId: string;
  readonly symbol: string | null;
  readonly tradeId: string | null;
  readonly rows: readonly AnomalyRow[];
}

/** One injection the generator made, and where. */
export interface InjectionRecord {
  readonly injection: Injection;
  readonly profileId: string;
  readonly symbol: string;
  /** The trade_id the lifecycle's rows carry (null, blank or malformed for those injections). */
  readonly tradeId: string | null;
}

/** What one reconciliation cycle (enabled, not dry-run, default flags, at `recon.now`) must decide for an open lifecycle. */
export interface ExpectedReconDecision {
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string;
  readonly openQty: string;
  /** `close`: APPLIED rows; `refuse`: one NO_GO row with `reason`. */
  readonly decision: 'close' | 'refuse';
  readonly reason: NoGoReason | null;
  /** The exchange orders whose fills close it (all of each order's quantity). */
  readonly evidence: readonly { readonly exchangeOrderId: string; readonly clientOrderId: string; readonly quantity: string }[];
  /** The dust row's quantity when a remainder within the threshold is closed, else null. */
  readonly dustQty: string | null;
}

/** What the generated ledger holds, for tests and benchmarks to check the tools against. */
export interface Expected {
  /** Exactly what `lifecycleReport` finds before any backfill, sorted by profile, kind, symbol, trade_id. */
  readonly anomalies: readonly ExpectedAnomaly[];
  readonly injections: readonly InjectionRecord[];
  /** What `lifecycle backfill --apply` changes: the missing and blank ids, and the orphan EXITs it leaves. */
  readonly backfill: { readonly assigned: number; readonly normalised: number; readonly history: number; readonly orphanExits: readonly string[] };
  readonly recon: {
    readonly now: string;
    readonly lookbackHours: number;
    readonly dustAbsQty: string;
    readonly dustRelPct: string;
    readonly requirePause: true;
    /** Every lifecycle open by docs/runbooks/reconciliation-exit-backfill.md §1, in profile, symbol, trade_id order. */
    readonly decisions: readonly ExpectedReconDecision[];
  };
}

const orders = (ids: readonly string[]): AnomalyRow[] => [...ids].sort().map((key) => ({ table: 'orders', key }));
const history = (ids: readonly number[]): AnomalyRow[] => [...ids].sort((a, b) => a - b).map((id) => ({ table: 'trade_history', key: String(id) }));
const minSymbol = (symbols: readonly string[]) => [...symbols].sort()[0]!;

/** The anomalies one stream's injections and end produce, and the rows the walk of its partition would fill. */
function streamAnomalies(profileId: string, stream: StreamOutcome, out: ExpectedAnomaly[]): string[] {
  const { symbol } = stream;
  const add = (kind: AnomalyKind, tradeId: string | null, rows: AnomalyRow[], at = symbol) => out.push({ kind, profileId, symbol: at, tradeId, rows });
  const fillable: string[] = [];
  const nullHistory: number[] = [];
  let walked = false;
  for (const { injection, record, partner } of stream.injected) {
    const { tradeId } = record;
    switch (injection) {
      case 'missing_entry_order':
        add(injection, tradeId, [...orders(record.orderIds), ...history(record.historyIds)]);
        break;
      case 'orphan_exit':
        walked = true;
        add(injection, null, orders([record.orphanId!]));
        break;
      case 'over_exit':
        add(injection, tradeId, orders(record.orderIds));
        break;
      case 'history_mismatch':
        add(injection, tradeId, [...orders(record.orderIds), ...history(record.historyIds)]);
        break;
      case 'duplicate_lifecycle_key':
        if (partner === undefined) {
          add(injection, tradeId, history(record.historyIds));
        } else {
          // One trade_id on two symbols: reported once for the orders, once for the trade_history rows.
          const at = minSymbol([symbol, partner.symbol]);
          add(injection, tradeId, orders([...record.orderIds, ...partner.orderIds]), at);
          add(injection, tradeId, history([...record.historyIds, ...partner.historyIds]), at);
        }
        break;
      case 'missing_trade_id':
        walked = true;
        fillable.push(...record.orderIds);
        nullHistory.push(...record.historyIds);
        break;
      case 'blank_trade_id':
        // Reported under the blank value itself, once for the orders and once for the history rows.
        fillable.push(...record.orderIds);
        add(injection, tradeId, orders(record.orderIds));
        add(injection, tradeId, history(record.historyIds));
        break;
      case 'malformed_trade_id':
        add(injection, tradeId, orders(record.orderIds));
        add(injection, tradeId, history(record.historyIds));
        break;
    }
  }
  // The report walks only partitions holding a NULL-trade_id bot row; there it lists every row the
  // backfill would fill, blank ones included.
  if (walked && fillable.length > 0) add('missing_trade_id', null, orders(fillable));
  // trade_history rows without a trade_id, grouped per (profile, symbol) like the walk's partitions.
  if (nullHistory.length > 0) add('missing_trade_id', null, history(nullHistory));
  if (stream.ghost !== null) {
    add('ghost_position', stream.final.tradeId, [
      ...orders(stream.final.orderIds),
      ...(stream.positionsRow ? [{ table: 'positions' as const, key: `${profileId}/${symbol}` }] : []),
    ]);
  }
  if (stream.end === 'untracked_position') add('untracked_position', null, [{ table: 'positions', key: `${profileId}/${symbol}` }]);
  return fillable;
}

function reconDecision(profile: ProfileOutcome, stream: StreamOutcome): ExpectedReconDecision | null {
  if (!stream.finalOpen) return null;
  const base = { profileId: profile.profileId, symbol: stream.symbol, tradeId: stream.final.tradeId! };
  const { ghost } = stream;
  if (ghost === null) {
    // A real open position: the exchange holds it too, and a running profile is refused first.
    const reason: NoGoReason = profile.paused ? 'exchange_not_flat' : 'profile_not_paused';
    return { ...base, openQty: stream.openQty!, decision: 'refuse', reason, evidence: [], dustQty: null };
  }
  const remainder = ghost.remainder;
  return {
    ...base,
    openQty: ghost.openQty,
    decision: ghost.closable ? 'close' : 'refuse',
    reason: ghost.closable ? null : 'missing_fill_evidence_for_large_remainder',
    evidence: ghost.evidence,
    dustQty: ghost.closable && remainder !== '0' ? remainder : null,
  };
}

const KIND_ORDER = new Map(ANOMALY_KINDS.map((kind, index) => [kind, index]));

/** Sorts anomalies the way `lifecycleReport` does, then by their rows, so lists compare as they are. */
export function sortAnomalies<T extends ExpectedAnomaly>(list: readonly T[]): T[] {
  const key = (a: ExpectedAnomaly) => a.rows.map((r) => `${r.table}:${r.key}`).join(',');
  return [...list].sort((a, b) =>
    a.profileId < b.profileId
      ? -1
      : a.profileId > b.profileId
        ? 1
        : KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)! ||
          String(a.symbol).localeCompare(String(b.symbol)) ||
          String(a.tradeId).localeCompare(String(b.tradeId)) ||
          key(a).localeCompare(key(b)),
  );
}

/** Accumulates the expectations profile by profile, as generation goes. */
export class ExpectedBuilder {
  readonly #anomalies: ExpectedAnomaly[] = [];
  readonly #injections: InjectionRecord[] = [];
  readonly #decisions: ExpectedReconDecision[] = [];
  readonly #orphans: string[] = [];
  #assigned = 0;
  #normalised = 0;
  #history = 0;

  /** Adds one generated profile. */
  add(profile: ProfileOutcome): void {
    const { profileId } = profile;
    for (const stream of profile.streams) {
      this.#assigned += streamAnomalies(profileId, stream, this.#anomalies).length;
      for (const { injection, record } of stream.injected) {
        this.#injections.push({ injection, profileId, symbol: stream.symbol, tradeId: record.tradeId });
        if (injection === 'orphan_exit') this.#orphans.push(record.orphanId!);
        if (injection === 'blank_trade_id') this.#normalised += record.historyIds.length;
        if (injection === 'blank_trade_id' || injection === 'missing_trade_id') this.#history += record.historyIds.length;
      }
      if (stream.end !== null)
        this.#injections.push({
          injection: stream.end,
          profileId,
          symbol: stream.symbol,
          tradeId: stream.end === 'untracked_position' ? null : stream.final.tradeId,
        });
      const decision = reconDecision(profile, stream);
      if (decision !== null) this.#decisions.push(decision);
    }
  }

  /** The expectations for the whole run. */
  build(endAt: Date): Expected {
    const decisions = [...this.#decisions].sort((a, b) =>
      a.profileId < b.profileId ? -1 : a.profileId > b.profileId ? 1 : a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.tradeId < b.tradeId ? -1 : 1,
    );
    return {
      anomalies: sortAnomalies(this.#anomalies),
      injections: this.#injections,
      backfill: { assigned: this.#assigned, normalised: this.#normalised, history: this.#history, orphanExits: [...this.#orphans].sort() },
      recon: {
        now: endAt.toISOString(),
        lookbackHours: RECON_DEFAULTS.lookbackHours,
        dustAbsQty: RECON_DEFAULTS.dustAbsQty,
        dustRelPct: RECON_DEFAULTS.dustRelPct,
        requirePause: true,
        decisions,
      },
    };
  }
}
