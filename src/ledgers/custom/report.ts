import { parseDatabaseUrl, withDatabase } from '../../db/open.ts';
import type { Database } from '../../db/port.ts';
import { UsageError } from '../../errors.ts';
import { lifecycleReport, type LifecycleReport } from '../../lifecycle/report.ts';
import { MAPPING_SCHEMA, mappingViewsSql, type LedgerMapping } from './model.ts';

/** The URL of a PostgreSQL session whose search path finds the mapping's views before the user's tables. */
function mappedUrl(url: string): string {
  const parsed = new URL(url);
  const path = parsed.searchParams.get('options');
  parsed.searchParams.set('options', `${path === null ? '' : `${path} `}-c search_path=${MAPPING_SCHEMA},public`);
  return parsed.toString();
}

/**
 * Runs `fn` on a custom ledger: (re)creates the views of the mapping in their own schema (nothing of
 * the user's changes), then hands `fn` a database whose search path finds the views by the model's
 * names, so the bot ledger's SQL runs on them unchanged. PostgreSQL and PGlite (that SQL is PostgreSQL's).
 */
export async function withMappedLedger<T>(url: string, mapping: LedgerMapping | undefined, fn: (db: Database) => Promise<T>): Promise<T> {
  if (mapping === undefined) throw new UsageError('ledger: custom needs a mapping: section in tradeledger.yaml (see README.md, Custom ledgers)', 'BAD_MAPPING');
  const sql = mappingViewsSql(mapping);
  const { kind, display } = parseDatabaseUrl(url);
  if (kind === 'sqlite')
    throw new UsageError(`${display}: a custom mapping works on PostgreSQL and PGlite; the lifecycle report's SQL is PostgreSQL's`, 'WRONG_DIALECT');
  if (kind === 'pglite') {
    // One PGlite connection serves the whole run, so the search path set on it holds for `fn`.
    return withDatabase(url, async (db) => {
      await db.transaction((tx) => tx.exec(sql));
      await db.exec(`SET search_path TO ${MAPPING_SCHEMA}, public`);
      return fn(db);
    });
  }
  // The views are made on an ordinary session, so that the user's table names resolve as the user means them.
  await withDatabase(url, (db) => db.transaction((tx) => tx.exec(sql)));
  return withDatabase(mappedUrl(url), fn);
}

/** `lifecycle report` on a custom ledger: the bot ledger's report, through the mapping's views. */
export async function customLifecycleReport(url: string, mapping: LedgerMapping | undefined, profileId?: string): Promise<LifecycleReport> {
  return withMappedLedger(url, mapping, (db) => lifecycleReport(db, profileId));
}
