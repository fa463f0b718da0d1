import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** A child process whose output is collected as it arrives, so a test can wait for a line. */
export interface WatchedChild {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited, with its code or the signal that ended it. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly at: number }>;
}

/** Collects a spawned child's stdout and stderr and tracks its exit. */
export function watch(child: ChildProcess): WatchedChild {
  let out = '';
  let err = '';
  child.stdout?.on('data', (data: Buffer) => (out += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (err += data.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Kills a child that is still running (SIGKILL) and waits for it, so that no test leaves one behind. */
export async function reap(watched: WatchedChild | undefined): Promise<void> {
  if (watched === undefined) return;
  if (watched.child.exitCode === null && watched.child.signalCode === null) watched.child.kill('SIGKILL');
  await watched.exited.catch(() => undefined);
}

/**
 * Polls `probe` until it returns something other than undefined, null or false; fails naming
 * `what` after `timeoutMs`, a bound on a hang (generous, for a loaded machine), never a speed check.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 120_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A plain node-postgres connection the test drives by hand (a lock holder, a writer, an observer). */
export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'tradeledger-test' });
  // A backend the test terminates on purpose must not crash the test process.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Closes connections, ignoring ones already gone. */
export async function disconnect(...clients: readonly (pg.Client | undefined)[]): Promise<void> {
  await Promise.all(clients.map((client) => client?.end().catch(() => undefined)));
}
