import { readdirSync, statSync } from 'node:fs';
import type { Database, Queryable } from '../../db/port.ts';
import { SafetyError } from '../../errors.ts';

/**
 * Process ids (other than ours) with the SQLite file, its -wal or its -shm open, read from /proc
 * (Linux). Files are compared by device and inode, not by path: a bot in a Docker container opens
 * the same file under another path (/freqtrade/user_data/tradesv3.sqlite).
 */
export function processesWithFile(file: string): number[] {
  const targets = new Set<string>();
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      const stat = statSync(path);
      targets.add(`${stat.dev}:${stat.ino}`);
    } catch {
      // No -wal, -shm or -journal beside the database right now: nothing to look for.
    }
  }
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      // Another user's process, or one that just ended: its descriptors are not ours to read.
      continue;
    }
    for (const fd of fds) {
      try {
        const stat = statSync(`/proc/${entry}/fd/${fd}`);
        if (targets.has(`${stat.dev}:${stat.ino}`)) {
          found.push(Number(entry));
          break;
        }
      } catch {
        // The descriptor closed between listing and reading it, or is a socket or pipe.
      }
    }
  }
  return found;
}

/** Sessions on the same PostgreSQL database other than tradeledger's own (its pool connects as application_name 'tradeledger'). */
async function otherSessions(db: Queryable): Promise<{ pid: number; application_name: string; client_addr: string | null }[]> {
  return db.query(
    `SELECT pid, application_name, client_addr::text AS client_addr FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND application_name IS DISTINCT FROM 'tradeledger'`,
  );
}

/** `url` as messages show it: without the user name and password an operator may have put in it. */
function shownUrl(url: string): string {
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  return shown.href.replace(/\/$/, '');
}

// The connection errors that mean nothing listens there (refused, or a host name gone with its
// container); any other failure (a timeout, TLS, something that is not freqtrade) leaves it unknown.
const NOTHING_LISTENS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True when freqtrade's REST API answers at `url` (the bot process is up, whatever its state);
 * false only when nothing listens there. The ping needs no login, so credentials in `url` are
 * dropped (fetch refuses a URL that holds them, which would have read as "nothing listens").
 */
async function apiAnswers(url: string): Promise<boolean> {
  const ping = new URL('/api/v1/ping', url);
  ping.username = '';
  ping.password = '';
  try {
    await fetch(ping, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (typeof code === 'string' && NOTHING_LISTENS.has(code)) return false;
    const why = typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
    throw new SafetyError(
      `cannot tell whether freqtrade's API at ${shownUrl(url)} is up (${why}): stop the bot process, or fix or unset freqtrade.api_url; nothing was written`,
      'FREQTRADE_RUNNING',
    );
  }
}

/**
 * The stop-the-bot gate: refuses (SafetyError, exit 3) while another process has the freqtrade
 * database open (SQLite: its file among other processes' descriptors in /proc; PostgreSQL: another
 * session on the database) or freqtrade's REST API answers. freqtrade's own documentation
 * (www.freqtrade.io/en/stable/sql_cheatsheet) warns that writing while the bot is connected corrupts its state.
 * Called before the backup and again inside the writing transaction.
 */
export async function requireBotStopped(db: Database, conn: Queryable, apiUrl: string | undefined): Promise<void> {
  if (db.dialect === 'sqlite' && db.file !== undefined && process.platform === 'linux') {
    const pids = processesWithFile(db.file);
    if (pids.length > 0) {
      throw new SafetyError(
        `${db.file} is open in process ${pids.join(', ')}: stop the bot (freqtrade, and any sqlite3 shell or viewer) before writing; nothing was written`,
        'FREQTRADE_RUNNING',
      );
    }
  }
  if (db.dialect === 'postgres' && db.kind === 'postgres') {
    const sessions = await otherSessions(conn);
    if (sessions.length > 0) {
      throw new SafetyError(
        `${sessions.length} other session(s) on this database (pid ${sessions.map((s) => `${s.pid}${s.application_name === '' ? '' : ` ${s.application_name}`}`).join(', ')}): stop the bot before writing; nothing was written`,
        'FREQTRADE_RUNNING',
      );
    }
  }
  if (apiUrl !== undefined && (await apiAnswers(apiUrl))) {
    throw new SafetyError(
      `freqtrade's API answers at ${shownUrl(apiUrl)}: stop the bot process (not only /stop: a stopped bot keeps its database open) before writing; nothing was written`,
      'FREQTRADE_RUNNING',
    );
  }
}
