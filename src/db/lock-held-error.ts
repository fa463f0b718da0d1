import { SafetyError } from '../errors.ts';

/** Another process holds a lock we waited for; names the holder so the operator can find it. */
export class LockHeldError extends SafetyError {
  readonly holder: string;
  constructor(name: string, holder: string, waitedMs: number) {
    super(`another process holds the ${name} lock (${holder}); waited ${Math.round(waitedMs / 1000)} s — let it finish, or raise --lock-wait`, 'LOCK_HELD');
    this.holder = holder;
  }
}
