// dbmate's commands: migrate new, migrate wait (and --wait), migrate dump, --migrations-table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { readHistory } from '../../src/migrate/history.ts';
import { waitForDatabase } from '../../src/migrate/wait.ts';
import { catalogSnapshot } from '../helpers/catalog.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, postgresAdminUrl } from '../helpers/databases.ts';
import { PORTABLE_MIGRATIONS, writeMigrations } from '../helpers/migrations.ts';

async function withDb<T>(url: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP forwarder from `port` to the test PostgreSQL server: the database "coming up" on that port. */
async function forward(port: number): Promise<{ server: Server; sockets: Socket[] }> {
  const target = new URL(postgresAdminUrl());
  const sockets: Socket[] = [];
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.push(client, upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, sockets };
}

describe('migrate new', () => {
  it('writes the dbmate template named after the folder: next number, or a timestamp among timestamps', async () => {
    const test = await createTestDatabase('sqlite');
    try {
      const plain = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
      const made = await cli('migrate', 'new', 'add fees', '--dir', plain, '--json');
      assert.equal(made.code, 0, made.stderr);
      assert.equal(JSON.parse(made.stdout).fileName, '004_add_fees.sql');
      assert.equal(readFileSync(join(plain, '004_add_fees.sql'), 'utf8'), '-- migrate:up\n\n\n-- migrate:down\n\n');
      const stamped = writeMigrations(test.dir, { '20240115093000_a.sql': '-- migrate:up\nSELECT 1;\n' }, 'stamped');
      assert.equal((await cli('migrate', 'new', 'b', '--dir', stamped)).code, 0);
      const names = readdirSync(stamped).sort();
      assert.equal(names.length, 2);
      assert.match(names[1]!, /^\d{14}_b\.sql$/);
      assert.ok(Number(names[1]!.slice(0, 14)) > 20240115093000);
    } finally {
      await test.cleanup();
    }
  });
});

describe('migrate wait', () => {
  it('waits until a PostgreSQL server accepts connections', async () => {
    const port = await freePort();
    const url = new URL(postgresAdminUrl());
    url.port = String(port);
    let forwarder: Awaited<ReturnType<typeof forward>> | undefined;
    try {
      const result = await waitForDatabase(url.toString(), {
        timeoutMs: 60_000,
        pollMs: 50,
        // The first try found nothing listening: the server "starts" now.
        onRetry: async (attempt) => {
          if (attempt === 1) forwarder = await forward(port);
        },
      });
      assert.equal(result.attempts, 2);
    } finally {
      for (const socket of forwarder?.sockets ?? []) socket.destroy();
      await new Promise<void>((resolve) => (forwarder === undefined ? resolve() : forwarder.server.close(() => resolve())));
    }
  });

  it('gives up at --wait-timeout with exit 1 naming the database, and --wait runs before a command', async () => {
    const port = await freePort();
    const url = new URL(postgresAdminUrl());
    url.port = String(port);
    url.password = 'secret-word';
    const run = await cli('migrate', 'wait', '--db', url.toString(), '--wait-timeout', '300ms');
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port}.* did not accept connections within 300ms .*raise --wait-timeout`));
    assert.doesNotMatch(run.stderr, /secret-word/);
    const test = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
      const up = await cli('migrate', 'up', '--wait', '--db', test.url, '--dir', dir, '--yes');
      assert.equal(up.code, 0, up.stderr);
      const status = await cli('migrate', 'status', '--wait', '--db', test.url, '--dir', dir);
      assert.equal(status.code, 0, status.stderr);
    } finally {
      await test.cleanup();
    }
  });
});

for (const kind of ['sqlite', 'pglite'] as const) {
  describe(`migrate dump on ${kind}`, () => {
    it('prints a schema that loads into an empty database as the same catalog and history', async () => {
      const source = await createTestDatabase(kind);
      const copy = await createTestDatabase(kind);
      try {
        const dir = writeMigrations(source.dir, PORTABLE_MIGRATIONS);
        assert.equal((await cli('migrate', 'up', '--db', source.url, '--dir', dir, '--yes', '--allow-unsafe')).code, 0);
        const out = join(source.dir, 'schema.sql');
        const dump = await cli('migrate', 'dump', '--db', source.url, '--out', out);
        assert.equal(dump.code, 0, dump.stderr);
        const sql = readFileSync(out, 'utf8');
        // An --out that cannot be written is bad input, in one line.
        const unwritable = await cli('migrate', 'dump', '--db', source.url, '--out', join(source.dir, 'no-such-folder', 'schema.sql'));
        assert.equal(unwritable.code, 2, unwritable.stderr);
        assert.match(unwritable.stderr, /^tradeledger: --out '.*schema\.sql' cannot be written \(.*ENOENT.*\): give a file in a folder that exists/);
        assert.match(sql, /CREATE TABLE (public\.)?accounts/);
        assert.match(sql, /INSERT INTO (public\.)?schema_version \(version, applied_at/);
        await withDb(copy.url, (db) => db.exec(sql));
        const [expected, loaded] = await Promise.all([withDb(source.url, catalogSnapshot), withDb(copy.url, catalogSnapshot)]);
        assert.equal(loaded, expected);
        assert.deepEqual(
          (await withDb(copy.url, (db) => readHistory(db))).rows.map((row) => [row.version, row.checksum]),
          (await withDb(source.url, (db) => readHistory(db))).rows.map((row) => [row.version, row.checksum]),
        );
      } finally {
        await source.cleanup();
        await copy.cleanup();
      }
    });

    it('is read-only: a database that is not there is exit 2, and nothing is created', async () => {
      const test = await createTestDatabase(kind);
      try {
        const missing = join(test.dir, kind === 'sqlite' ? 'typo.db' : 'typo-dir');
        const before = readdirSync(test.dir).sort();
        const dump = await cli('migrate', 'dump', '--db', `${kind}:${missing}`);
        assert.equal(dump.code, 2, dump.stderr);
        assert.match(dump.stderr, /no database at .*migrate up creates it/);
        assert.equal(dump.stdout, '');
        assert.deepEqual(readdirSync(test.dir).sort(), before);
      } finally {
        await test.cleanup();
      }
    });
  });
}

describe('migrate dump on a PostgreSQL server', () => {
  it('uses pg_dump, and says what to install when it is missing or older than the server', async () => {
    const test = await createTestDatabase('postgres');
    try {
      await cli('migrate', 'up', '--db', test.url, '--dir', 'examples/migrations', '--yes');
      const dump = await cli('migrate', 'dump', '--db', test.url);
      if (dump.code === 0) assert.match(dump.stdout, /CREATE TABLE public\.accounts/);
      else {
        assert.equal(dump.code, 1, dump.stderr);
        assert.match(dump.stderr, /pg_dump on PATH is older than the server: .*install the PostgreSQL client of the server's major version or newer/);
      }
      const path = process.env['PATH'];
      process.env['PATH'] = '/nonexistent';
      try {
        const missing = await cli('migrate', 'dump', '--db', test.url);
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, /needs pg_dump, and it is not on PATH: install the PostgreSQL client/);
      } finally {
        process.env['PATH'] = path;
      }
    } finally {
      await test.cleanup();
    }
  });
});
