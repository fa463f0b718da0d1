// tradeledger as a library, end to end on a fresh embedded database (or the URL given):
// migrate a bot ledger, fill it with sample history, report its lifecycle anomalies, run a
// reconciliation dry run, roll the last migration back, then start the daemon, which migrates
// forward again, and ask it for its health.
//
// In a project that depends on tradeledger: `node ledger-check.ts [DATABASE_URL]` (Node strips the
// types from 22.18), or compile it with tsc. In a checkout: `npm run build` first, since
// 'tradeledger' resolves to the compiled dist/.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Config,
  configSchema,
  daemonLogger,
  engineSettings,
  generateLedger,
  isTradeledgerError,
  lifecycleReport,
  migrateDown,
  migrateUp,
  openDatabase,
  openEvidenceSource,
  packSource,
  reconFlags,
  runReconCycle,
  startDaemon,
  withDatabase,
} from 'tradeledger';

const url = process.argv[2] ?? `pglite:${mkdtempSync(join(tmpdir(), 'tradeledger-example-'))}`;

// What tradeledger.yaml would hold, validated and completed with the defaults
// (loadConfig() reads the file and the environment instead).
const config: Config = configSchema.parse({
  database: { schema: { auto_migrate: true } },
  recon: { enabled: true, dry_run: true },
  serve: { port: 0 },
});
const settings = engineSettings(config);
const pack = await packSource('bot-ledger');

try {
  await withDatabase(url, async (db) => {
    const base = await migrateUp(db, pack, settings, { to: 6 });
    console.log(`bot-ledger: version ${base.from} → ${base.to} (${base.applied.length} applied)`);
    const sample = await generateLedger(db, { profiles: 2, orders: 300, seed: 'library-example' });
    console.log(`sample: ${sample.summary.rows['orders']} orders, ${sample.summary.injected} injected anomalies`);
    const guardrails = await migrateUp(db, pack, settings);
    console.log(`guardrails: version ${guardrails.from} → ${guardrails.to}`);

    const report = await lifecycleReport(db);
    console.log(`lifecycle report: ${report.anomalies.length} anomalies, blocking: ${report.blocking}`);

    const evidence = await openEvidenceSource(config.recon.evidence, db);
    try {
      const deps = { evidence, flags: reconFlags(config.recon), pause: { kind: 'table' as const } };
      const cycle = await runReconCycle(db, deps, { now: new Date(sample.expected.recon.now), full: true });
      const counts = Object.entries(cycle.counts).map(([decision, n]) => `${decision} ${n}`);
      console.log(`recon dry run: ${cycle.lifecycles} open lifecycles, ${counts.join(', ') || 'nothing to decide'}`);
    } finally {
      await evidence.close();
    }

    const down = await migrateDown(db, pack, settings, { steps: 1 });
    console.log(`down: version ${down.from} → ${down.to}`);
  });

  // openDatabase when you manage the handle yourself (withDatabase closes it for you).
  const db = await openDatabase(url);
  const [row] = await db.query<{ version: number }>('SELECT MAX(version) AS version FROM schema_version WHERE success');
  await db.close();
  console.log(`schema_version says ${row?.version}`);

  // The daemon checks the schema (auto_migrate: up again), serves HTTP and runs reconciliation cycles.
  const daemon = await startDaemon({ config, url, log: daemonLogger(undefined, 'error') });
  try {
    const health = await fetch(`${daemon.address}/healthz`);
    const body = (await health.json()) as { status: string; database: { schemaVersion: number } };
    console.log(`daemon: /healthz ${health.status} ${body.status}, schema version ${body.database.schemaVersion}`);
  } finally {
    await daemon.stop();
  }
} catch (error) {
  // Every error tradeledger raises on purpose has a stable code and the exit code the CLI would use.
  if (!isTradeledgerError(error)) throw error;
  console.error(`${error.code}: ${error.message}`);
  process.exitCode = error.exitCode;
}
