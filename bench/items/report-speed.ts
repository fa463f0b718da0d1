import type { Database } from '../../src/db/port.ts';
import { lifecycleReport } from '../../src/lifecycle/report.ts';
import { checkSummaries, rebuildSummaries } from '../../src/lifecycle/summaries.ts';
import { admin, copyDatabase, withDb, type BenchContext, type Figure } from '../lib/context.ts';
import { median, timed, spread, whole } from '../lib/stats.ts';

// The lower bound: one aggregate scan computing what reconciliation needs of every lifecycle, its
// entry and exit quantity (the aggregate of docs/runbooks/reconciliation-exit-backfill.md §1, without
// its filter on the result). The outer query uses the sums: with count(*) alone the planner drops
// them (EXPLAIN VERBOSE shows NULL::numeric), and the bound would understate one real scan.
const BOUND = `SELECT count(*), sum(entry_qty), sum(exit_qty) FROM (
  SELECT profile_id, symbol, trade_id,
         SUM(CASE WHEN action = 'ENTRY' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS entry_qty,
         SUM(CASE WHEN action = 'EXIT' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS exit_qty
    FROM orders WHERE status IN ('filled', 'partially_filled', 'partially-filled')
   GROUP BY profile_id, symbol, trade_id) lifecycles`;
const PER_TRADE = `SELECT sum(COALESCE(quantity, qty, 0)) FILTER (WHERE action = 'ENTRY') AS entry_qty,
                          sum(COALESCE(quantity, qty, 0)) FILTER (WHERE action = 'EXIT') AS exit_qty
                     FROM orders WHERE profile_id = $1 AND trade_id = $2`;

/** Refuses a bound whose plan computes no sums (the planner dropped them). */
async function assertBoundSums(db: Database): Promise<void> {
  const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE) ${BOUND}`)).map((r) => r['QUERY PLAN']).join('\n');
  if (plan.includes('NULL::numeric') || !/sum\(CASE WHEN/.test(plan)) throw new Error(`the bound's plan does not compute its sums:\n${plan}`);
}

/**
 * 2. `lifecycle report` over the whole ledger, as today (aggregating the ledger) and reading the
 * per-lifecycle summaries, each against the lower bound of one aggregate scan that uses its sums
 * (checked with EXPLAIN VERBOSE), measured side by side in every run; and a loop of one query per
 * trade (timed on a sample and scaled up, said so). The summaries are built on a copy of the ledger.
 */
export async function reportSpeed(context: BenchContext, template: string): Promise<Figure[]> {
  const name = 'bench_report';
  await copyDatabase(context.server, template, name);
  try {
    return await withDb(context.server, name, async (db) => {
      await assertBoundSums(db);
      const ledger: number[] = [];
      const bound: number[] = [];
      for (let run = 1; run <= context.sizes.runs; run++) {
        bound.push((await timed(() => db.query(BOUND))).ms);
        const report = await timed(() => lifecycleReport(db));
        if (report.result.readFrom !== 'ledger') throw new Error('the report read summaries on a ledger without them');
        ledger.push(report.ms);
        context.log(`  run ${run}: report (aggregating the ledger) ${Math.round(ledger.at(-1)!)} ms, bound ${Math.round(bound.at(-1)!)} ms`);
      }
      const rebuild = await timed(() => rebuildSummaries(db));
      const kept: number[] = [];
      const keptBound: number[] = [];
      for (let run = 1; run <= context.sizes.runs; run++) {
        keptBound.push((await timed(() => db.query(BOUND))).ms);
        const report = await timed(() => lifecycleReport(db));
        if (report.result.readFrom !== 'summaries') throw new Error('the report did not read the summaries');
        kept.push(report.ms);
        context.log(`  run ${run}: report (reading summaries) ${Math.round(kept.at(-1)!)} ms, bound ${Math.round(keptBound.at(-1)!)} ms`);
      }
      const check = await timed(() => checkSummaries(db));
      if (!check.result.ok) throw new Error(`the summaries differ from a recount in ${check.result.mismatchCount} lifecycles`);
      const trades = Number((await db.query<{ n: string }>('SELECT count(DISTINCT (profile_id, trade_id)) AS n FROM orders'))[0]!.n);
      const sample = await db.query<{ profile_id: string; trade_id: string }>(
        'SELECT DISTINCT profile_id, trade_id FROM orders WHERE trade_id IS NOT NULL LIMIT 2000',
      );
      const loop = await timed(async () => {
        for (const key of sample) await db.query(PER_TRADE, [key.profile_id, key.trade_id]);
      });
      const perTrade = (loop.ms / sample.length) * trades;
      const ledgerRatio = median(ledger.map((r, i) => r / bound[i]!));
      const keptRatio = median(kept.map((r, i) => r / keptBound[i]!));
      const bench = '2 report speed';
      const size = `${context.sizes.orders} orders, ${context.sizes.profiles} profiles`;
      return [
        {
          bench,
          figure: `lifecycle report aggregating the ledger (no summaries; ${size}), median`,
          value: median(ledger),
          unit: 'ms',
          note: spread(ledger, 'ms', whole),
        },
        // The §1 aggregate of docs/runbooks/reconciliation-exit-backfill.md (BOUND above).
        {
          bench,
          figure: 'lower bound: one aggregate scan using its §1 entry/exit sums (EXPLAIN VERBOSE checked), median',
          value: median([...bound, ...keptBound]),
          unit: 'ms',
          note: spread([...bound, ...keptBound], 'ms', whole),
        },
        { bench, figure: 'report aggregating the ledger ÷ bound (median of per-run ratios)', value: ledgerRatio, unit: '×' },
        { bench, figure: 'lifecycle report reading the per-lifecycle summaries, median', value: median(kept), unit: 'ms', note: spread(kept, 'ms', whole) },
        {
          bench,
          figure: 'report reading summaries ÷ bound (median of per-run ratios)',
          value: keptRatio,
          unit: '×',
          target: '≤ 1.5',
          met: keptRatio <= 1.5,
        },
        { bench, figure: `lifecycle summaries --rebuild (${rebuild.result.lifecycles} lifecycles, writers locked out)`, value: rebuild.ms, unit: 'ms' },
        { bench, figure: 'lifecycle summaries --check (recount and compare)', value: check.ms, unit: 'ms' },
        { bench, figure: `per-trade loop (${sample.length} trades timed, scaled to ${trades})`, value: perTrade, unit: 'ms', note: 'extrapolated' },
      ];
    });
  } finally {
    await admin(context.server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
