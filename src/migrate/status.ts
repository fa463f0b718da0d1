import type { HistoryRow } from './history.ts';
import type { Migration } from './migration.ts';

/** An applied migration whose file changed after it ran. */
export interface DriftedMigration {
  readonly migration: Migration;
  readonly row: HistoryRow;
}

/** Where a database stands against a migration source. */
export interface MigrationStatus {
  /** Highest version applied successfully; 0 when none. */
  readonly current: number;
  /** The highest version the source has. */
  readonly latest: number;
  readonly applied: readonly HistoryRow[];
  /** Not applied successfully (never run, or failed), in version order. */
  readonly pending: readonly Migration[];
  readonly failed: readonly HistoryRow[];
  readonly drifted: readonly DriftedMigration[];
  /**
   * Applied versions another source recorded (a pack where this is a folder, another pack) whose
   * file differs: not drift, the database was built from that source.
   */
  readonly otherSource: readonly DriftedMigration[];
  /** Applied versions the source does not have: the database is ahead of this source. */
  readonly unknown: readonly HistoryRow[];
  /** Pending migrations numbered below an applied one: a version that goes backwards. */
  readonly outOfOrder: readonly Migration[];
}

/** A source label for people: `pack bot-ledger`, `folder examples/migrations`. */
export function describeSource(label: string): string {
  if (label.startsWith('pack:')) return `pack ${label.slice(5)}`;
  if (label.startsWith('dir:')) return `folder ${label.slice(4)}`;
  return label;
}

/**
 * True when a row recorded by `recorded` belongs to `current`'s history. Folders count as one
 * source whatever their path (a checkout moves); a pack is itself only. Rows without a source
 * (written before it was recorded) belong to any.
 */
export function sameSource(recorded: string | null | undefined, current: string | undefined): boolean {
  if (recorded === null || recorded === undefined || current === undefined) return true;
  if (recorded.startsWith('dir:') && current.startsWith('dir:')) return true;
  return recorded === current;
}

/** Compares a source with the history table; pure. `source` is the label of the source compared. */
export function computeStatus(migrations: readonly Migration[], rows: readonly HistoryRow[], source?: string): MigrationStatus {
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const applied = rows.filter((row) => row.success);
  const appliedVersions = new Set(applied.map((row) => row.version));
  const current = applied.reduce((max, row) => Math.max(max, row.version), 0);
  const pending = migrations.filter((migration) => !appliedVersions.has(migration.version));
  const drifted: DriftedMigration[] = [];
  const otherSource: DriftedMigration[] = [];
  for (const row of applied) {
    const migration = byVersion.get(row.version);
    // A row without a checksum was written by another tool (the specification's own SQL): nothing to compare.
    if (migration === undefined || row.checksum === null || row.checksum === migration.checksum) continue;
    if ((migration.formerChecksums ?? []).includes(row.checksum)) continue;
    if (sameSource(row.source, source)) drifted.push({ migration, row });
    else otherSource.push({ migration, row });
  }
  return {
    current,
    latest: migrations.reduce((max, migration) => Math.max(max, migration.version), 0),
    applied,
    pending,
    failed: rows.filter((row) => !row.success),
    drifted,
    otherSource,
    unknown: applied.filter((row) => !byVersion.has(row.version)),
    outOfOrder: pending.filter((migration) => migration.version < current),
  };
}
