import type { Database } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { historyEntryFor, historyRef, historyStartSql, historyTableSql, historyUpgradeSql, needsUpgrade } from './history.ts';
import type { EngineSettings } from './settings.ts';
import type { MigrationSource } from './source.ts';
import { MIGRATION_LOCK, readMigrationState } from './state.ts';

/** What `migrate stamp` changed in the history. */
export interface StampResult {
  readonly from: number;
  readonly to: number;
  readonly marked: readonly number[];
  readonly unmarked: readonly number[];
}

/**
 * Marks the database as being at `version` without running any SQL: versions up to it are
 * recorded as applied (execution_time_ms NULL, applied_by ending in "(stamp)"), later ones removed.
 * One transaction: killed halfway, the history is as before.
 */
export async function stampVersion(db: Database, source: MigrationSource, settings: EngineSettings, version: number): Promise<StampResult> {
  if (version !== 0 && !source.migrations.some((migration) => migration.version === version)) {
    throw new UsageError(`${source.label} has no version ${version}: stamp a version the source has (or 0 for none)`, 'BAD_TARGET');
  }
  return db.withLock(MIGRATION_LOCK, { waitMs: settings.lockWaitMs }, async () => {
    const state = await readMigrationState(db, source, settings.plan);
    const appliedVersions = new Set(state.status.applied.map((row) => row.version));
    const mark = source.migrations.filter((migration) => migration.version <= version && !appliedVersions.has(migration.version));
    const unmark = state.history.rows.filter((row) => row.version > version).map((row) => row.version);
    await db.transaction(
      async (tx) => {
        const table = state.history.table;
        if (!state.history.exists) await tx.exec(historyTableSql(db.dialect, table));
        else if (needsUpgrade(state.history)) await tx.exec(historyUpgradeSql(state.history, table));
        for (const migration of mark) {
          await tx.exec(historyStartSql(db.dialect, historyEntryFor(migration, `${settings.plan.appliedBy} (stamp)`, source.label), true, null, table));
        }
        if (unmark.length > 0) await tx.query(`DELETE FROM ${historyRef(table)} WHERE version > $1`, [version]);
      },
      { immediate: true },
    );
    return { from: state.status.current, to: version, marked: mark.map((m) => m.version), unmarked: unmark };
  });
}
