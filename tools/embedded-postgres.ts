// A real PostgreSQL server for the tests and the benchmarks, run by tools/postgres-server.ts in a
// child process (a development tool: nothing under src/ imports this).
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running server and how to stop it. */
export interface RunningPostgres {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./postgres-server.ts', import.meta.url));

/**
 * Starts a throwaway cluster in a new folder under the system's temporary directory (or under
 * `parent`), with extra server settings if given; `stop` stops it and removes what it made.
 * Rejects with the server process's one-line reason when it cannot start.
 */
export async function startEmbeddedPostgres(options: { parent?: string; settings?: Record<string, string> } = {}): Promise<RunningPostgres> {
  const root = options.parent === undefined ? mkdtempSync(join(tmpdir(), 'tradeledger-pg-')) : join(options.parent, 'postgres');
  mkdirSync(root, { recursive: true });
  // As root, PostgreSQL runs as an unprivileged `postgres` user, who must be able to reach the folder.
  chmodSync(root, 0o755);
  const child = spawn(process.execPath, [SERVER, root, JSON.stringify(options.settings ?? {})], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = await new Promise<{ url: string; port: number } | undefined>((resolve) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) resolve(JSON.parse(line) as { url: string; port: number });
    });
    void exited.then(() => resolve(undefined));
  });
  const removeRoot = () => {
    if (options.parent === undefined) rmSync(root, { recursive: true, force: true });
  };
  if (started === undefined) {
    removeRoot();
    throw new Error(stderr.trim() || 'the PostgreSQL test server exited before it was ready');
  }
  return {
    ...started,
    async stop() {
      child.stdin.end();
      await exited;
      removeRoot();
    },
  };
}
