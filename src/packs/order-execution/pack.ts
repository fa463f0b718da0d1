import type { PackDefinition } from '../registry.ts';

/** Placeholder until the pack lands. */
export const pack: PackDefinition = { name: 'order-execution', summary: 'order execution schema', dialects: ['postgres'], defaults: {} };
