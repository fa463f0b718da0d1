import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../../db/port.ts';
import { SafetyError, UsageError } from '../../errors.ts';
import { requireApplyAllowed, requireEnabled, type ReconFlags } from '../../recon/flags.ts';
import { ensureAuditTable, insertAudit, listFreqtradeAudit, type FtAuditDecision } from './audit.ts';
import { backupFirst } from './backup.ts';
import { afterImage, beforeImage, writeClose } from './close-rows.ts';
import { decideFreqtrade, type FtDecision } from './decide.ts';
import type { FtEvidence, FtEvidenceLoader } from './evidence.ts';
import { matchFills } from './match.ts';
import { rolledBackExits } from './reinstate.ts';
import { readOrders, readTrades, type FtOrder, type FtTrade } from './rows.ts';
import { requireFreqtradeSchema } from './schema.ts';
import { requireBotStopped, type StopGateOptions } from './stop-gate.ts';

/** How a reconciliation of a freqtrade database runs. */
export interface FreqtradeReconOptions {
  readonly flags: ReconFlags;
  /** Gathers the evidence for the open trades (a ccxt dump: `async () => dumpEvidence(dump)`). */
  readonly evidence: FtEvidenceLoader;
  /** `run` decides and, with dry run off, applies; `plan` records PENDING_APPLY rows; `apply` applies a planned batch. */
  readonly mode: 'run' | 'plan' | 'apply';
  readonly batchId?: string;
  /** The stop-the-bot gate's settings: freqtrade's REST API, the operator's word that the bot is stopped, where /proc is. */
  readonly gate?: StopGateOptions | undefined;
  /** Where the SQLite backup goes (default: beside the database file). */
  readonly backupDir?: string | null | undefined;
  /** Only these trades (trades.id). */
  readonly tradeIds?: readonly number[] | undefined;
  readonly now?: Date;
}

/** One decision, as printed and returned. */
export interface FtDecisionSummary {
  readonly tradeId: number;
  readonly pair: string;
  readonly decision: FtAuditDecision;
  readonly reason: string | null;
  readonly detail: string | null;
  readonly openQty: string;
  readonly filledQty: string;
  readonly dustQty: string;
  readonly threshold: string;
  readonly exitOrderIds: readonly string[];
  readonly close: Readonly<Record<string, string | boolean | null>> | null;
}

/** What a reconciliation of a freqtrade database did. */
export interface FreqtradeReconResult {
  readonly mode: 'disabled' | 'dry-run' | 'plan' | 'apply';
  readonly batchId: string | null;
  /** The SQLite online backup taken before writing, integrity-checked. */
  readonly backup: string | null;
  readonly decisions: readonly FtDecisionSummary[];
  readonly counts: Readonly<Partial<Record<FtAuditDecision, number>>>;
}

function nothingToApply(batchId: string): SafetyError {
  return new SafetyError(`batch ${batchId} has no trade left open to apply: nothing was written`, 'NOTHING_TO_APPLY');
}

