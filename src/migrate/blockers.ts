import type { Database, Queryable } from '../db/port.ts';

/** A backend that held a lock the migration waited for, as pg_stat_activity showed it. */
export interface Blocker {
  readonly pid: number;
  readonly state: string | null;
  /** application_name, or the backend type when it has none (an autovacuum worker). */
  readonly application: string;
  /** How long its transaction had been open (or, outside a transaction, how long it had been in its state), in ms. */
  readonly openMs: number | null;
  readonly inTransaction: boolean;
  /** The first line of its current or last query. */
  readonly query: string;
}

/** Who held up a statement that hit lock_timeout, and how sure we are. */
export interface BlockerReport {
  /**
   * `waiting`: pg_blocking_pids of the waiting backend, last seen while it waited. `older`: no look
   * fell inside the wait, so these are the transactions that were already open when the statement
   * started (the usual holder: a long transaction).
   */
  readonly source: 'waiting' | 'older';
  readonly blockers: readonly Blocker[];
}

const COLUMNS = `b.pid, b.state, COALESCE(NULLIF(b.application_name, ''), b.backend_type) AS application,
       b.xact_start IS NOT NULL AS in_transaction,
       CAST(round(EXTRACT(EPOCH FROM clock_timestamp() - COALESCE(b.xact_start, b.state_change)) * 1000) AS BIGINT) AS open_ms,
       b.query`;

// Only while the backend waits for a heavyweight lock: pg_blocking_pids takes the lock manager's locks briefly.
const WAITING_SQL = `SELECT ${COLUMNS}
  FROM pg_stat_activity w
 CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocking(pid)
  JOIN pg_stat_activity b ON b.pid = blocking.pid
 WHERE w.pid = $1 AND w.wait_event_type = 'Lock'
 ORDER BY b.xact_start NULLS LAST, b.pid`;

// Right after the failure, before the session sends anything else: its query_start is still the failed statement's.
const OLDER_SQL = `SELECT ${COLUMNS}
  FROM pg_stat_activity w
  JOIN pg_stat_activity b ON b.datname = w.datname AND b.pid <> w.pid AND b.pid <> pg_backend_pid()
 WHERE w.pid = $1 AND b.xact_start IS NOT NULL AND b.xact_start <= w.query_start
 ORDER BY b.xact_start, b.pid
 LIMIT 5`;

function toBlockers(rows: readonly Record<string, unknown>[]): Blocker[] {
  return rows.map((row) => ({
    pid: Number(row['pid']),
    state: row['state'] === null ? null : String(row['state']),
    application: row['application'] === null ? '' : String(row['application']),
    openMs: row['open_ms'] === null ? null : Number(row['open_ms']),
    inTransaction: row['in_transaction'] === true,
    query: firstLine(row['query'] === null ? '' : String(row['query'])),
  }));
}

function firstLine(query: string): string {
  const line = query.trim().split('\n')[0]!.trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function describe(blocker: Blocker): string {
  const open = blocker.openMs === null ? null : `${blocker.inTransaction ? 'transaction open' : 'for'} ${duration(Math.max(0, blocker.openMs))}`;
  const parts = [blocker.application === '' ? 'no application_name' : blocker.application, blocker.state ?? 'state unknown', ...(open === null ? [] : [open])];
  return `pid ${blocker.pid} (${parts.join('; ')}; query: ${blocker.query === '' ? '(none)' : blocker.query})`;
}

/** One line for messages: "blocked by pid … (…)", or "probably blocked by …" when the wait itself was not seen. */
export function formatBlockers(report: BlockerReport): string {
  if (report.blockers.length === 0) return '';
  const list = report.blockers.map(describe).join(', ');
  return report.source === 'waiting'
    ? `blocked by ${list}`
    : `probably blocked by ${list} (open since before the statement started; the wait itself was not seen)`;
}

/**
 * How often the watcher looks while a statement runs: often for the first 2 s (lock_timeout's
 * default, and the usual wait), then once a second for a long statement (an index build), since
 * pg_blocking_pids holds the lock manager's locks for a moment each time.
 */
const WATCH_INTERVAL_MS = 100;
const WATCH_SLOW_INTERVAL_MS = 1000;
const WATCH_FAST_LOOKS = 20;

/**
 * Watches a session while it runs one chunk, from another connection of `db`: whenever the session
 * waits for a lock, remembers who blocks it (pg_blocking_pids). After a lock timeout, `report` gives
 * the blockers last seen while it waited (pg_blocking_pids is empty once the wait is over); when no
 * look fell inside the wait (a lock_timeout shorter than the interval, a busy event loop), the
 * transactions already open when the statement started. Only on a PostgreSQL server: PGlite and
 * SQLite have one session, so nobody else holds a lock there.
 */
export class BlockerWatch {
  private latest: Blocker[] = [];
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> = Promise.resolve();
  private stopped = false;
  private looks = 0;
  private readonly db: Queryable;
  private readonly pid: number;

  private constructor(db: Queryable, pid: number) {
    this.db = db;
    this.pid = pid;
  }

  /** Starts watching `pid`, or returns null where no other session can hold a lock. */
  static start(db: Database, pid: number | null): BlockerWatch | null {
    if (pid === null || db.dialect !== 'postgres' || !db.capabilities.concurrentSessions) return null;
    const watch = new BlockerWatch(db, pid);
    watch.schedule(WATCH_INTERVAL_MS / 2);
    return watch;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.looks++;
      this.probing = this.probe().finally(() => this.schedule(this.looks < WATCH_FAST_LOOKS ? WATCH_INTERVAL_MS : WATCH_SLOW_INTERVAL_MS));
    }, ms);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    try {
      const rows = await this.db.query(WAITING_SQL, [this.pid]);
      // Kept when a later look finds it not waiting: that look may already be past the timeout.
      if (rows.length > 0) this.latest = toBlockers(rows);
    } catch {
      // A look that fails (the pool closing, a server going away) only loses the detail.
    }
  }

  /** Stops watching; waits for a look under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.probing;
  }

  /**
   * Who blocked the session, to call right after a lock timeout and before the session sends
   * anything else. Never throws: a report it cannot make is empty.
   */
  async report(): Promise<BlockerReport> {
    await this.stop();
    if (this.latest.length > 0) return { source: 'waiting', blockers: this.latest };
    try {
      return { source: 'older', blockers: toBlockers(await this.db.query(OLDER_SQL, [this.pid])) };
    } catch {
      return { source: 'older', blockers: [] };
    }
  }
}
