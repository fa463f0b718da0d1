import type { Database } from '../db/port.ts';
import { assertPlanParses } from './plan-check.ts';
import { assertConsistent, planUp, type Plan } from './planner.ts';
import { planRepairs } from './repair.ts';
import type { EngineSettings } from './settings.ts';
import type { MigrationSource, RepairStep } from './source.ts';
import { readMigrationState } from './state.ts';

/** What `migrate up` would do: the plan, and (with nothing pending) the repairs it would run. */
export interface UpPreview {
  readonly plan: Plan;
  readonly repairs: readonly RepairStep[];
}

/**
 * `migrate plan`: what `up` would send, read without taking the lock and without writing, refused
 * as `up` refuses it (drift, a backwards version, a statement PostgreSQL cannot parse or cannot run
 * in a transaction), so that no plan is shown that `up` would not run. With nothing pending, the
 * repairs `up` makes when the schema lacks something at its version.
 */
export async function previewUp(
  db: Database,
  source: MigrationSource,
  settings: EngineSettings,
  options: { readonly to?: number | undefined; readonly allowDataLoss?: boolean | undefined } = {},
): Promise<UpPreview> {
  const state = await readMigrationState(db, source, settings.plan);
  assertConsistent(state.status, source.label);
  const plan = planUp(state.status, state.context, options.to);
  await assertPlanParses(plan, db.dialect);
  const repairs = plan.steps.length === 0 ? await planRepairs(db, source, plan.to, settings.packOptions, options.allowDataLoss === true) : [];
  return { plan, repairs };
}
