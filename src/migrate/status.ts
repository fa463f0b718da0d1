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
  /** Applied versions the source does not have: the database is ahead of this source. */
  readonly unknown: readonly HistoryRow[];
  /** Pending migrations numbered below an applied one: a version that goes backwards. */
  readonly outOfOrder: readonly Migration[];
}

/** Compares a source with the history table; pure. */
export function computeStatus(migrations: readonly Migration[], rows: readonly HistoryRow[]): MigrationStatus {
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const applied = rows.filter((row) => row.success);
  const appliedVersions = new Set(applied.map((row) => row.version));
  const current = applied.reduce((max, row) => Math.max(max, row.version), 0);
  const pending = migrations.filter((migration) => !appliedVersions.has(migration.version));
  const drifted: DriftedMigration[] = [];
  for (const row of applied) {
    const migration = byVersion.get(row.version);
    // A row without a checksum was written by another tool (the specification's own SQL): nothing to compare.
    if (migration !== undefined && row.checksum !== null && row.checksum !== migration.checksum && !(migration.formerChecksums ?? []).includes(row.checksum)) {
      drifted.push({ migration, row });
    }
  }
  return {
    current,
    latest: migrations.reduce((max, migration) => Math.max(max, migration.version), 0),
    applied,
    pending,
    failed: rows.filter((row) => !row.success),
    drifted,
    unknown: applied.filter((row) => !byVersion.has(row.version)),
    outOfOrder: pending.filter((migration) => migration.version < current),
  };
}