function newBatchId(now: Date): string {
  return `FT-${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
}

/** Decides every open trade (or those named) from the evidence, reading inside `conn` (pure decisions on fresh reads). */
async function openTrades(conn: Queryable, dialect: 'postgres' | 'sqlite', tradeIds: readonly number[] | undefined): Promise<FtTrade[]> {
  return (await readTrades(conn, dialect, { sql: 'is_open = $1', params: [true] })).filter((t) => tradeIds === undefined || tradeIds.includes(t.id));
}

async function decideAll(
  conn: Queryable,
  dialect: 'postgres' | 'sqlite',
  options: FreqtradeReconOptions,
  evidence: FtEvidence,
): Promise<{ trade: FtTrade; decision: FtDecision }[]> {
  const open = await openTrades(conn, dialect, options.tradeIds);
  if (open.length === 0) return [];
  const pairs = [...new Set(open.map((t) => t.pair))];
  const placeholders = pairs.map((_, i) => `$${i + 1}`).join(', ');
  const orders = await readOrders(conn, dialect, { sql: `ft_pair IN (${placeholders})`, params: pairs });
  const knownByPair = new Map<string, Set<string>>();
  for (const o of orders) knownByPair.set(o.ftPair, (knownByPair.get(o.ftPair) ?? new Set()).add(o.orderId));
  // Our own exit rows a rollback canceled are not "known" to their own trade's match: the same fills
  // close it again, into those rows. To any other trade on the pair they stay known (one row per order id).
  const rolledBack = await rolledBackExits(
    conn,
    dialect,
    open.map((t) => t.id),
  );
  const knownTo = (trade: FtTrade): Set<string> => {
    const known = new Set(knownByPair.get(trade.pair));
    for (const orderId of rolledBack.get(trade.id)?.keys() ?? []) known.delete(orderId);
    return known;
  };
  const byTrade = new Map<number, FtOrder[]>();
  for (const o of orders) if (o.ftTradeId !== null) byTrade.set(o.ftTradeId, [...(byTrade.get(o.ftTradeId) ?? []), o]);
  return open.map((trade) => ({
    trade,
    decision: decideFreqtrade({
      trade,
      orders: byTrade.get(trade.id) ?? [],
      match: matchFills(trade, evidence.fills, knownTo(trade), new Set((byTrade.get(trade.id) ?? []).filter((o) => o.ftIsOpen).map((o) => o.orderId))),
      exchangeQty: evidence.exchangeQty(trade),
      rolledBack: rolledBack.get(trade.id) ?? new Map(),
      evidenceProblems: evidence.problems,
      flags: options.flags,
    }),
  }));
}

function summary(decision: FtDecision, outcome: FtAuditDecision): FtDecisionSummary {
  const first = decision.failed[0];
  return {
    tradeId: decision.tradeId,
    pair: decision.pair,
    decision: outcome,
    reason: first?.reason ?? null,
    detail: (decision.go ? decision.notes : decision.failed.map((f) => f.detail)).join('; ') || null,
    openQty: decision.openQty.toFixed(),
    filledQty: decision.filledQty.toFixed(),
    dustQty: decision.dustQty.toFixed(),
    threshold: decision.threshold.toFixed(),
    exitOrderIds: decision.orders.map((o) => o.orderId),
    close: decision.close === null ? null : afterImage(decision.close),
  };
}

function countsOf(decisions: readonly FtDecisionSummary[]): Partial<Record<FtAuditDecision, number>> {
  const counts: Partial<Record<FtAuditDecision, number>> = {};
  for (const d of decisions) counts[d.decision] = (counts[d.decision] ?? 0) + 1;
  return counts;
}

async function auditRow(tx: Queryable, batchId: string, trade: FtTrade, decision: FtDecision, outcome: FtAuditDecision, at: string): Promise<void> {
  const s = summary(decision, outcome);
  await insertAudit(tx, {
    batchId,
    tradeId: trade.id,
    pair: trade.pair,
    decision: outcome,
    reason: s.reason,
    detail: s.detail,
    openQty: s.openQty,
    filledQty: s.filledQty,
    dustQty: s.dustQty,
    dustThreshold: s.threshold,
    exchangeQty: decision.exchangeQty?.toFixed() ?? null,
    exitOrderIds: s.exitOrderIds,
    evidenceHash: decision.evidenceHash,
    beforeImage: beforeImage(trade),
    afterImage: s.close,
    createdAt: at,
  });
}

/**
 * Reconciles ghost trades of a freqtrade database (open there, closed on the exchange) from a ccxt
 * dump, with the gates of docs/runbooks/reconciliation-exit-backfill.md: the switch and dry run
 * (a dry run writes nothing at all: the database belongs to a bot that may be running), the
 * exchange flat, the remainder within the dust threshold; before any write the stop-the-bot gate
 * and an online backup; then, in one transaction that holds the write lock and checks the gate
 * again, an audit row for every decision followed by the closes. Reruns are idempotent: a closed
 * trade is no longer open, and exchange orders the database has are skipped, except our own exit
 * rows a rollback canceled, which a close after the rollback fills again (see reinstate.ts).
 */
export async function reconcileFreqtrade(db: Database, options: FreqtradeReconOptions): Promise<FreqtradeReconResult> {
  const { dialect } = await requireFreqtradeSchema(db);
  const now = options.now ?? new Date();
  const at = now.toISOString();
  const { flags } = options;
  if (options.mode === 'run' && !flags.enabled) return { mode: 'disabled', batchId: null, backup: null, decisions: [], counts: {} };
  if (options.mode === 'run' && flags.dryRun) {
    const evidence = await options.evidence(await openTrades(db, dialect, options.tradeIds));
    const decisions = (await decideAll(db, dialect, options, evidence)).map(({ decision }) => summary(decision, decision.go ? 'DRY_RUN' : 'NO_GO'));
    return { mode: 'dry-run', batchId: null, backup: null, decisions, counts: countsOf(decisions) };
  }
  if (options.mode === 'plan') requireEnabled(flags, 'plan');
  else requireApplyAllowed(flags);
  let planned: Map<number, string> | undefined;
  if (options.mode === 'apply') {
    if (options.batchId === undefined) throw new UsageError('--batch <id> is required (see recon audit --ledger freqtrade)', 'BAD_FLAG');
    const rows = await listFreqtradeAudit(db, dialect, { batchId: options.batchId });
    if (rows.length === 0)
      throw new UsageError(`no batch ${options.batchId} in the audit: plan one with 'tradeledger recon plan --ledger freqtrade'`, 'NO_BATCH');
    planned = new Map(rows.filter((r) => r.decision === 'PENDING_APPLY' && r.evidenceHash !== null).map((r) => [r.tradeId, r.evidenceHash as string]));
  }
  await requireBotStopped(db, db, options.gate);
  const scope = planned === undefined ? options : { ...options, tradeIds: [...planned.keys()] };
  const open = await openTrades(db, dialect, scope.tradeIds);
  const batchId = options.batchId ?? newBatchId(now);
  // Refused before the backup: a refusal leaves nothing behind, not even a copy of the database.
  if (open.length === 0 && options.mode === 'apply') throw nothingToApply(batchId);
  // Gathered before the transaction (a live exchange is slow); a trade opened meanwhile has no evidence and is refused.
  const evidence = await options.evidence(open);
  const backup = options.mode === 'plan' ? null : await backupFirst(db, batchId, options.backupDir);
  const decisions = await db.transaction(
    async (tx) => {
      // PostgreSQL: the tables are locked first, so a bot that connects after the re-check below
      // cannot write a trade or an order before this transaction ends.
      if (dialect === 'postgres') await tx.exec('LOCK TABLE trades, orders IN SHARE ROW EXCLUSIVE MODE');
      // The gate again, now that this transaction holds the write lock (SQLite) or the table locks (PostgreSQL).
      await requireBotStopped(db, tx, { ...options.gate, apiUrl: undefined });
      await ensureAuditTable(tx, dialect);
      const decided = await decideAll(tx, dialect, scope, evidence);
      const out: FtDecisionSummary[] = [];
      for (const { trade, decision } of decided) {
        let outcome: FtAuditDecision = decision.go ? (options.mode === 'plan' ? 'PENDING_APPLY' : 'APPLIED') : 'NO_GO';
        let effective = decision;
        if (planned !== undefined && decision.go && planned.get(trade.id) !== decision.evidenceHash) {
          outcome = 'NO_GO';
          effective = {
            ...decision,
            go: false,
            close: null,
            failed: [{ reason: 'evidence_changed_since_plan', detail: 'the evidence or the trade changed since the plan: plan again' }],
          };
        }
        // The audit row first: a close is never written without the row that explains it.
        await auditRow(tx, batchId, trade, effective, outcome, at);
        if (outcome === 'APPLIED') await writeClose(tx, trade, effective, at.replace('T', ' ').replace('Z', '000'));
        out.push(summary(effective, outcome));
      }
      return out;
    },
    { immediate: true },
  );
  if (decisions.length === 0 && options.mode === 'apply') {
    throw nothingToApply(batchId);
  }
  return { mode: options.mode === 'plan' ? 'plan' : 'apply', batchId, backup, decisions, counts: countsOf(decisions) };
}
