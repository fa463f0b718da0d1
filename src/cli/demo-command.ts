import { rmSync } from 'node:fs';
import { Command } from 'commander';
import { parseDatabaseUrl, withDatabase } from '../db/open.ts';
import { SafetyError } from '../errors.ts';
import { runDemo } from '../demo/runbook.ts';
import { resolveConfig, resolveJobSettings, resolveSettings } from './context.ts';
import type { CliIo } from './io.ts';

/** The embedded database the demo makes anew each run (its own folder, never the user's data). */
export const DEMO_DATABASE_URL = 'pglite:.tradeledger/demo';

type Flags = { readonly db?: string; readonly config?: string };

async function demo(io: CliIo, flags: Flags): Promise<void> {
  const config = resolveConfig({ ...flags, ...(flags.db === undefined ? { db: DEMO_DATABASE_URL } : {}) });
  const url = flags.db ?? DEMO_DATABASE_URL;
  if (flags.db === undefined) {
    const parsed = parseDatabaseUrl(url);
    rmSync(parsed.target, { recursive: true, force: true });
  }
  const started = Date.now();
  let step = 0;
  await withDatabase(url, async (db) => {
    if (flags.db !== undefined) {
      const tables = await db.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()`);
      if (Number(tables[0]?.n ?? 0) > 0) {
        throw new SafetyError(
          `${db.url} is not empty: the demo builds its schema and sample data from nothing; give it an empty database (or leave out --db to use ${DEMO_DATABASE_URL})`,
          'NOT_EMPTY',
        );
      }
    }
    io.out(`tradeledger demo on ${db.url}\n`);
    const result = await runDemo(db, { ...resolveSettings(config), createBackup: false }, resolveJobSettings(config), (title, lines) => {
      step++;
      io.out(`${String(step).padStart(2)}. ${title}`);
      for (const line of lines) io.out(`    ${line}`);
    });
    const blockingLeft = result.finalReport.anomalies.some((a) => a.blocking);
    io.out(
      `\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s; ${blockingLeft ? 'blocking anomalies remain' : 'the report is clean of blocking anomalies'}`,
    );
    if (blockingLeft) io.exitCode = 1;
  });
}

/** `tradeledger demo`: the specifications' runbooks, end to end, on generated sample data. */
export function demoCommand(io: CliIo): Command {
  return new Command('demo')
    .description('walk the lifecycle and reconciliation runbooks on generated sample data, step by step (default: a fresh embedded database)')
    .option('--db <url>', `an empty database to use instead of ${DEMO_DATABASE_URL} (which is made anew each run)`)
    .option('--config <path>', 'configuration file (default: TRADELEDGER_CONFIG, then ./tradeledger.yaml)')
    .action((flags: Flags) => demo(io, flags));
}
