import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, LockOptions, Queryable, Row, StatementTracer } from './port.ts';
import { LockHeldError } from './lock-held-error.ts';
import { withQueryContext } from './query-context.ts';

/** The slice of a node-postgres client that tradeledger uses. */
interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
}

function queryable(client: PgClientLike, trace: StatementTracer | undefined): Queryable {
  return {
    async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      trace?.({ sql, params, method: 'query' });
      try {
        return (await client.query(sql, params as unknown[])).rows as T[];
      } catch (error) {
        throw withQueryContext(error, sql);
      }
    },
    async exec(sql: string): Promise<void> {
      trace?.({ sql, params: [], method: 'exec' });
      try {
        await client.query(sql);
      } catch (error) {
        throw withQueryContext(error, sql);
      }
    },
  };
}

/** Two int4 keys for `pg_try_advisory_lock(int, int)`: a fixed namespace and a hash of the lock name. */
export function advisoryLockKeys(name: string): [number, number] {
  let hash = 0;
  for (const char of name) hash = (Math.imul(hash, 31) + char.codePointAt(0)!) | 0;
  return [0x544c4447, hash]; // 'TLDG'
}

async function lockHolder(client: PgClientLike, keys: [number, number]): Promise<string> {
  const { rows } = await client.query(
    `SELECT l.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1::bigint
        AND l.objid::bigint = ($2::bigint & 4294967295) AND l.objsubid = 2`,
    keys,
  );
  const row = rows[0];
  if (row === undefined) return 'holder pid unknown';
  const app = typeof row['application_name'] === 'string' && row['application_name'] !== '' ? ` (${row['application_name']})` : '';
  return `held by backend pid ${String(row['pid'])}${app}`;
}

// What to do about a connection the server or the network refused, by the driver's code.
const CONNECT_FIXES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing listens there: start the server (tradeledger migrate wait waits for it), or fix the host and port in --db (or DATABASE_URL)',
  ENOTFOUND: 'no such host: fix the host in --db (or DATABASE_URL)',
  EAI_AGAIN: 'the host name could not be resolved now: check DNS, or wait for it (tradeledger migrate wait)',
  ETIMEDOUT: 'the server did not answer: check the host, port and firewall, or wait for it (tradeledger migrate wait)',
  EHOSTUNREACH: 'the host cannot be reached: check the network, or wait for it (tradeledger migrate wait)',
  ENETUNREACH: 'the network cannot be reached: check the network, or wait for it (tradeledger migrate wait)',
  '28P01': 'check the user and password in --db (or DATABASE_URL, or PGPASSWORD)',
  '28000': "the server's pg_hba.conf does not let this user in from here: ask its administrator",
  '3D000': 'create the database first (createdb), or fix its name in --db',
};

/**
 * A failed first connection, with the database it was for and what to do, keeping the driver's
 * code (so `--wait` still knows an unreachable server) and the original error as its cause.
 */
function connectError(error: unknown, url: string): unknown {
  const code = (error as { code?: unknown }).code;
  const fix = typeof code === 'string' ? CONNECT_FIXES[code] : undefined;
  if (fix === undefined || !(error instanceof Error)) return error;
  return Object.assign(new Error(`cannot connect to ${url}: ${error.message.replace(/\s*\n\s*/g, ' ')}; ${fix}`, { cause: error }), { code });
}

/** A connection of its own for a lock, connecting from now on; a failure is kept for whoever awaits `connected`. */
interface LockConnection {
  readonly client: pg.Client;
  readonly connected: Promise<void>;
}

function lockConnection(config: pg.ClientConfig): LockConnection {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  const connected = client.connect().then(() => undefined);
  connected.catch(() => undefined);
  return { client, connected };
}

/** Ends a lock connection nobody took; one that never connected has nothing to end. */
async function discard(connection: LockConnection): Promise<void> {
  await connection.connected.then(
    () => connection.client.end(),
    () => undefined,
  );
}

/**
 * A PostgreSQL server through node-postgres: a small pool plus a dedicated connection per lock.
 * `lockAhead` (a command that takes a lock, `migrate up`): the first lock's connection is opened
 * beside the pool's first one rather than after it, so that taking the lock waits for no connect.
 */
export async function openPostgres(connectionString: string, url: string, trace?: StatementTracer, lockAhead = false): Promise<Database> {
  const config = { connectionString, application_name: 'tradeledger', max: 4 };
  const pool = new pg.Pool(config);
  // An idle client whose server went away must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  let ahead = lockAhead ? lockConnection(config) : null;
  let probe: pg.PoolClient;
  try {
    probe = await pool.connect();
  } catch (error) {
    // A caller that retries (serve --wait) opens a pool per try: none may linger.
    await pool.end().catch(() => undefined);
    if (ahead !== null) await discard(ahead).catch(() => undefined);
    throw connectError(error, url);
  }
  probe.release();
  const base = queryable(pool, trace);
  return {
    url,
    kind: 'postgres',
    dialect: 'postgres',
    capabilities: { transactionalDdl: true, advisoryLocks: true, concurrentIndexes: true, concurrentSessions: true },
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      const client = await pool.connect();
      const tx = queryable(client, trace);
      let broken = false;
      try {
        await tx.exec('BEGIN');
        const result = await fn(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection itself failed: do not hand it back to the pool
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn(queryable(client, trace));
      } finally {
        // A session may leave settings or an aborted transaction behind: never reuse its connection.
        client.release(true);
      }
    },
    async withLock<T>(name: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
      // Its own connection: if this process dies, the server ends the session and frees the lock.
      const connection = ahead ?? lockConnection(config);
      ahead = null;
      await connection.connected.catch((error: unknown) => {
        throw connectError(error, url);
      });
      const client = connection.client;
      const keys = advisoryLockKeys(name);
      try {
        // The lock's session sits idle for the whole run: a server-wide idle_session_timeout
        // (PostgreSQL 14+) would end it, and the lock with it, while the run goes on.
        await client.query(`SELECT set_config('idle_session_timeout', '0', false) WHERE current_setting('server_version_num')::int >= 140000`);
        const started = Date.now();
        for (;;) {
          const { rows } = await client.query('SELECT pg_try_advisory_lock($1, $2) AS locked', keys);
          if (rows[0]?.['locked'] === true) break;
          const waited = Date.now() - started;
          if (waited >= options.waitMs) throw new LockHeldError(name, await lockHolder(client, keys), waited);
          await sleep(Math.min(options.pollMs ?? 250, Math.max(1, options.waitMs - waited)));
        }
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock($1, $2)', keys);
        }
      } finally {
        await client.end();
      }
    },
    async close() {
      if (ahead !== null) {
        const unused = ahead;
        ahead = null;
        await discard(unused).catch(() => undefined);
      }
      if (!pool.ended) await pool.end();
    },
  };
}
