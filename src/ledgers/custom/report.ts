import { parseDatabaseUrl, withDatabase } from '../../db/open.ts';
import type { Database, Queryable } from '../../db/port.ts';
import { UsageError } from '../../errors.ts';
import { lifecycleReport, type LifecycleReport } from '../../lifecycle/report.ts';
import { readCatalog } from './catalog.ts';
import { checkMapping, MAPPING_SCHEMA, mappingViewsSql, type LedgerMapping } from './model.ts';
import { customReconTablesSql } from './recon-tables.ts';
import { checkWritable } from './writable.ts';

/** The URL of a PostgreSQL session whose search path finds the mapping's views before the user's tables. */
function mappedUrl(url: string): string {
  const parsed = new URL(url);
  const path = parsed.searchParams.get('options');
  parsed.searchParams.set('options', `${path === null ? '' : `${path} `}-c search_path=${MAPPING_SCHEMA},public`);
  return parsed.toString();
}

/** What a mapped run needs besides the views: `recon` makes reconciliation's own tables; `write` checks the orders view takes EXIT rows. */
export interface MappedOptions {
  readonly recon?: boolean;
  readonly write?: boolean;
}

/** Checks the mapping against the user's tables and (re)makes the views, in the caller's transaction, one run at a time. */
async function prepare(tx: Queryable, mapping: LedgerMapping, options: MappedOptions): Promise<void> {
  // Two runs remaking the views at once would collide in the catalog ("tuple concurrently updated").
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MAPPING_SCHEMA]);
  const catalog = await readCatalog(tx, mapping);
  checkMapping(mapping, catalog);
  if (options.write === true) checkWritable(mapping, catalog);
  await tx.exec(mappingViewsSql(mapping, catalog));
  if (options.recon === true || options.write === true) await tx.exec(customReconTablesSql());
}

/**
 * Runs `fn` on a custom ledger: checks the mapping against the user's tables, (re)creates its views
 * in their own schema (nothing of the user's changes), then hands `fn` a database whose search
 * path finds the views by the model's names, so the bot ledger's SQL runs on them unchanged.
 * PostgreSQL and PGlite; SQLite is refused (that SQL is PostgreSQL's).
 */
export async function withMappedLedger<T>(
  url: string,
  mapping: LedgerMapping | undefined,
  fn: (db: Database) => Promise<T>,
  options: MappedOptions = {},
): Promise<T> {
  if (mapping === undefined) throw new UsageError('ledger: custom needs a mapping: section in tradeledger.yaml (see README.md, Custom ledgers)', 'BAD_MAPPING');
  const { kind, display } = parseDatabaseUrl(url);
  if (kind === 'sqlite')
    throw new UsageError(
      `${display}: a custom mapping works on PostgreSQL and PGlite; the lifecycle report's and reconciliation's SQL is PostgreSQL's and is not run on SQLite. On SQLite, --ledger freqtrade works (freqtrade's own schema); for a custom schema, use a PostgreSQL or PGlite database`,
      'WRONG_DIALECT',
    );
  if (kind === 'pglite') {
    // One PGlite connection serves the whole run, so the search path set on it holds for `fn`.
    return withDatabase(url, async (db) => {
      await db.transaction((tx) => prepare(tx, mapping, options));
      await db.exec(`SET search_path TO ${MAPPING_SCHEMA}, public`);
      return fn(db);
    });
  }
  // The views are made on an ordinary session, so that the user's table names resolve as the user means them.
  await withDatabase(url, (db) => db.transaction((tx) => prepare(tx, mapping, options)));
  return withDatabase(mappedUrl(url), fn);
}

/** `lifecycle report` on a custom ledger: the bot ledger's report, through the mapping's views. */
export async function customLifecycleReport(url: string, mapping: LedgerMapping | undefined, profileId?: string): Promise<LifecycleReport> {
  return withMappedLedger(url, mapping, (db) => lifecycleReport(db, profileId));
}
