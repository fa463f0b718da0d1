import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateUp } from '../../src/migrate/up.ts';
import { openDatabase } from '../../src/db/open.ts';
import { packSource } from '../../src/packs/registry.ts';
import { settings, type BenchContext, type Figure } from '../lib/context.ts';
import { median } from '../lib/stats.ts';

const BIN = fileURLToPath(new URL('../../bin/tradeledger.js', import.meta.url));

/** Milliseconds from spawning `node args` until `ready` matches its stdout (then it is stopped with SIGTERM), or until it exits. */
function spawnUntil(args: readonly string[], ready: RegExp | undefined): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let readyMs: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (readyMs === undefined && ready !== undefined && ready.test(out)) {
        readyMs = Number(process.hrtime.bigint() - started) / 1e6;
        child.kill('SIGTERM');
      }
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (ready === undefined) resolve(Number(process.hrtime.bigint() - started) / 1e6);
      else if (readyMs !== undefined) resolve(readyMs);
      else reject(new Error(`exited with ${String(code)} before it was ready: ${out}`));
    });
  });
}

/** 8. How long `tradeledger serve` takes from spawn to ready on a migrated embedded database, beside a bare `node -e 0`. */
export async function daemonStartup(context: BenchContext): Promise<Figure[]> {
  const url = `pglite:${join(context.scratch, 'daemon-pglite')}`;
  const db = await openDatabase(url);
  try {
    await migrateUp(db, await packSource('bot-ledger'), settings());
  } finally {
    await db.close();
  }
  const runs = Math.max(5, context.sizes.runs);
  const daemon: number[] = [];
  const bare: number[] = [];
  for (let run = 1; run <= runs; run++) {
    // Side by side: one bare Node start, then one daemon start, in each round.
    bare.push(await spawnUntil(['-e', '0'], undefined));
    daemon.push(await spawnUntil([BIN, 'serve', '--db', url, '--port', '0'], /Daemon started successfully/));
    context.log(`  run ${run}: daemon ${Math.round(daemon.at(-1)!)} ms, node -e 0 ${Math.round(bare.at(-1)!)} ms`);
  }
  const ready = median(daemon);
  return [
    { bench: '8 daemon start-up (PGlite)', figure: 'spawn to ready, median', value: ready, unit: 'ms', target: '< 5000 ms', met: ready < 5000 },
    { bench: '8 daemon start-up (PGlite)', figure: 'ratio to a bare `node -e 0`, median', value: ready / median(bare), unit: '×' },
  ];
}
