import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { integrityCheck, onlineBackup, sqliteVersion } from '../db/sqlite-files.ts';
import { guardAgainstDaemon } from '../db/daemon-lock.ts';
import { readManifest, writeManifest } from './backup-manifest.ts';
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

const PARTIAL = '.partial';

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** Free space on the disk that holds `directory`, in bytes, or null when it cannot be read. */
function freeBytes(directory: string): number | null {
  try {
    const stats = statfsSync(directory);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    // Gone already, or a folder in the way (the copy then failed before writing anything of ours).
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR') throw error;
  }
}

/**
 * Backs up a SQLite file before migrating it to `version`: copied online to a temporary name
 * (`.<name>.partial`), checked with `PRAGMA integrity_check`, given the state file's mode, renamed to
 * `<dir>/<name>_pre_v<N>_<UTC ts>.db` and recorded in the folder's manifest; then old backups pruned.
 * Failed (a full disk, a damaged copy): the partial file is removed and the error says how much space
 * the copy needs. Killed halfway: only a `.partial` file remains, which the next backup removes.
 */
export async function backupBeforeMigration(dbPath: string, version: number, settings: BackupSettings, now = new Date()): Promise<string> {
  const directory = backupDirectory(dbPath, settings);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  // A partial file of this database is stale: backups of one database run under its migration lock.
  for (const name of readdirSync(directory)) {
    if (name.startsWith(`.${stem(dbPath)}_pre_v`) && name.endsWith(PARTIAL)) removeQuietly(join(directory, name));
  }
  const target = uniquePath(join(directory, `${stem(dbPath)}_pre_v${version}_${fileTimestamp(now)}${extname(dbPath) || '.db'}`));
  const partial = join(directory, `.${basename(target)}${PARTIAL}`);
  const needed = statSync(dbPath).size;
  try {
    await onlineBackup(dbPath, partial);
  } catch (error) {
    removeQuietly(partial);
    const free = freeBytes(directory);
    throw new CheckFailedError(
      `backup of ${dbPath} to ${directory} failed (${errorMessage(error)}): it needs about ${megabytes(needed)}${free === null ? '' : `, the disk has ${megabytes(free)} free`}; the partial file was removed and nothing was migrated — free some space or set database.backup.directory`,
      'BACKUP_FAILED',
      [],
      { cause: error },
    );
  }
  let integrity: string;
  try {
    integrity = integrityCheck(partial);
  } catch (error) {
    integrity = errorMessage(error);
  }
  if (integrity !== 'ok') {
    removeQuietly(partial);
    throw new CheckFailedError(
      `backup of ${dbPath} failed PRAGMA integrity_check (${integrity}); the partial file was removed and nothing was migrated — run 'tradeledger migrate verify' on the database`,
      'BACKUP_CORRUPT',
    );
  }
  chmodSync(partial, statSync(dbPath).mode & 0o777);
  renameSync(partial, target);
  writeManifest(directory, [...readManifest(directory), { file: basename(target), database: resolve(dbPath), createdAt: now.toISOString() }]);
  pruneBackups(dbPath, settings, now, target);
  return target;
}

/**
 * Prunes this database's backups that tradeledger made (the folder's manifest; a file someone copied
 * there by hand is never touched): a backup younger than `retentionDays` is always kept; of the older
 * ones, the newest `maxBackups` are kept and the rest removed.
 */
export function pruneBackups(dbPath: string, settings: BackupSettings, now = new Date(), keep?: string): string[] {
  const directory = backupDirectory(dbPath, settings);
  const database = resolve(dbPath);
  const manifest = readManifest(directory);
  const cutoff = now.getTime() - settings.retentionDays * 86_400_000;
  const older = manifest
    .filter((entry) => entry.database === database && join(directory, entry.file) !== keep && existsSync(join(directory, entry.file)))
    .map((entry) => ({ entry, path: join(directory, entry.file), mtime: statSync(join(directory, entry.file)).mtimeMs }))
    .filter((backup) => backup.mtime < cutoff)
    .sort((a, b) => b.mtime - a.mtime);
  const removed = older.slice(settings.maxBackups);
  for (const backup of removed) removeQuietly(backup.path);
  const gone = new Set(removed.map((backup) => backup.entry));
  // Entries whose file someone removed are dropped too, so the manifest does not grow forever.
  const kept = manifest.filter((entry) => !gone.has(entry) && existsSync(join(directory, entry.file)));
  if (removed.length > 0 || kept.length !== manifest.length) writeManifest(directory, kept);
  return removed.map((backup) => backup.path);
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
 * backup's copy (made first, under `<name>.restoring`) is renamed in. Killed halfway: the database is
 * in place or renamed intact beside it, and the backup untouched.
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
  // The restored file keeps the mode of the file it replaces (0600 stays 0600), else the backup's.
  const mode = (existsSync(dbPath) ? statSync(dbPath).mode : statSync(source).mode) & 0o777;
  // Copied before the database is moved aside: a copy that fails (a full disk) or is killed must not
  // leave no database at the path, which the next open would create empty and `up` build from 0.
  const staging = `${dbPath}.restoring`;
  try {
    copyFileSync(source, staging);
    chmodSync(staging, mode);
  } catch (error) {
    removeQuietly(staging);
    throw new CheckFailedError(
      `restore of ${dbPath} from ${source} failed (${errorMessage(error)}): nothing was changed — it needs about ${megabytes(statSync(source).size)} free beside the database`,
      'RESTORE_FAILED',
      [],
      { cause: error },
    );
  }
  if (existsSync(dbPath)) {
    failedCopy = uniquePath(`${dbPath}.failed_v${sqliteVersion(dbPath)}_${fileTimestamp(now)}`);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, failedCopy + suffix);
    }
    renameSync(dbPath, failedCopy);
  }
  renameSync(staging, dbPath);
  return { restoredFrom: source, failedCopy, integrity: integrityCheck(dbPath) };
}
