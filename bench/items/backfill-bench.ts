import { runBackfill } from '../../src/lifecycle/backfill.ts';
import { admin, copyDatabase, jobSettings, withDb, type BenchContext, type Figure } from '../lib/context.ts';
import { median, timed } from '../lib/stats.ts';

/**
 * 4. `lifecycle backfill --apply` over a ledger whose bot rows have no trade_id: rows per second
 * and the longest single transaction, against one UPDATE of the same rows on an identical copy.
 */
export async function backfillThroughput(context: BenchContext, template: string): Promise<Figure[]> {
  const rates: number[] = [];
  const longest: number[] = [];
  const plainRates: number[] = [];
  for (let run = 1; run <= context.sizes.runs; run++) {
    await copyDatabase(context.server, template, 'bench_backfill');
    await withDb(context.server, 'bench_backfill', async (db) => {
      let slowest = 0;
      const result = await timed(() =>
        runBackfill(db, {
          apply: true,
          settings: jobSettings(),
          onProgress: (progress) => {
            slowest = Math.max(slowest, progress.transactionMs);
          },
        }),
      );
      const rows = result.result.assigned + result.result.history + result.result.normalised;
      rates.push(rows / (result.ms / 1000));
      longest.push(slowest);
      context.log(`  run ${run}: ${rows} rows in ${Math.round(result.ms)} ms, longest transaction ${Math.round(slowest)} ms`);
    });
    await copyDatabase(context.server, template, 'bench_backfill_plain');
    await withDb(context.server, 'bench_backfill_plain', async (db) => {
      const update = await timed(() =>
        db.query(`UPDATE orders SET trade_id = 'TRD-' || left(order_id, -1), updated_at = now() WHERE trade_id IS NULL AND source = 'bot'`),
      );
      const rows = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE trade_id IS NOT NULL`))[0]!.n);
      plainRates.push(rows / (update.ms / 1000));
    });
    await admin(context.server, 'DROP DATABASE bench_backfill WITH (FORCE)');
    await admin(context.server, 'DROP DATABASE bench_backfill_plain WITH (FORCE)');
  }
  const slowest = median(longest);
  const bench = '4 backfill throughput';
  return [
    { bench, figure: 'lifecycle backfill --apply (orders + trade_history rows changed)', value: median(rates), unit: 'rows/s' },
    {
      bench,
      figure: 'longest single transaction (its planning and writes), median',
      value: slowest,
      unit: 'ms',
      note: `min ${Math.round(Math.min(...longest))} / max ${Math.round(Math.max(...longest))} ms over ${longest.length} runs`,
      target: '≤ 1000 ms',
      met: slowest <= 1000,
    },
    { bench, figure: 'one UPDATE of the same orders rows', value: median(plainRates), unit: 'rows/s' },
    { bench, figure: 'one UPDATE of the same rows ÷ lifecycle backfill (rows/s, medians)', value: median(plainRates) / median(rates), unit: '×' },
  ];
}
