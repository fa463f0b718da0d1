import type { Database, Queryable } from '../db/port.ts';
import type { EvidenceResult, EvidenceSource } from '../evidence/port.ts';
import { allocateEvidence } from './allocate.ts';
import { decide, type Decision } from './decide.ts';
import { cycleLifecycles, recordedExitOrders, type CycleLifecycle, type LifecycleKey } from './detect.ts';
import type { ReconFlags } from './flags.ts';
import { pausedProfiles, type PauseSource } from './pause.ts';

/** One lifecycle and what was decided for it. */
export interface LifecycleDecision {
  readonly lifecycle: CycleLifecycle;
  readonly decision: Decision;
  readonly paused: boolean | null;
}

/** The exchange and the ledger disagree on a symbol's open quantity. */
export interface MismatchEvent {
  readonly profileId: string;
  readonly symbol: string;
  readonly ledgerOpen: string;
  readonly exchange: string | null;
}

/** Evidence per profile, gathered before the transaction (it may be a network call). */
export type EvidenceByProfile = ReadonlyMap<string, EvidenceResult>;

/** Which lifecycles a cycle looks at: a profile's or everyone's, all of them or just `keys`. */
export interface Scope {
  readonly profileId?: string | undefined;
  readonly keys?: readonly LifecycleKey[] | undefined;
}

/** Fetches the evidence for every profile with an open lifecycle in scope. */
export async function gatherEvidence(db: Database, source: EvidenceSource, flags: ReconFlags, scope: Scope, now: Date): Promise<EvidenceByProfile> {
  const open = await cycleLifecycles(db, scope.profileId, scope.keys);
  const symbols = new Map<string, Set<string>>();
  for (const l of open) symbols.set(l.profileId, (symbols.get(l.profileId) ?? new Set()).add(l.symbol));
  const since = new Date(now.getTime() - flags.lookbackMs);
  const queries = [...symbols].map(([profileId, set]) => ({ profileId, symbols: [...set].sort(), since, until: now }));
  if (source.gatherMany !== undefined) return source.gatherMany(queries);
  const result = new Map<string, EvidenceResult>();
  for (const query of queries) result.set(query.profileId, await source.gather(query));
  return result;
}

/**
 * Reads the ledger's facts (open lifecycles, pause state, blockers, recorded exits) inside `tx`
 * and decides every open lifecycle in scope with the evidence gathered before.
 */
export async function decideAll(
  tx: Queryable,
  evidence: EvidenceByProfile,
  flags: ReconFlags,
  pause: PauseSource,
  scope: Scope,
): Promise<{ decisions: LifecycleDecision[]; mismatches: MismatchEvent[] }> {
  const open = await cycleLifecycles(tx, scope.profileId, scope.keys);
  const byProfile = new Map<string, CycleLifecycle[]>();
  for (const l of open) byProfile.set(l.profileId, [...(byProfile.get(l.profileId) ?? []), l]);
  const decisions: LifecycleDecision[] = [];
  const mismatches: MismatchEvent[] = [];
  // One read for every profile's pause state and recorded exits, whatever the number of profiles.
  // The pause is held (FOR SHARE) until the batch commits: a resume cannot slip in between this
  // check and the insert of the exits it allows.
  const pausedBy = await pausedProfiles(tx, pause, [...byProfile.keys()], { hold: true });
  const recordedBy = await recordedExitOrders(tx, open);
  for (const [profileId, lifecycles] of byProfile) {
    const symbols = [...new Set(lifecycles.map((l) => l.symbol))].sort();
    const paused = pausedBy.get(profileId) ?? null;
    const recorded = recordedBy.get(profileId) ?? new Set<string>();
    const found: EvidenceResult = evidence.get(profileId) ?? {
      fills: [],
      positions: new Map(),
      complete: false,
      problems: ['no evidence was gathered for this profile'],
    };
    const unrecorded = found.fills.filter((fill) => !recorded.has(fill.exchangeOrderId));
    for (const symbol of symbols) {
      const mine = lifecycles.filter((l) => l.symbol === symbol);
      const allocations = allocateEvidence(
        mine,
        unrecorded.filter((f) => f.symbol === symbol),
      );
      const position = found.positions.get(symbol);
      const ledgerOpen = mine.reduce((sum, l) => sum.plus(l.openQty), mine[0]!.openQty.times(0));
      if (position === undefined || !position.quantity.equals(ledgerOpen)) {
        mismatches.push({ profileId, symbol, ledgerOpen: ledgerOpen.toString(), exchange: position?.quantity.toString() ?? null });
      }
      for (const lifecycle of mine) {
        const decision = decide({
          lifecycle,
          paused,
          exchangePosition: position?.quantity ?? null,
          pendingBlockers: lifecycle.pendingBlockers,
          evidenceComplete: found.complete,
          evidenceProblems: found.problems,
          allocations: allocations.get(lifecycle.tradeId) ?? [],
          flags,
        });
        decisions.push({ lifecycle, decision, paused });
      }
    }
  }
  return { decisions, mismatches };
}

/** Takes each profile's reconciliation lock for the transaction, in a fixed order so two runs cannot deadlock. */
export async function lockProfiles(tx: Queryable, profileIds: Iterable<string>): Promise<void> {
  const sorted = [...new Set(profileIds)].sort();
  if (sorted.length === 0) return;
  // One statement; WITH ORDINALITY keeps the order, so every run takes the locks in the same sequence.
  await tx.query(`SELECT pg_advisory_xact_lock(1414284370, hashtext(p)) FROM unnest($1::text[]) WITH ORDINALITY AS u(p, n) ORDER BY n`, [sorted]);
}
