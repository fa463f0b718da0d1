// Helpers for the daemon's tests: a daemon in this process (fast, its database handle at hand) or
// the real binary as a child (for signals), and readers for its pino lines and Prometheus text.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { packSource } from '../../src/packs/registry.ts';
import { startDaemon, type Daemon } from '../../src/service/daemon.ts';
import { daemonLogger } from '../../src/service/logger.ts';
import { spawnCli } from '../helpers/cli.ts';
import { waitFor, watch, type WatchedChild } from '../helpers/processes.ts';

/** An admin token long enough for the daemon to accept. */
export const TOKEN = 'test-admin-token-0123456789abcdef';

/** The environment that makes a cycle apply on the recon fixture (its fills are in January 2026). */
export const APPLY_ENV: Readonly<Record<string, string>> = {
  ENABLE_RECON_EXIT_BACKFILL: 'true',
  RECON_EXIT_BACKFILL_DRY_RUN: 'false',
  RECON_EXIT_BACKFILL_LOOKBACK_HOURS: String(3650 * 24),
};

/** The bot-ledger pack's latest version, so that the tests follow the pack when it grows. */
export const BOT_LEDGER_LATEST = Math.max(...(await packSource('bot-ledger')).migrations.map((migration) => migration.version));

/** One pino line, parsed. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** Parses the JSON lines of a daemon's stdout; anything else is skipped. */
export function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** A daemon running in this process, with the lines it logged. */
export interface InProcessDaemon {
  readonly daemon: Daemon;
  readonly base: string;
  lines(): LogLine[];
}

/** Starts a daemon in this process on `url` with a tradeledger.yaml in `dir` and the given environment. */
export async function startInProcess(url: string, dir: string, options: { env?: Record<string, string>; yaml?: string } = {}): Promise<InProcessDaemon> {
  const file = join(dir, 'tradeledger.yaml');
  writeFileSync(file, options.yaml ?? 'serve:\n  port: 0\n');
  const { config } = loadConfig({ configPath: file, env: options.env ?? {} });
  let text = '';
  const log = daemonLogger(
    {
      write: (line: string) => {
        text += line;
      },
    },
    'debug',
  );
  const daemon = await startDaemon({ config, url, log, env: options.env ?? {} });
  return { daemon, base: daemon.address, lines: () => logLines(text) };
}

/** The real binary running `serve`, once it has logged that it started. */
export interface ChildDaemon {
  readonly watched: WatchedChild;
  readonly base: string;
  /** Milliseconds from spawn to the "Daemon started successfully" line. */
  readonly readyMs: number;
  lines(): LogLine[];
}

/** Spawns `tradeledger serve --port 0 …args` and waits for its start-up line (or its exit, which fails). */
export async function spawnDaemon(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<ChildDaemon> {
  const spawnedAt = Date.now();
  const watched = watch(spawnCli(['serve', '--port', '0', ...args], { cwd: options.cwd, ...(options.env === undefined ? {} : { env: options.env }) }));
  const lines = () => logLines(watched.stdout());
  let exited = false;
  void watched.exited.then(() => (exited = true));
  const started = await waitFor(
    'the daemon to log that it started',
    () => {
      if (exited) throw new Error(`the daemon exited before it started: ${watched.stderr()}${watched.stdout()}`);
      return lines().find((line) => line.msg === 'Daemon started successfully');
    },
    120_000,
  );
  const readyMs = Date.now() - spawnedAt;
  return { watched, base: `http://127.0.0.1:${String(started['port'])}`, readyMs, lines };
}

/** A sample's value in Prometheus text, e.g. metric(text, 'tradeledger_recon_cycles_total', { outcome: 'ok' }); undefined when absent. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** fetch with a JSON body and the admin token unless told otherwise. */
export async function post(url: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
