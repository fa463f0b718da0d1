import { SafetyError } from '../errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeHolder, tryFileLock, type FileLock, type LockHolder } from './file-lock.ts';
import { LockHeldError } from './lock-held-error.ts';

/** The lock `tradeledger serve` holds on the database it serves (a SQLite file or a PGlite directory), for as long as it runs. */
export function daemonLockPath(target: string): string {
  return `${target}.tradeledger-daemon`;
}

/** A command that changes a schema or swaps the file refused, because a daemon is serving the database. */
export class DaemonRunningError extends SafetyError {
  readonly holder: LockHolder | undefined;
  constructor(display: string, lockPath: string, holder: LockHolder | undefined, doing: string) {
    super(`the daemon (tradeledger serve, ${describeHolder(lockPath, holder)}) is serving ${display}: stop the daemon first, then ${doing}`, 'DAEMON_RUNNING');
    this.holder = holder;
  }
}

/**
 * Takes the daemon lock of `target` for as long as a command changes it (migrate up, down, stamp,
 * restore; any PGlite opener), so that no daemon serves it meanwhile and none starts before it is
 * done. A running daemon is a DaemonRunningError (exit 3) at once, naming its pid; another command
 * holding it is waited for up to `waitMs` (--lock-wait), then a LockHeldError.
 */
export async function guardAgainstDaemon(target: string, display: string, waitMs: number, doing = 'run this again', pollMs = 100): Promise<FileLock> {
  const path = daemonLockPath(target);
  const started = Date.now();
  for (;;) {
    const result = tryFileLock(path, 'migration');
    if ('lock' in result) return result.lock;
    if (result.held?.role === 'daemon') throw new DaemonRunningError(display, path, result.held, doing);
    const waited = Date.now() - started;
    if (waited >= waitMs) throw new LockHeldError(`tradeledger migration on ${display}`, describeHolder(path, result.held), waited);
    await sleep(Math.min(pollMs, Math.max(1, waitMs - waited)));
  }
}

/**
 * Takes the daemon lock of `target` for `tradeledger serve`; refuses (exit 3) when another daemon
 * serves it or a migration or restore is running on it.
 */
export function holdDaemonLock(target: string, display: string): FileLock {
  const path = daemonLockPath(target);
  const result = tryFileLock(path, 'daemon');
  if ('lock' in result) return result.lock;
  if (result.held?.role === 'daemon') {
    throw new SafetyError(`another daemon (${describeHolder(path, result.held)}) is serving ${display}: stop it, or serve another database`, 'DAEMON_RUNNING');
  }
  throw new SafetyError(
    `a migration or restore (${describeHolder(path, result.held)}) is running on ${display}: let it finish, then start the daemon`,
    'LOCK_HELD',
  );
}
