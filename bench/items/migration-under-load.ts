import { migrateUp } from '../../src/migrate/up.ts';
import { packSource } from '../../src/packs/registry.ts';
import { tighten } from '../../src/lifecycle/tighten.ts';
import { BLANK_CHARACTERS_SQL, TRADE_ID_FORMAT_SQL } from '../../src/packs/bot-ledger/trade-id.ts';
import { admin, copyDatabase, jobSettings, settings, withDb, type BenchContext, type Figure } from '../lib/context.ts';
import { median, round } from '../lib/stats.ts';
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
 * identical copy, side by side in each run.
 */
export async function migrationUnderLoad(context: BenchContext, template: string): Promise<Figure[]> {
  const lifecycles = context.sizes.orders / 2;
  const ours: { p99: number; max: number }[] = [];
  const naive: { p99: number; max: number }[] = [];
  for (let run = 1; run <= context.sizes.runs; run++) {
    for (const kind of ['ours', 'naive'] as const) {
      const name = `bench_m_${kind}`;
      const url = await copyDatabase(context.server, template, name);
      const load = await withDb(context.server, name, async (db) => {
        const pack = await packSource('bot-ledger');
        return underWriteLoad(url, lifecycles, async () => {
          if (kind === 'ours') {
            await migrateUp(db, pack, settings());
            await tighten(db, jobSettings());
          } else {
            for (const statement of NAIVE) await db.exec(statement);
          }
        });
      });
      (kind === 'ours' ? ours : naive).push({ p99: load.p99Ms, max: load.maxMs });
      context.log(
        `  run ${run} ${kind}: writer p99 ${round(load.p99Ms)} ms, max ${round(load.maxMs)} ms over ${load.operations} writes (${load.errors} errors)`,
      );
      await admin(context.server, `DROP DATABASE ${name} WITH (FORCE)`);
    }
  }
  const ratio = median(ours.map((o, i) => naive[i]!.max / o.max));
  const oursMax = median(ours.map((o) => o.max));
  const bench = '1 migration under write load';
  return [
    { bench, figure: 'ours (007 + tighten): writer p99', value: median(ours.map((o) => o.p99)), unit: 'ms' },
    { bench, figure: 'ours: writer max stall', value: oursMax, unit: 'ms', target: '≤ 100 ms', met: oursMax <= 100 },
    { bench, figure: 'naive (CREATE INDEX, validated ADD CONSTRAINT): writer p99', value: median(naive.map((o) => o.p99)), unit: 'ms' },
    { bench, figure: 'naive: writer max stall', value: median(naive.map((o) => o.max)), unit: 'ms' },
    { bench, figure: 'max stall, naive ÷ ours (median of per-run ratios)', value: ratio, unit: '×', target: '≥ 20', met: ratio >= 20 },
  ];
}
