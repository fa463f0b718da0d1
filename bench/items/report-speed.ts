import { lifecycleReport } from '../../src/lifecycle/report.ts';
import { withDb, type BenchContext, type Figure } from '../lib/context.ts';
import { median, timed } from '../lib/stats.ts';

// The lower bound: one aggregate scan computing what reconciliation needs of every lifecycle, its
// entry and exit quantity (the aggregate of docs/runbooks/reconciliation-exit-backfill.md §1, without
// its filter on the result).
const BOUND = `SELECT count(*) FROM (
  SELECT profile_id, symbol, trade_id,
         SUM(CASE WHEN action = 'ENTRY' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS entry_qty,
         SUM(CASE WHEN action = 'EXIT' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS exit_qty
    FROM orders WHERE status IN ('filled', 'partially_filled', 'partially-filled')
   GROUP BY profile_id, symbol, trade_id) lifecycles`;
const PER_TRADE = `SELECT sum(COALESCE(quantity, qty, 0)) FILTER (WHERE action = 'ENTRY') AS entry_qty,
                          sum(COALESCE(quantity, qty, 0)) FILTER (WHERE action = 'EXIT') AS exit_qty
                     FROM orders WHERE profile_id = $1 AND trade_id = $2`;

/**
 * 2. `lifecycle report` over the whole ledger, against the lower bound of one aggregate scan of the
 * same rows and against a loop of one query per trade (timed on a sample and scaled up, said so).
 */
export async function reportSpeed(context: BenchContext, database: string): Promise<Figure[]> {
  return withDb(context.server, database, async (db) => {
    const report: number[] = [];
    const bound: number[] = [];
    for (let run = 1; run <= context.sizes.runs; run++) {
      bound.push((await timed(() => db.query(BOUND))).ms);
      report.push((await timed(() => lifecycleReport(db))).ms);
      context.log(`  run ${run}: report ${Math.round(report.at(-1)!)} ms, bound ${Math.round(bound.at(-1)!)} ms`);
    }
    const trades = Number((await db.query<{ n: string }>('SELECT count(DISTINCT (profile_id, trade_id)) AS n FROM orders'))[0]!.n);
    const sample = await db.query<{ profile_id: string; trade_id: string }>(
      'SELECT DISTINCT profile_id, trade_id FROM orders WHERE trade_id IS NOT NULL LIMIT 2000',
    );
    const loop = await timed(async () => {
      for (const key of sample) await db.query(PER_TRADE, [key.profile_id, key.trade_id]);
    });
    const perTrade = (loop.ms / sample.length) * trades;
    const ratio = median(report) / median(bound);
    const bench = '2 report speed';
    return [
      { bench, figure: `lifecycle report (${context.sizes.orders} orders, ${context.sizes.profiles} profiles)`, value: median(report), unit: 'ms' },
      // The §1 aggregate of docs/runbooks/reconciliation-exit-backfill.md (BOUND above).
      { bench, figure: 'lower bound: one aggregate scan (§1 entry/exit sums per lifecycle)', value: median(bound), unit: 'ms' },
      { bench, figure: 'report ÷ bound', value: ratio, unit: '×', target: '≤ 1.5', met: ratio <= 1.5 },
      { bench, figure: `per-trade loop (${sample.length} trades timed, scaled to ${trades})`, value: perTrade, unit: 'ms', note: 'extrapolated' },
    ];
  });
}
