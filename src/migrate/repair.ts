import type { Database } from '../db/port.ts';
import type { MigrationSource, RepairStep } from './source.ts';

/** Where repairs are recorded: one row per step, beside schema_version. */
export const REPAIR_TABLE = 'schema_repairs';

/** A repair `migrate up` ran and recorded. */
export interface RepairRecord extends RepairStep {
  readonly version: number;
}

/** The repairs a source asks for at `version`; none when it has no repair hook. */
export async function planRepairs(
  db: Database,
  source: MigrationSource,
  version: number,
  options: Readonly<Record<string, string | boolean>>,
  allowDataLoss: boolean,
): Promise<readonly RepairStep[]> {
  if (source.repair === undefined) return [];
  return source.repair(db, { version, options, allowDataLoss });
}

/**
 * Runs repair steps in one transaction and records each in schema_repairs (when, by whom, at which
 * version, what SQL), so that a schema brought back to its declared state says how it got there.
 * Killed halfway, nothing of it stays.
 */
export async function applyRepairs(db: Database, steps: readonly RepairStep[], version: number, appliedBy: string): Promise<RepairRecord[]> {
  if (steps.length === 0) return [];
  await db.transaction(
    async (tx) => {
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS ${REPAIR_TABLE} (id INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, applied_by TEXT, version INTEGER NOT NULL, description TEXT NOT NULL, statements TEXT NOT NULL)`,
      );
      for (const step of steps) {
        await tx.exec(step.sql);
        await tx.query(
          `INSERT INTO ${REPAIR_TABLE} (id, applied_at, applied_by, version, description, statements)
           SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5 FROM ${REPAIR_TABLE}`,
          [new Date().toISOString(), appliedBy, version, step.description, step.sql],
        );
      }
    },
    { immediate: true },
  );
  return steps.map((step) => ({ ...step, version }));
}
