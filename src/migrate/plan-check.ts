import type { Dialect } from '../db/port.ts';
import { loadPostgresParser, parsePostgresScript } from './pg-statements.ts';
import { isEmptyDown, parsedWhenPlanned, sectionOrigin, type Plan } from './planner.ts';

/**
 * Parses the transactional sections the planner sent unparsed (see parsedWhenPlanned), so that a
 * syntax error is refused with its line (exit 2) before anything runs: for `migrate plan` (never a
 * plan `up` would refuse), `down` (squawk reads no down section), and `up` where squawk may not have
 * read every file's syntax. Otherwise `up` skips it: the parse is what made a 100-file `up` slow.
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
