import type { Config } from '../config/schema.ts';
import { withDatabase } from '../db/open.ts';
import type { Database } from '../db/port.ts';
import { withMappedLedger } from '../ledgers/custom/report.ts';
import { requireBotLedger } from '../lifecycle/require-schema.ts';
import { resolveUrl } from './context.ts';
import { ledgerOf } from './freqtrade-command.ts';

/** What a recon command does to a custom ledger: read the views only, keep audit rows in our own tables, or also write the user's orders. */
export type CustomAccess = 'read' | 'audit' | 'write';

/**
 * Opens the ledger a bot-ledger `recon` command runs on: the bot-ledger tables (refused without
 * `tables`), or a custom ledger's views (`ledger: custom`), where `access` says whether
 * reconciliation's own tables are made and whether the orders view must take EXIT rows.
 */
export async function withReconLedger<T>(
  config: Config,
  flags: { readonly ledger?: string },
  tables: readonly string[],
  access: CustomAccess,
  fn: (db: Database) => Promise<T>,
  options: { readonly mustExist?: boolean } = {},
): Promise<T> {
  if (ledgerOf(flags, config) === 'custom') {
    return withMappedLedger(resolveUrl(config), config.mapping, fn, { recon: access !== 'read', write: access === 'write' });
  }
  return withDatabase(
    resolveUrl(config),
    async (db) => {
      await requireBotLedger(db, tables);
      return fn(db);
    },
    options,
  );
}
