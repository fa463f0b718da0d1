import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseKind } from '../../src/db/port.ts';

/** A fresh, empty database for one test, and how to throw it away. */
export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly url: string;
  /** A folder of its own for files the test writes (SQLite files, backups, migrations). */
  readonly dir: string;
  cleanup(): Promise<void>;
}

function sharedRoot(): string {
  const root = process.env['TRADELEDGER_TEST_ROOT'];
  if (root === undefined) throw new Error('run tests through `npm test` (its global setup starts the databases)');
  return root;
}

/** The admin URL of the test PostgreSQL server. */
export function postgresAdminUrl(): string {
  const url = process.env['TRADELEDGER_TEST_PG_URL'];
  if (url === undefined) throw new Error('no test PostgreSQL server: run tests through `npm test`');
  return url;
}

/** A scratch folder under the run's temporary root. */
export function scratchDir(prefix = 'case-'): string {
  return mkdtempSync(join(sharedRoot(), prefix));
}

/** Runs one statement as the superuser on the test server's `postgres` database (databases, roles). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty database of `kind`: a new PostgreSQL database, a copied PGlite directory or a SQLite file. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const dir = scratchDir(`${kind}-`);
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  switch (kind) {
    case 'pglite': {
      const template = process.env['TRADELEDGER_TEST_PGLITE_TEMPLATE'];
      if (template === undefined) throw new Error('no PGlite template: run tests through `npm test`');
      cpSync(template, join(dir, 'pglite'), { recursive: true });
      return { kind, url: `pglite:${join(dir, 'pglite')}`, dir, cleanup: async () => cleanupDir() };
    }
    case 'sqlite':
      return { kind, url: `sqlite:${join(dir, 'state.db')}`, dir, cleanup: async () => cleanupDir() };
    case 'postgres': {
      const name = `tl_${randomBytes(6).toString('hex')}`;
      await adminQuery(`CREATE DATABASE ${name}`);
      const url = new URL(postgresAdminUrl());
      url.pathname = `/${name}`;
      return {
        kind,
        url: url.toString(),
        dir,
        cleanup: async () => {
          await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          cleanupDir();
        },
      };
    }
  }
}

/**
 * A new database of `source`'s kind holding what `source` holds, for tests that each start from the same
 * prepared state: a copied PGlite folder or SQLite file, or a PostgreSQL database made with `source` as its
 * template. Nothing may have `source` open while it is copied.
 */
export async function copyTestDatabase(source: TestDatabase): Promise<TestDatabase> {
  const dir = scratchDir(`${source.kind}-`);
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  switch (source.kind) {
    case 'pglite': {
      cpSync(source.url.slice('pglite:'.length), join(dir, 'pglite'), { recursive: true });
      return { kind: source.kind, url: `pglite:${join(dir, 'pglite')}`, dir, cleanup: async () => cleanupDir() };
    }
    case 'sqlite': {
      cpSync(source.url.slice('sqlite:'.length), join(dir, 'state.db'));
      return { kind: source.kind, url: `sqlite:${join(dir, 'state.db')}`, dir, cleanup: async () => cleanupDir() };
    }
    case 'postgres': {
      const name = `tl_${randomBytes(6).toString('hex')}`;
      await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${new URL(source.url).pathname.slice(1)}`);
      const url = new URL(source.url);
      url.pathname = `/${name}`;
      return {
        kind: source.kind,
        url: url.toString(),
        dir,
        cleanup: async () => {
          await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          cleanupDir();
        },
      };
    }
  }
}

/** The environment for a child tradeledger process: no DATABASE_URL or config leaking in from the test run. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (extra['DATABASE_URL'] === undefined) delete env['DATABASE_URL'];
  delete env['TRADELEDGER_CONFIG'];
  return env;
}
