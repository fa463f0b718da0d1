import type { PackDefinition } from '../registry.ts';
import { ORDER_EXECUTION_DEFAULTS } from './options.ts';
import { verifyOrderExecution } from './verify.ts';

/**
 * The order-execution schema (docs/runbooks/order-execution-schema.md): orders, fills and an
 * append-only execution log, each trader seeing only their own rows, a compliance role reading all.
 */
export const pack: PackDefinition = {
  name: 'order-execution',
  summary: 'orders, fills and an immutable execution log under row-level security (PostgreSQL, PGlite)',
  dialects: ['postgres'],
  defaults: ORDER_EXECUTION_DEFAULTS,
  verify: verifyOrderExecution,
};
