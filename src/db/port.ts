/** SQL family a database speaks; PGlite and PostgreSQL share `postgres`. */
export type Dialect = 'postgres' | 'sqlite';

/** Which adapter serves a database. */
export type DatabaseKind = 'pglite' | 'postgres' | 'sqlite';

/** One result row, keyed by column name. */
export type Row = Record<string, unknown>;

/** Something that runs SQL: a database, a transaction or a dedicated session. */
export interface Queryable {
  /** Runs one statement with positional parameters (`$1` on PostgreSQL, `?` on SQLite) and returns its rows. */
  query<T extends object = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of one or more statements, without parameters, as sent. */
  exec(sql: string): Promise<void>;
}

/** What a database can do, so that callers degrade instead of failing. */
export interface Capabilities {
  /** DDL inside a transaction rolls back with it. */
  readonly transactionalDdl: boolean;
  /** Session advisory locks (`pg_try_advisory_lock`) shared between processes. */
  readonly advisoryLocks: boolean;
  /** `CREATE INDEX CONCURRENTLY` builds without blocking writers. */
  readonly concurrentIndexes: boolean;
  /** Several sessions can run at once, so locks can be contended and time out. */
  readonly concurrentSessions: boolean;
}

/** Options for a transaction. */
export interface TransactionOptions {
  /** SQLite: take the write lock at BEGIN (`BEGIN IMMEDIATE`) rather than at the first write. */
  readonly immediate?: boolean;
}

/** Options for a cross-process lock. */
export interface LockOptions {
  /** How long to wait for a holder to let go before giving up, in milliseconds. */
  readonly waitMs: number;
  /** How often to try again while waiting, in milliseconds. */
  readonly pollMs?: number;
}

/** A statement as an adapter sent it, for tracing. */
export interface TracedStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly method: 'query' | 'exec';
}

/** Called for every statement an adapter sends. */
export type StatementTracer = (statement: TracedStatement) => void;

/** The port every adapter implements; the rest of tradeledger sees only this. */
export interface Database extends Queryable {
  /** The URL the database was opened from, without a password. */
  readonly url: string;
  readonly kind: DatabaseKind;
  readonly dialect: Dialect;
  readonly capabilities: Capabilities;
  /** SQLite: the absolute path of the database file (undefined in memory and for the PostgreSQL family). */
  readonly file?: string;
  /** Runs `fn` in one transaction on one connection: commit when it resolves, roll back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs `fn` on one dedicated connection, so that session settings and statement order hold. */
  session<T>(fn: (session: Queryable) => Promise<T>): Promise<T>;
  /**
   * PGlite: makes these extensions (named as CREATE EXTENSION names them) available before SQL that
   * creates them runs, restarting the engine when it must (so never inside a transaction or a
   * session whose settings matter). Absent on the other adapters, whose server has what it has.
   */
  ensureExtensions?(names: readonly string[]): Promise<void>;
  /**
   * SQLite: the rows of one statement one at a time, so that a pass over a large table holds one
   * row, not all of them (the custom ledger's report: src/lifecycle/report-sqlite.ts). Absent on
   * the PostgreSQL family. Send no other statement on the connection until the iteration ends.
   */
  iterate?<T extends object = Row>(sql: string, params?: readonly unknown[]): Iterable<T>;
  /** Runs `fn` while holding the named cross-process lock; throws LockHeldError after `waitMs`. */
  withLock<T>(name: string, options: LockOptions, fn: () => Promise<T>): Promise<T>;
  /** Releases every connection and file handle. */
  close(): Promise<void>;
}

/** How a database is opened. */
export interface AdapterOptions {
  /** Called with every statement sent, in order. */
  readonly trace?: StatementTracer;
  /** A read-only command: a missing SQLite file or PGlite directory is a UsageError, never created. */
  readonly mustExist?: boolean;
  /** `tradeledger serve`: hold the daemon lock (src/db/daemon-lock.ts) from open to close. */
  readonly daemon?: boolean;
  /** How long to wait for another tradeledger command on the same file or directory (--lock-wait); default 0. */
  readonly lockWaitMs?: number;
  /** The command takes a lock (`Database.withLock`) first thing: a PostgreSQL server connects its lock's connection at open, beside the first. */
  readonly lockAhead?: boolean;
}
