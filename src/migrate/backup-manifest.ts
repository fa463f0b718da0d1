import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in a backup folder that lists the backups tradeledger made there; only those are ever pruned. */
export const MANIFEST_NAME = '.tradeledger-backups.json';

/** One backup tradeledger made. */
export interface ManifestEntry {
  /** The file name inside the backup folder. */
  readonly file: string;
  /** The database it is a copy of (absolute path). */
  readonly database: string;
  readonly createdAt: string;
}

/** The backups recorded in `directory`; a missing or unreadable manifest records none (so nothing is pruned). */
export function readManifest(directory: string): ManifestEntry[] {
  const path = join(directory, MANIFEST_NAME);
  if (!existsSync(path)) return [];
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { backups?: unknown };
    return Array.isArray(parsed.backups)
      ? parsed.backups.filter(
          (entry): entry is ManifestEntry =>
            typeof entry === 'object' && entry !== null && typeof entry.file === 'string' && typeof entry.database === 'string',
        )
      : [];
  } catch {
    return [];
  }
}

/** Writes the manifest whole under a temporary name, then renames it (private, 0600). */
export function writeManifest(directory: string, entries: readonly ManifestEntry[]): void {
  const path = join(directory, MANIFEST_NAME);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ backups: entries }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
