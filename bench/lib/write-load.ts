import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile } from './stats.ts';

/** What the writer saw while a measured operation ran. */
export interface WriteLoad {
  readonly operations: number;
  readonly errors: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Writes completed per second while the operation ran. */
  readonly perSecond: number;
}

/**
 * Runs `operation` while a separate writer process inserts and updates orders, and returns the
 * writer's latencies for operations that overlapped it (the stall a bot would feel).
 */
export async function underWriteLoad(url: string, existingLifecycles: number, operation: () => Promise<void>): Promise<WriteLoad> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../writer.ts', import.meta.url)), url, String(existingLifecycles)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('ready')) {
        clearInterval(check);
        resolve();
      }
    }, 20);
    child.once('exit', () => reject(new Error('writer exited early')));
  });
  await new Promise((resolve) => setTimeout(resolve, 500)); // warm up
  const start = performance.timeOrigin + performance.now();
  await operation();
  const end = performance.timeOrigin + performance.now();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const closed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await closed;
  const result = JSON.parse(output.slice(output.indexOf('\n') + 1).trim()) as { errors: number; samples: [number, number][] };
  const during = result.samples.filter(([at, ms]) => at + ms >= start && at <= end).map(([, ms]) => ms);
  return {
    operations: during.length,
    errors: result.errors,
    p99Ms: percentile(during, 99),
    maxMs: Math.max(...during),
    perSecond: during.length / ((end - start) / 1000),
  };
}
