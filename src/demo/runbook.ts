import { Decimal } from 'decimal.js';
import type { Database } from '../db/port.ts';
import { tableEvidence } from '../evidence/table.ts';
import { generateLedger } from '../generate/generate.ts';
import { runBackfill } from '../lifecycle/backfill.ts';
import { lifecycleReport, type LifecycleReport } from '../lifecycle/report.ts';
import { takeSnapshot } from '../lifecycle/snapshot.ts';
import { guardrailStates, tighten } from '../lifecycle/tighten.ts';
import { migrateUp } from '../migrate/up.ts';
import type { EngineSettings } from '../migrate/settings.ts';
import { packSource } from '../packs/registry.ts';
import { readPhaseB } from '../packs/bot-ledger/verify.ts';
import { applyBatch } from '../recon/apply-batch.ts';
import { runReconCycle, type ReconDeps } from '../recon/cycle.ts';
import type { ReconFlags } from '../recon/flags.ts';
import { verifyRecon } from '../recon/report.ts';
import { rollbackBatch } from '../recon/rollback.ts';
import type { ShortTransactionSettings } from '../lifecycle/short-transaction.ts';

/** What the demo prints: a step's title, then what it found and did. */
export type Say = (title: string, lines: readonly string[]) => void;

/** The demo's sample: small enough for a minute on a laptop, with every anomaly kind. */
export const DEMO_SAMPLE = { profiles: 6, orders: 4000, anomalyRate: '0.05', seed: 'tradeledger-demo' } as const;

function counts(report: LifecycleReport): string {
  const entries = Object.entries(report.counts);
  return entries.length === 0 ? 'none' : entries.map(([kind, n]) => `${kind} ${n}`).join(', ');
}

function blocking(report: LifecycleReport): number {
  return report.anomalies.filter((a) => a.blocking).length;
}

/** The outcome: the final report, for the CLI to set its exit code from. */
export interface DemoResult {
  readonly finalReport: LifecycleReport;
}

/**
 * Walks the runbooks on a new, empty database: schema to the base version, generated history
 * with every anomaly kind, the lifecycle plan's Phases A–D (docs/runbooks/trade-lifecycle-integrity.md)
 * and the reconciliation checklist's dry run, go/no-go, apply, validation, rollback and re-apply
 * (docs/runbooks/reconciliation-exit-backfill.md),
 * printing what each step found and did.
 */
