import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockHeldError } from './lock-held-error.ts';

interface LockFileContent {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** A lock taken by creating `path` exclusively; released by removing it. */
export interface FileLock {
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockFileContent | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockFileContent;
  } catch {
    // Unreadable or half-written by a holder that is still creating it: treat as held, not stale.
    return undefined;
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  const content: LockFileContent = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  writeSync(fd, JSON.stringify(content));
  closeSync(fd);
  return true;
}

/**
 * Takes the lock file at `path`, waiting up to `waitMs`. A file left by a process on this host
 * that no longer runs (a SIGKILLed runner) is stale and taken over.
 */
export async function acquireFileLock(path: string, name: string, waitMs: number, pollMs = 100): Promise<FileLock> {
  const started = Date.now();
  for (;;) {
    if (tryCreate(path)) {
      return {
        release() {
          const holder = readHolder(path);
          if (holder?.pid === process.pid) unlinkSync(path);
        },
      };
    }
    const holder = readHolder(path);
    if (holder !== undefined && holder.host === hostname() && !isAlive(holder.pid)) {
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= waitMs) {
      const who = holder === undefined ? `lock file ${path}` : `pid ${holder.pid} on ${holder.host} since ${holder.since}`;
      throw new LockHeldError(name, who, waited);
    }
    await sleep(Math.min(pollMs, Math.max(1, waitMs - waited)));
  }
}
