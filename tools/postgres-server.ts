// The test and benchmark PostgreSQL server as a process of its own: starts a cluster, prints one
// JSON line ({"url", "port"}) on stdout when it accepts connections, and stops it when its stdin
// closes (its parent stopped it, or died) or on SIGTERM / SIGINT. Keeping the server out of the
// test runner's process keeps the runner's exit code its own.
// Usage: node tools/postgres-server.ts ROOT [SETTINGS_JSON]
import { rmSync } from 'node:fs';
import { startCluster, type Cluster } from './postgres-cluster.ts';

const [root, settingsJson] = process.argv.slice(2);
if (root === undefined) {
  process.stderr.write('usage: node tools/postgres-server.ts ROOT [SETTINGS_JSON]\n');
  process.exit(2);
}

let cluster: Cluster | undefined;
let stopping = false;

/** Stops the server (once it is up) and removes its data and binaries. */
async function shutdown(running: Cluster): Promise<void> {
  await running.stop();
  rmSync(`${root}/data`, { recursive: true, force: true });
  rmSync(`${root}/pg-bin`, { recursive: true, force: true });
  process.stdin.destroy();
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (cluster !== undefined) await shutdown(cluster);
}

process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();

try {
  cluster = await startCluster({ root, settings: JSON.parse(settingsJson ?? '{}') as Record<string, string> });
  if (stopping) await shutdown(cluster);
  else process.stdout.write(`${JSON.stringify({ url: cluster.url, port: cluster.port })}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
  process.stdin.destroy();
}