export async function runDemo(db: Database, settings: EngineSettings, jobs: ShortTransactionSettings, say: Say): Promise<DemoResult> {
  const pack = await packSource('bot-ledger');
  const base = await migrateUp(db, pack, { ...settings, verifyAfter: true }, { to: 6 });
  say('Schema: bot-ledger up to the base version', [`version ${base.from} → ${base.to}: ${base.applied.map((s) => s.fileName).join(', ')}`]);

  const generated = await generateLedger(db, DEMO_SAMPLE);
  const rows = generated.summary.rows;
  say('Sample history (tradeledger generate)', [
    `${DEMO_SAMPLE.profiles} profiles, ${rows['orders']} orders, ${rows['trade_history']} trade_history rows, ${rows['exchange_fills']} exchange fills (seed '${DEMO_SAMPLE.seed}')`,
    `${generated.summary.injected} injected anomalies at rate ${DEMO_SAMPLE.anomalyRate}; the report must find ${generated.expected.anomalies.length}`,
  ]);

  // docs/runbooks/trade-lifecycle-integrity.md Phase A: the counts, stored as a snapshot.
  const snapshot = await takeSnapshot(db, 'demo: Phase A');
  const total = snapshot.profiles.find((p) => p.profileId === '*')!;
  say('Phase A: snapshot (lifecycle snapshot; docs/runbooks/trade-lifecycle-integrity.md)', [
    `orders ${total.ordersTotal}, missing trade_id ${total.ordersMissingTradeId}, distinct trade ids ${total.ordersDistinctTradeIds}`,
    `trade_history ${total.historyTotal}, missing trade_id ${total.historyMissingTradeId}; stored as snapshot ${snapshot.snapshotId}`,
  ]);

  const before = await lifecycleReport(db);
  say('Reconciliation report, before (lifecycle report)', [`${before.anomalies.length} anomalies: ${counts(before)}`, `${blocking(before)} block validation`]);

  const dry = await runBackfill(db, { apply: false, settings: jobs });
  say('Phase A: backfill dry run (lifecycle backfill; docs/runbooks/trade-lifecycle-integrity.md)', [
    `would normalise ${dry.normalised} blank id(s), assign ${dry.assigned} deterministic id(s), fill ${dry.history} trade_history id(s)`,
    `${dry.orphanExits.length} orphan EXIT(s) no lifecycle can absorb would stay NULL; nothing was written`,
  ]);

  const guardrails = await migrateUp(db, pack, settings);
  const phaseB = await readPhaseB(db);
  say('Phase B: non-blocking guardrails (migrate up: 007; docs/runbooks/trade-lifecycle-integrity.md)', [
    `applied ${guardrails.applied.map((s) => s.fileName).join(', ')} (indexes CONCURRENTLY, constraints NOT VALID)`,
    `indexes: ${phaseB.indexes.join(', ')}`,
    `constraints: ${phaseB.constraints.map((c) => `${c.name} convalidated=${c.validated}`).join(', ')}`,
  ]);

  const applied = await runBackfill(db, { apply: true, settings: jobs });
  const afterBackfill = await lifecycleReport(db);
  say('Phase C: backfill (lifecycle backfill --apply), then the report (docs/runbooks/trade-lifecycle-integrity.md)', [
    `batch ${applied.batchId}: normalised ${applied.normalised}, assigned ${applied.assigned}, trade_history ${applied.history}`,
    `report: ${afterBackfill.anomalies.length} anomalies: ${counts(afterBackfill)}`,
  ]);

  const recon = generated.expected.recon;
  const now = new Date(recon.now);
  const flags: ReconFlags = {
    enabled: true,
    dryRun: true,
    requirePause: true,
    dustAbsQty: new Decimal(recon.dustAbsQty),
    dustRelPct: new Decimal(recon.dustRelPct),
    lookbackMs: recon.lookbackHours * 3_600_000,
    mismatchThrottleMs: 300_000,
  };
  const deps: ReconDeps = { evidence: await tableEvidence(db), flags, pause: { kind: 'table' } };
  const dryRun = await runReconCycle(db, deps, { now, full: true });
  const bfill = await db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM orders WHERE order_id LIKE 'BFILL-%'`);
  say('Recon §5: dry run (ENABLE_RECON_EXIT_BACKFILL=true, DRY_RUN=true; docs/runbooks/reconciliation-exit-backfill.md)', [
    `batch ${dryRun.batchId}: ${Object.entries(dryRun.counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    // docs/runbooks/reconciliation-exit-backfill.md §5, step 5: a dry run inserts no BFILL- order.
    `§5 check: BFILL rows in orders = ${bfill[0]!.n} (dry run touches no order)`,
  ]);

  const refusals = dryRun.audit.filter((a) => a.decision === 'NO_GO');
  say('Recon §6: go / no-go (docs/runbooks/reconciliation-exit-backfill.md)', [
    `GO for ${new Set(dryRun.audit.filter((a) => a.decision === 'DRY_RUN').map((a) => a.tradeId)).size} lifecycle(s) with exchange fill evidence or dust; pause confirmed from trading_status`,
    `NO_GO for ${refusals.length}: ${[...new Set(refusals.map((a) => a.reason))].join(', ') || 'none'} (left for an operator)`,
  ]);

  const plan = await runReconCycle(db, deps, { mode: 'plan', now });
  const apply = await applyBatch(db, { ...deps, flags: { ...flags, dryRun: false } }, plan.batchId!, now);
  say('Recon §7: apply (plan, then apply --batch; docs/runbooks/reconciliation-exit-backfill.md)', [
    `batch ${plan.batchId}: ${Object.entries(apply.counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  ]);

  const verify = await verifyRecon(db);
  say('Recon §8: post-fix validation (recon verify; docs/runbooks/reconciliation-exit-backfill.md)', [
    `${verify.stillOpen.length} lifecycle(s) still open above 0.000001 (the NO_GO ones)`,
    `decisions: ${verify.decisions.map((d) => `${d.decision} ${d.rows}`).join(', ')}`,
  ]);

  const rollback = await rollbackBatch(db, plan.batchId!);
  const again = await applyBatch(db, { ...deps, flags: { ...flags, dryRun: false } }, plan.batchId!, now);
  say('Recon §9: rollback, then apply again (docs/runbooks/reconciliation-exit-backfill.md)', [
    `rollback: ${rollback.canceled} backfill order(s) canceled (status only), ${rollback.auditRowsMarked} audit row(s) marked; nothing deleted`,
    `re-apply: ${Object.entries(again.counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')} (${again.audit.filter((a) => a.reason.startsWith('reinstated')).length} reinstated)`,
  ]);

  // What a person decides: the rows behind blocking anomalies came from manual trades or an older
  // bot, so they are reclassified as manual with no trade_id (allowed by the guardrails). Printed
  // in full, because a tool never decides this on its own.
  const blockers = (await lifecycleReport(db)).anomalies.filter((a) => a.blocking);
  const orderIds = [...new Set(blockers.flatMap((a) => a.rows.filter((r) => r.table === 'orders').map((r) => r.key)))];
  const historyIds = [...new Set(blockers.flatMap((a) => a.rows.filter((r) => r.table === 'trade_history').map((r) => r.key)))];
  await db.transaction(async (tx) => {
    await tx.query(`UPDATE orders SET source = 'manual', trade_id = NULL, updated_at = now() WHERE order_id = ANY ($1::text[])`, [orderIds]);
    await tx.query(`UPDATE trade_history SET trade_id = NULL WHERE id::text = ANY ($1::text[])`, [historyIds]);
  });
  say('Operator: resolve what blocks validation', [
    `${blockers.length} blocking anomalies (${[...new Set(blockers.map((a) => a.kind))].join(', ')})`,
    `reclassified ${orderIds.length} order(s) as manual with no trade_id and cleared ${historyIds.length} trade_history id(s): ${orderIds.slice(0, 6).join(', ')}${orderIds.length > 6 ? ', …' : ''}`,
  ]);

  const tightened = await tighten(db, jobs);
  say(
    'Phase D: validate the guardrails (lifecycle tighten; docs/runbooks/trade-lifecycle-integrity.md)',
    tightened.constraints.map((c) => `${c.table}.${c.name}: convalidated=${c.convalidated}`),
  );

  const finalReport = await lifecycleReport(db);
  const states = await guardrailStates(db);
  say('Final report (lifecycle report)', [
    `${blocking(finalReport)} blocking anomalies; ${states.every((s) => s.convalidated) ? 'all five guardrails validated' : 'guardrails not validated'}`,
    finalReport.anomalies.length === 0 ? 'no anomalies' : `left for follow-up, none blocking: ${counts(finalReport)}`,
  ]);
  await deps.evidence.close();
  return { finalReport };
}
