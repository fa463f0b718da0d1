import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { integrityCheck, onlineBackup, sqliteVersion } from '../db/sqlite-files.ts';
import { guardAgainstDaemon } from '../db/daemon-lock.ts';
import { acquireFileLock } from '../db/file-lock.ts';
import { sqliteLockPath } from '../db/sqlite.ts';
import { CheckFailedError, UsageError, errorMessage } from '../errors.ts';

/** Where backups go and how many are kept (tradeledger.yaml `backup:`). */
export interface BackupSettings {
  /** Backup folder; relative paths are taken from the working directory. Null: `backups/` beside the database. */
  readonly directory: string | null;
  readonly retentionDays: number;
  readonly maxBackups: number;
}

/** A UTC timestamp as the specification writes it in file names: YYYYMMDD_HHMMSS. */
export function fileTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-11-21T12:34:56.789Z
  return `${iso.slice(0, 10).replaceAll('-', '')}_${iso.slice(11, 19).replaceAll(':', '')}`;
}

function stem(dbPath: string): string {
  const name = basename(dbPath);
  return extname(name) === '' ? name : name.slice(0, -extname(name).length);
}

/** The folder backups of `dbPath` go to. */
export function backupDirectory(dbPath: string, settings: BackupSettings): string {
  return settings.directory === null ? join(dirname(dbPath), 'backups') : resolve(settings.directory);
}

function uniquePath(path: string): string {
  if (!existsSync(path)) return path;
  for (let n = 2; ; n++) {
    const candidate = path.replace(/(\.[^.]*)?$/, `_${n}$1`);
    if (!existsSync(candidate)) return candidate;
  }
}

/**
 * Backs up a SQLite file before migrating it to `version`: `<dir>/<name>_pre_v<N>_<UTC ts>.db`,
 * checked with `PRAGMA integrity_check`, then old backups pruned by retention. Returns the path.
 * Killed halfway, a partial file may remain; it is never used, as `up` only goes on after the check.
 */
export async function backupBeforeMigration(dbPath: string, version: number, settings: BackupSettings, now = new Date()): Promise<string> {
  const directory = backupDirectory(dbPath, settings);
  mkdirSync(directory, { recursive: true });
  const target = uniquePath(join(directory, `${stem(dbPath)}_pre_v${version}_${fileTimestamp(now)}${extname(dbPath) || '.db'}`));
  await onlineBackup(dbPath, target);
  const integrity = integrityCheck(target);
  if (integrity !== 'ok') {
    throw new CheckFailedError(`backup ${target} failed PRAGMA integrity_check (${integrity}); nothing was migrated`, 'BACKUP_CORRUPT');
  }
  pruneBackups(dbPath, settings, now, target);
  return target;
}

/** Removes this database's backups older than `retentionDays`, then all but the newest `maxBackups`. */
export function pruneBackups(dbPath: string, settings: BackupSettings, now = new Date(), keep?: string): string[] {
  const directory = backupDirectory(dbPath, settings);
  const prefix = `${stem(dbPath)}_pre_v`;
  const backups = readdirSync(directory)
    // The backup just taken is never pruned, whatever its clock says.
    .filter((name) => name.startsWith(prefix) && join(directory, name) !== keep)
    .map((name) => ({ path: join(directory, name), mtime: statSync(join(directory, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const cutoff = now.getTime() - settings.retentionDays * 86_400_000;
  const slots = keep === undefined ? settings.maxBackups : settings.maxBackups - 1;
  const removed = backups.filter((backup, index) => index >= slots || backup.mtime < cutoff).map((backup) => backup.path);
  for (const path of removed) unlinkSync(path);
  return removed;
}

/** What `migrate restore` did. */
export interface RestoreResult {
  readonly restoredFrom: string;
  /** Where the replaced database now is: `<name>.failed_v<N>_<UTC ts>`. */
  readonly failedCopy: string | null;
  readonly integrity: string;
}

/**
 * Puts a backup in place of a SQLite file: the current file (and its -wal / -shm, which would
 * otherwise replay onto the restored file) is renamed `<name>.failed_v<N>_<UTC ts>`, then the
 * backup is copied in. Killed halfway: the renamed file is intact and the backup untouched.
 */
export async function restoreBackup(dbPath: string, backupPath: string, now = new Date(), waitMs = 0): Promise<RestoreResult> {
  // A backup that is missing or damaged is refused before anything, lock files included, is written.
  const source = checkedBackup(backupPath);
  // Never swap the file out from under a daemon serving it or a running migration.
  const guard = await guardAgainstDaemon(dbPath, `sqlite:${dbPath}`, waitMs, 'run the restore again');
  try {
    const lock = await acquireFileLock(sqliteLockPath(dbPath), 'tradeledger migration', waitMs);
    try {
      return restoreUnlocked(dbPath, source, now);
    } finally {
      lock.release();
    }
  } finally {
    guard.release();
  }
}

function checkedBackup(backupPath: string): string {
  const source = resolve(backupPath);
  if (!existsSync(source)) throw new UsageError(`backup '${backupPath}' does not exist: pass a file from the backup folder`, 'BACKUP_MISSING');
  let backupIntegrity: string;
  try {
    backupIntegrity = integrityCheck(source);
  } catch (error) {
    // A partial copy (a disk that filled up, a killed process) is not a database at all.
    backupIntegrity = errorMessage(error);
  }
  if (backupIntegrity !== 'ok')
    throw new CheckFailedError(
      `backup '${backupPath}' fails PRAGMA integrity_check (${backupIntegrity}): it is damaged or incomplete; nothing was changed — restore another backup`,
      'BACKUP_CORRUPT',
    );
  return source;
}

function restoreUnlocked(dbPath: string, source: string, now: Date): RestoreResult {
  let failedCopy: string | null = null;
  if (existsSync(dbPath)) {
    failedCopy = uniquePath(`${dbPath}.failed_v${sqliteVersion(dbPath)}_${fileTimestamp(now)}`);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, failedCopy + suffix);
    }
    renameSync(dbPath, failedCopy);
  }
  const staging = `${dbPath}.restoring`;
  copyFileSync(source, staging);
  renameSync(staging, dbPath);
  return { restoredFrom: source, failedCopy, integrity: integrityCheck(dbPath) };
}
