import type { PackDefinition } from '../registry.ts';

/** Placeholder until the pack lands. */
export const pack: PackDefinition = { name: 'risk-state', summary: 'risk state schema', dialects: ['sqlite'], defaults: {} };
