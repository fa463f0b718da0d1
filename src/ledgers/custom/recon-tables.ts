import { reconTablesSql } from '../../packs/bot-ledger/recon-tables.ts';
import { MAPPING_SCHEMA } from './model.ts';

/**
 * Reconciliation's own tables for a custom ledger, made in MAPPING_SCHEMA beside the views (never
 * among the user's tables): the audit trail and the cycle state, from the bot-ledger pack's
 * migration 006 itself, so src/recon reads and writes them unchanged. IF NOT EXISTS: the audit
 * trail outlives every run, and every mapping change.
 */
export function customReconTablesSql(): string {
  return reconTablesSql(MAPPING_SCHEMA);
}
