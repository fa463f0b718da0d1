import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { DatabaseSync } from 'node:sqlite';
import { nodeSqlite } from './node-sqlite.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockHeldError } from './lock-held-error.ts';

/** Who holds a lock, as its holder wrote it beside the lock for others to read (information only). */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  /** `daemon` for `tradeledger serve`, else `migration` (a runner, a restore, a PGlite opener). */
  readonly role: string;
}

/** A held lock; released by `release()` or, whatever happens to the process, by the kernel when it ends. */
export interface FileLock {
  release(): void;
}

/** The file beside a lock where its holder says who it is. */
export function holderPath(path: string): string {
  return `${path}-holder.json`;
}

/** The holder a lock's information file names, or undefined when it is missing or unreadable. */
export function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(holderPath(path), 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? '?'), role: String(parsed.role ?? 'migration') };
  } catch {
    return undefined;
  }
}

/** The holder for a message: `pid 123 on host since …`, or a plain "unknown" when it wrote nothing readable. */
export function describeHolder(path: string, holder: LockHolder | undefined): string {
  return holder === undefined ? `holder unknown; its lock is ${path}` : `pid ${holder.pid} on ${holder.host} since ${holder.since}`;
}

function writeHolder(path: string, role: string): void {
  const info: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), role };
  // Written whole under a temporary name, then renamed: a reader never sees half of it.
  const temporary = `${holderPath(path)}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(info), { mode: 0o600 });
  renameSync(temporary, holderPath(path));
}

function errcode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' ? code : undefined;
}

const SQLITE_BUSY = 5;
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

type Attempt = { readonly lock: FileLock } | { readonly busy: true };

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * One try at the lock: an exclusive SQLite transaction on the lock file, which SQLite holds with a
 * POSIX advisory lock (fcntl) on the open file. The kernel drops it when the process ends, even by
 * kill -9, so a lock file left behind never blocks anyone and a pid reused after a restart means
 * nothing. An empty file is an empty database; a file that is not one (a lock file of an older
 * tradeledger, garbage) cannot be held by anyone, so it is replaced.
 */
function attempt(path: string): Attempt {
  // Created private before SQLite opens it, so that it never exists with the umask's mode.
  closeSync(openSync(path, 'a', 0o600));
  const before = inode(path);
  const db: DatabaseSync = new (nodeSqlite().DatabaseSync)(path, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    const code = errcode(error);
    if (code === SQLITE_BUSY) return { busy: true };
    if (code === SQLITE_NOTADB || code === SQLITE_CORRUPT) {
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
      }
      return attempt(path);
    }
    throw error;
  }
  // Another process may have replaced a bad file between our open and our lock: then what we hold
  // is no longer the file everyone else opens, so let go and take the one at the path.
  if (inode(path) !== before) {
    db.close();
    return attempt(path);
  }
  return {
    lock: {
      release() {
        if (db.isOpen) db.close();
      },
    },
  };
}

/**
 * Takes the lock at `path`, trying again every `pollMs` for up to `waitMs`. The holder's pid, host
 * and role are written beside it for messages; the lock itself, not that file, decides.
 */
export async function acquireFileLock(path: string, name: string, waitMs: number, pollMs = 100, role = 'migration'): Promise<FileLock> {
  const started = Date.now();
  for (;;) {
    const result = attempt(path);
    if ('lock' in result) {
      writeHolder(path, role);
      return result.lock;
    }
    const waited = Date.now() - started;
    if (waited >= waitMs) throw new LockHeldError(name, describeHolder(path, readHolder(path)), waited);
    await sleep(Math.min(pollMs, Math.max(1, waitMs - waited)));
  }
}

/** Takes the lock at `path` if it is free at once; undefined (and the holder, if it said who it is) when it is held. */
export function tryFileLock(path: string, role = 'migration'): { readonly lock: FileLock } | { readonly held: LockHolder | undefined } {
  const result = attempt(path);
  if ('busy' in result) return { held: readHolder(path) };
  writeHolder(path, role);
  return result;
}
