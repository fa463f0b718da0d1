import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { migrateUp } from '../../src/migrate/up.ts';
import { packSource } from '../../src/packs/registry.ts';
import { admin, databaseUrl, settings, withDb, type BenchContext, type Figure } from '../lib/context.ts';
import { percentile } from '../lib/stats.ts';

const QUERY = 'SELECT * FROM orders WHERE trader_id = $1 ORDER BY created_at DESC LIMIT 20';
const CLIENTS = 10;

function hasPgbench(): boolean {
  return spawnSync('pgbench', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The latencies of 10 clients each running the query, from Node (used when pgbench is absent). */
async function nodeLoad(url: string, traders: readonly string[], perClient: number): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      for (let i = 0; i < perClient; i++) {
        const started = performance.now();
        await client.query(QUERY, [traders[(c * perClient + i) % traders.length]]);
        latencies.push(performance.now() - started);
      }
      await client.end();
    }),
  );
  return latencies;
}

/**
 * 7. The specification's query (a trader's 20 most recent orders) under 10 concurrent clients on
 * the order-execution schema: pgbench when the machine has it, else the same load from Node.
 */
export async function orderExecutionLoad(context: BenchContext): Promise<Figure[]> {
  const name = 'bench_exec';
  await admin(context.server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(context.server, `CREATE DATABASE ${name}`);
  const url = databaseUrl(context.server, name);
  const traders = await withDb(context.server, name, async (db) => {
    await migrateUp(db, await packSource('order-execution'), settings());
    await db.query(
      `INSERT INTO orders (trader_id, symbol, quantity, order_type, price, status, created_at)
       SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i % 1000), 12, '0'))::uuid, 'AAPL', 1 + i % 100, 'LIMIT', 100 + (i % 50), 'FILLED',
              timestamp '2026-01-01' + i * interval '1 second'
         FROM generate_series(1, $1::int) AS i`,
      [context.sizes.executionOrders],
    );
    await db.exec('ANALYZE orders');
    return (await db.query<{ trader_id: string }>('SELECT DISTINCT trader_id::text AS trader_id FROM orders')).map((r) => r.trader_id);
  });
  let latencies: number[];
  let tool: string;
  if (hasPgbench()) {
    const script = join(context.scratch, 'recent-orders.sql');
    writeFileSync(
      script,
      `\\set t random(0, 999)\nSELECT * FROM orders WHERE trader_id = ('00000000-0000-4000-8000-' || lpad(to_hex(:t), 12, '0'))::uuid ORDER BY created_at DESC LIMIT 20;\n`,
    );
    const log = join(context.scratch, 'pgbench');
    execFileSync('pgbench', ['-n', '-c', String(CLIENTS), '-t', '500', '-f', script, '-l', '--log-prefix', log, url], { stdio: 'ignore' });
    const { readdirSync, readFileSync } = await import('node:fs');
    latencies = readdirSync(context.scratch)
      .filter((file) => file.startsWith('pgbench.'))
      .flatMap((file) => readFileSync(join(context.scratch, file), 'utf8').trim().split('\n'))
      .map((line) => Number(line.split(' ')[2]) / 1000);
    tool = 'pgbench -c 10';
  } else {
    latencies = await nodeLoad(url, traders, 500);
    tool = '10 Node clients (no pgbench on this machine)';
  }
  await admin(context.server, `DROP DATABASE ${name} WITH (FORCE)`);
  const p95 = percentile(latencies, 95);
  const bench = '7 order-execution query';
  return [
    { bench, figure: `p50, ${tool}, ${context.sizes.executionOrders} orders`, value: percentile(latencies, 50), unit: 'ms' },
    { bench, figure: `p95, ${tool}`, value: p95, unit: 'ms', target: '< 1000 ms', met: p95 < 1000 },
  ];
}
