import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, databaseUrl, type BenchContext, type Figure } from '../lib/context.ts';
import { median, spread, whole } from '../lib/stats.ts';

const BIN = fileURLToPath(new URL('../../bin/tradeledger.js', import.meta.url));
const DBMATE = fileURLToPath(new URL('../../node_modules/@dbmate/linux-x64/bin/dbmate', import.meta.url));
const BENCH = '9 CLI start-up';

/** Milliseconds one command takes from spawn to exit; throws when it fails. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${String(result.status)}: ${result.stderr.trim()}`);
  return ms;
}

/** `count` small migrations in the format both tradeledger and dbmate read (NNN_name.sql, `-- migrate:up` / `-- migrate:down`). */
function smallMigrations(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  for (let n = 1; n <= count; n++) {
    const v = String(n).padStart(3, '0');
    writeFileSync(
      join(dir, `${v}_create_t${v}.sql`),
      `-- migrate:up\nCREATE TABLE t${v} (id BIGINT PRIMARY KEY, name TEXT NOT NULL);\n\n-- migrate:down\nDROP TABLE t${v};\n`,
    );
  }
}

/**
 * 9. How fast the CLI starts, each figure beside its reference in the same round: `--help` and
 * `migrate status` (a migrated bot-ledger on the benchmark server) against a bare `node -e 0`, and
 * `migrate up` of 100 small migrations on a fresh database against `dbmate up` of the same files
 * on another fresh database. The compile cache is warmed by one run of each command first (a
 * user's second start); the first, cold start is reported on its own.
 */
export async function cliStartup(context: BenchContext): Promise<Figure[]> {
  const runs = Math.max(7, context.sizes.runs);
  const cache = join(context.scratch, 'compile-cache');
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cache };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  delete env.DATABASE_URL;
  const migrations = join(context.scratch, 'hundred-migrations');
  smallMigrations(migrations, 100);
  await admin(context.server, 'DROP DATABASE IF EXISTS cli_small WITH (FORCE)');
  await admin(context.server, 'CREATE DATABASE cli_small');
  const small = databaseUrl(context.server, 'cli_small');
  const cold = run(process.execPath, [BIN, '--help'], env);
  run(process.execPath, [BIN, 'migrate', 'up', '--pack', 'bot-ledger', '--db', small, '--yes'], env);

  const bare: number[] = [];
  const help: number[] = [];
  const status: number[] = [];
  const ours: number[] = [];
  const dbmate: number[] = [];
  for (let round = 0; round <= runs; round++) {
    const b = run(process.execPath, ['-e', '0'], env);
    const h = run(process.execPath, [BIN, '--help'], env);
    const s = run(process.execPath, [BIN, 'migrate', 'status', '--pack', 'bot-ledger', '--db', small], env);
    for (const name of ['cli_ours', 'cli_dbmate']) {
      await admin(context.server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin(context.server, `CREATE DATABASE ${name}`);
    }
    const o = run(process.execPath, [BIN, 'migrate', 'up', '--dir', migrations, '--db', databaseUrl(context.server, 'cli_ours'), '--yes'], env);
    const dbmateUrl = `${databaseUrl(context.server, 'cli_dbmate')}?sslmode=disable`;
    const d = run(DBMATE, ['--url', dbmateUrl, '--migrations-dir', migrations, '--no-dump-schema', 'up'], env);
    // Round 0 warms the compile cache and the server's catalog caches; it is not counted.
    if (round === 0) continue;
    bare.push(b);
    help.push(h);
    status.push(s);
    ours.push(o);
    dbmate.push(d);
    context.log(
      `  run ${round}: node -e 0 ${Math.round(b)} ms, --help ${Math.round(h)} ms, status ${Math.round(s)} ms, up ×100 ${Math.round(o)} ms, dbmate ${Math.round(d)} ms`,
    );
  }
  const helpRatio = median(help.map((h, i) => h / bare[i]!));
  const upRatio = median(ours.map((o, i) => o / dbmate[i]!));
  return [
    { bench: BENCH, figure: 'bare `node -e 0`, median', value: median(bare), unit: 'ms', note: spread(bare, 'ms', whole) },
    { bench: BENCH, figure: '`tradeledger --help`, median', value: median(help), unit: 'ms', note: spread(help, 'ms', whole) },
    {
      bench: BENCH,
      figure: '`tradeledger --help` ÷ `node -e 0` (median of per-round ratios)',
      value: helpRatio,
      unit: '×',
      target: '≤ 4',
      met: helpRatio <= 4,
    },
    { bench: BENCH, figure: '`tradeledger --help`, first start (cold compile cache)', value: cold, unit: 'ms' },
    {
      bench: BENCH,
      figure: '`migrate status --pack bot-ledger` on a small PostgreSQL database, median',
      value: median(status),
      unit: 'ms',
      note: spread(status, 'ms', whole),
      target: '≤ 250 ms',
      met: median(status) <= 250,
    },
    { bench: BENCH, figure: '`migrate up` of 100 small migrations (lint included), median', value: median(ours), unit: 'ms', note: spread(ours, 'ms', whole) },
    {
      bench: BENCH,
      figure: '`dbmate up` of the same 100 files (dbmate from npm), median',
      value: median(dbmate),
      unit: 'ms',
      note: spread(dbmate, 'ms', whole),
    },
    {
      bench: BENCH,
      figure: 'tradeledger ÷ dbmate, 100 migrations (median of per-round ratios)',
      value: upRatio,
      unit: '×',
      target: '≤ 1.5',
      met: upRatio <= 1.5,
    },
  ];
}
