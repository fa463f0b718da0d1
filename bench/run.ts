// `npm run bench [-- --quick] [-- --only 1,2]`: the benchmarks of issue 7 on a real PostgreSQL
// server started the way the tests start theirs. Prints a markdown table, writes JSON to
// bench/results/, and puts the latest table into bench/README.md with the machine it ran on.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateUp } from '../src/migrate/up.ts';
import { packSource } from '../src/packs/registry.ts';
import { startEmbeddedPostgres } from '../tools/embedded-postgres.ts';
import { admin, copyDatabase, FULL, QUICK, settings, withDb, type BenchContext, type Figure } from './lib/context.ts';
import { loadClosedLifecycles } from './lib/ledger-data.ts';
import { round } from './lib/stats.ts';
import { migrationUnderLoad } from './items/migration-under-load.ts';
import { reportSpeed } from './items/report-speed.ts';
import { backfillThroughput } from './items/backfill-bench.ts';
import { incrementalCycle, reconApply } from './items/recon-bench.ts';
import { sqliteUpgrade } from './items/sqlite-risk-state.ts';
import { orderExecutionLoad } from './items/order-execution-load.ts';
import { daemonStartup } from './items/daemon-startup.ts';
import { cliStartup } from './items/cli-startup.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args[args.indexOf('--only') + 1];
const only = args.includes('--only') && onlyArg !== undefined ? new Set(onlyArg.split(',').map(Number)) : undefined;
const sizes = quick ? QUICK : FULL;
const wanted = (n: number) => only === undefined || only.has(n);
const log = (message: string) => process.stderr.write(`${message}\n`);

const scratch = mkdtempSync(join(tmpdir(), 'tradeledger-bench-'));
// Benchmarks want a server tuned like a small production box, not initdb's defaults.
const server = await startEmbeddedPostgres({
  settings: { shared_buffers: '512MB', work_mem: '64MB', maintenance_work_mem: '256MB', max_wal_size: '4GB', synchronous_commit: 'on' },
});
const context: BenchContext = { server, sizes, scratch, log };
const figures: Figure[] = [];
const started = new Date();
try {
  const needsLedger = [1, 2, 3, 5].some(wanted);
  if (needsLedger) {
    log(`loading ${sizes.orders} orders over ${sizes.profiles} profiles …`);
    await admin(server, 'CREATE DATABASE bench_v6');
    await withDb(server, 'bench_v6', async (db) => {
      await migrateUp(db, await packSource('bot-ledger'), settings(), { to: 6 });
      await loadClosedLifecycles(db, { lifecycles: sizes.orders / 2, profiles: sizes.profiles });
    });
    await copyDatabase(server, 'bench_v6', 'bench_v7');
    await withDb(server, 'bench_v7', async (db) => migrateUp(db, await packSource('bot-ledger'), settings()));
  }
  if (wanted(1)) {
    log('1. migration under write load');
    figures.push(...(await migrationUnderLoad(context, 'bench_v6')));
  }
  if (wanted(2)) {
    log('2. report speed');
    figures.push(...(await reportSpeed(context, 'bench_v7')));
  }
  if (wanted(3)) {
    log('3. incremental cycle');
    figures.push(...(await incrementalCycle(context, 'bench_v7')));
  }
  if (wanted(4)) {
    log('4. backfill throughput');
    await admin(server, 'CREATE DATABASE bench_nulls');
    await withDb(server, 'bench_nulls', async (db) => {
      await migrateUp(db, await packSource('bot-ledger'), settings(), { to: 6 });
      await loadClosedLifecycles(db, { lifecycles: sizes.orders / 2, profiles: sizes.profiles, nullTradeIds: true });
      await migrateUp(db, await packSource('bot-ledger'), settings());
    });
    figures.push(...(await backfillThroughput(context, 'bench_nulls')));
  }
  if (wanted(5)) {
    log('5. recon apply');
    figures.push(...(await reconApply(context, 'bench_v7')));
    log('5b. recon apply on a ledger that keeps per-lifecycle summaries');
    figures.push(...(await reconApply(context, 'bench_v7', true)));
  }
  if (wanted(6)) {
    log('6. SQLite risk-state upgrade');
    figures.push(...(await sqliteUpgrade(context)));
  }
  if (wanted(7)) {
    log('7. order-execution query under load');
    figures.push(...(await orderExecutionLoad(context)));
  }
  if (wanted(8)) {
    log('8. daemon start-up');
    figures.push(...(await daemonStartup(context)));
  }
  if (wanted(9)) {
    log('9. CLI start-up');
    figures.push(...(await cliStartup(context)));
  }
} finally {
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL 18 (embedded-postgres)`;
const lines = [
  `| benchmark | figure | value | target | met |`,
  `|---|---|---|---|---|`,
  ...figures.map(
    (f) =>
      `| ${f.bench} | ${f.figure}${f.note === undefined ? '' : ` (${f.note})`} | ${round(f.value)} ${f.unit} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : '**no**'} |`,
  ),
];
const table = lines.join('\n');
process.stdout.write(`${table}\n`);
const here = fileURLToPath(new URL('.', import.meta.url));
mkdirSync(join(here, 'results'), { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, '-');
writeFileSync(
  join(here, 'results', `${stamp}${quick ? '-quick' : ''}.json`),
  `${JSON.stringify({ started: started.toISOString(), quick, sizes, machine, figures }, null, 2)}\n`,
);
if (!quick && only === undefined) {
  const readmePath = join(here, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const marker = /<!-- results -->[\s\S]*<!-- \/results -->/;
  const block = `<!-- results -->\nLatest full run: ${started.toISOString().slice(0, 16)} UTC on ${machine}. Each figure is the median of ${sizes.runs} or more runs; each comparison was measured side by side in the same run.\n\n${table}\n<!-- /results -->`;
  writeFileSync(readmePath, marker.test(readme) ? readme.replace(marker, block) : `${readme}\n${block}\n`);
}
