import { migrateUp } from '../../src/migrate/up.ts';
import { packSource } from '../../src/packs/registry.ts';
import { tighten } from '../../src/lifecycle/tighten.ts';
import { rebuildSummaries } from '../../src/lifecycle/summaries.ts';
import { BLANK_CHARACTERS_SQL, TRADE_ID_FORMAT_SQL } from '../../src/packs/bot-ledger/trade-id.ts';
import { admin, copyDatabase, jobSettings, settings, withDb, type BenchContext, type Figure } from '../lib/context.ts';
import { median, round, spread } from '../lib/stats.ts';
import { underWriteLoad } from '../lib/write-load.ts';

// The same five guardrails, the naive way: each ADD CONSTRAINT scans the table under ACCESS EXCLUSIVE.
const NAIVE = [
  'CREATE INDEX idx_orders_profile_trade_id ON orders (profile_id, trade_id)',
  'CREATE INDEX idx_trade_history_profile_trade_id ON trade_history (profile_id, trade_id)',
  `ALTER TABLE orders ADD CONSTRAINT chk_orders_trade_id_not_blank CHECK (trade_id IS NULL OR btrim(trade_id, ${BLANK_CHARACTERS_SQL}) <> '')`,
  `ALTER TABLE orders ADD CONSTRAINT chk_orders_trade_id_format CHECK (trade_id IS NULL OR trade_id ~ '${TRADE_ID_FORMAT_SQL}')`,
  `ALTER TABLE orders ADD CONSTRAINT chk_orders_action_lifecycle CHECK ((action IS NULL OR action IN ('ENTRY', 'EXIT')) AND (source <> 'bot' OR action IS NULL OR trade_id IS NOT NULL))`,
  `ALTER TABLE trade_history ADD CONSTRAINT chk_trade_history_trade_id_not_blank CHECK (trade_id IS NULL OR btrim(trade_id, ${BLANK_CHARACTERS_SQL}) <> '')`,
  `ALTER TABLE trade_history ADD CONSTRAINT chk_trade_history_trade_id_format CHECK (trade_id IS NULL OR trade_id ~ '${TRADE_ID_FORMAT_SQL}')`,
];

/**
 * 1. Bot-ledger 007 plus `lifecycle tighten` on the big orders table while a writer inserts and
 * updates, against the naive migration (plain CREATE INDEX, validated ADD CONSTRAINT) on an
 * identical copy, side by side in each run; and ours again on a copy that keeps the per-lifecycle
 * summaries (their triggers fire on every insert), for what the summaries cost the writer.
 */
