import type { Dialect } from '../db/port.ts';
import { loadPostgresParser, parsePostgresScript } from './pg-statements.ts';
import { isEmptyDown, parsedWhenPlanned, sectionOrigin, type Plan } from './planner.ts';

/**
 * `migrate plan` never prints a plan that `up` would refuse: the transactional sections the planner
 * sent unparsed (see parsedWhenPlanned) are parsed here, so that a syntax error is refused with
 * its line (exit 2), as `up` refuses it once squawk has flagged it. `up` itself skips this: the
 * parse is what made a 100-file `up` slow, and squawk reads every pending file anyway.
 */
export async function assertPlanParses(plan: Pick<Plan, 'steps'>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  const unparsed = plan.steps.filter((step) => {
    if (step.kind !== 'transaction' || step.rebuild !== undefined) return false;
    // An empty down section sends nothing of its own (only its history row goes).
    if (step.direction === 'down' && isEmptyDown(step.migration)) return false;
    const body = step.direction === 'up' ? step.migration.up : step.migration.down;
    return body !== null && !parsedWhenPlanned(true, body);
  });
  if (unparsed.length === 0) return;
  await loadPostgresParser();
  for (const step of unparsed) {
    const body = step.direction === 'up' ? step.migration.up : step.migration.down!;
    parsePostgresScript(body, sectionOrigin(step.migration, step.direction));
  }
}
