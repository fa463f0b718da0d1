import type { PackDefinition } from '../registry.ts';

/** Placeholder until the pack lands. */
export const pack: PackDefinition = { name: 'bot-ledger', summary: 'bot ledger schema', dialects: ['postgres'], defaults: {} };