export async function migrationUnderLoad(context: BenchContext, template: string): Promise<Figure[]> {
  const lifecycles = context.sizes.orders / 2;
  type Load = { p99: number; max: number; perSecond: number };
  const ours: Load[] = [];
  const naive: Load[] = [];
  const kept: Load[] = [];
  // The writer alone for a few seconds on the same copies, before the migration: the summaries' cost with nothing else running.
  const steady: Load[] = [];
  const steadyKept: Load[] = [];
  for (let run = 1; run <= context.sizes.runs; run++) {
    for (const kind of ['ours', 'summaries', 'naive'] as const) {
      const name = `bench_m_${kind}`;
      const url = await copyDatabase(context.server, template, name);
      const load = await withDb(context.server, name, async (db) => {
        const pack = await packSource('bot-ledger');
        if (kind === 'summaries') await rebuildSummaries(db);
        // Both copies settle the same way before the writer starts: the rebuild's million new rows
        // would otherwise be vacuumed and checkpointed while the writer is measured.
        await db.exec('VACUUM ANALYZE');
        await db.exec('CHECKPOINT');
        if (kind !== 'naive') {
          const alone = await underWriteLoad(url, lifecycles, () => new Promise((resolve) => setTimeout(resolve, 3000)));
          (kind === 'ours' ? steady : steadyKept).push({ p99: alone.p99Ms, max: alone.maxMs, perSecond: alone.perSecond });
          context.log(`  run ${run} ${kind}, writer alone: p99 ${round(alone.p99Ms)} ms over ${alone.operations} writes, ${round(alone.perSecond)}/s`);
        }
        return underWriteLoad(url, lifecycles, async () => {
          if (kind !== 'naive') {
            await migrateUp(db, pack, settings());
            await tighten(db, jobSettings());
          } else {
            for (const statement of NAIVE) await db.exec(statement);
          }
        });
      });
      ({ ours, summaries: kept, naive })[kind].push({ p99: load.p99Ms, max: load.maxMs, perSecond: load.perSecond });
      context.log(
        `  run ${run} ${kind}: writer p99 ${round(load.p99Ms)} ms, max ${round(load.maxMs)} ms over ${load.operations} writes, ${round(load.perSecond)}/s (${load.errors} errors)`,
      );
      await admin(context.server, `DROP DATABASE ${name} WITH (FORCE)`);
    }
  }
  const ratio = median(ours.map((o, i) => naive[i]!.max / o.max));
  const oursMax = median(ours.map((o) => o.max));
  const bench = '1 migration under write load';
  const p99Cost = median(kept.map((k, i) => k.p99 / ours[i]!.p99 - 1)) * 100;
  const rateCost = median(kept.map((k, i) => 1 - k.perSecond / ours[i]!.perSecond)) * 100;
  const steadyP99Cost = median(steadyKept.map((k, i) => k.p99 / steady[i]!.p99 - 1)) * 100;
  const steadyRateCost = median(steadyKept.map((k, i) => 1 - k.perSecond / steady[i]!.perSecond)) * 100;
  return [
    {
      bench,
      figure: 'ours (007 + tighten): writer p99, median',
      value: median(ours.map((o) => o.p99)),
      unit: 'ms',
      note: spread(
        ours.map((o) => o.p99),
        'ms',
      ),
    },
    {
      bench,
      figure: 'ours: writer max stall, median',
      value: oursMax,
      unit: 'ms',
      note: spread(
        ours.map((o) => o.max),
        'ms',
      ),
      target: '≤ 100 ms',
      met: oursMax <= 100,
    },
    { bench, figure: 'naive (CREATE INDEX, validated ADD CONSTRAINT): writer p99', value: median(naive.map((o) => o.p99)), unit: 'ms' },
    {
      bench,
      figure: 'naive: writer max stall, median',
      value: median(naive.map((o) => o.max)),
      unit: 'ms',
      note: spread(
        naive.map((o) => o.max),
        'ms',
      ),
    },
    { bench, figure: 'max stall, naive ÷ ours (median of per-run ratios)', value: ratio, unit: '×', target: '≥ 20', met: ratio >= 20 },
    {
      bench,
      figure: 'ours: writer throughput',
      value: median(ours.map((o) => o.perSecond)),
      unit: 'writes/s',
      note: spread(
        ours.map((o) => o.perSecond),
        '/s',
      ),
    },
    {
      bench,
      figure: 'ours with per-lifecycle summaries kept: writer p99',
      value: median(kept.map((k) => k.p99)),
      unit: 'ms',
      note: spread(
        kept.map((k) => k.p99),
        'ms',
      ),
    },
    {
      bench,
      figure: 'ours with summaries: writer throughput',
      value: median(kept.map((k) => k.perSecond)),
      unit: 'writes/s',
      note: spread(
        kept.map((k) => k.perSecond),
        '/s',
      ),
    },
    {
      bench,
      figure: 'summaries: writer p99 cost against ours without (median of per-run changes)',
      value: p99Cost,
      unit: '%',
      target: '< 10 %',
      met: p99Cost < 10,
    },
    {
      bench,
      figure: 'summaries: writer throughput cost against ours without (median of per-run changes)',
      value: rateCost,
      unit: '%',
      target: '< 10 %',
      met: rateCost < 10,
    },
    {
      bench,
      figure: 'writer alone (3 s, no migration): p99 without summaries, median',
      value: median(steady.map((o) => o.p99)),
      unit: 'ms',
      note: spread(
        steady.map((o) => o.p99),
        'ms',
      ),
    },
    {
      bench,
      figure: 'writer alone: p99 with summaries, median',
      value: median(steadyKept.map((o) => o.p99)),
      unit: 'ms',
      note: spread(
        steadyKept.map((o) => o.p99),
        'ms',
      ),
    },
    {
      bench,
      figure: 'writer alone: throughput without summaries, median',
      value: median(steady.map((o) => o.perSecond)),
      unit: 'writes/s',
      note: spread(
        steady.map((o) => o.perSecond),
        '/s',
      ),
    },
    {
      bench,
      figure: 'writer alone: throughput with summaries, median',
      value: median(steadyKept.map((o) => o.perSecond)),
      unit: 'writes/s',
      note: spread(
        steadyKept.map((o) => o.perSecond),
        '/s',
      ),
    },
    {
      bench,
      figure: 'summaries: writer-alone p99 cost (median of per-run changes)',
      value: steadyP99Cost,
      unit: '%',
      target: '< 10 %',
      met: steadyP99Cost < 10,
    },
    {
      bench,
      figure: 'summaries: writer-alone throughput cost (median of per-run changes)',
      value: steadyRateCost,
      unit: '%',
      target: '< 10 %',
      met: steadyRateCost < 10,
    },
  ];
}
