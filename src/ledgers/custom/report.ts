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

/** The refusal of reconciliation on a SQLite custom ledger: what works there, and what to do instead. */
export function sqliteReconRefusal(display: string): UsageError {
  return new UsageError(
    `${display}: reconciliation of a custom ledger runs on PostgreSQL and PGlite only (its SQL takes advisory and row locks and keeps audit tables SQLite has no place for); on SQLite, 'lifecycle report --ledger custom' works (read only, through temporary views: nothing is written to the file). To reconcile, copy the mapped tables into a PostgreSQL or PGlite database (pgloader copies a SQLite file) and run recon there with the same mapping: section`,
    'WRONG_DIALECT',
  );
}

/**
 * Runs `fn` on a custom ledger: checks the mapping against the user's tables, (re)creates its views
 * in their own schema (nothing of the user's changes), then hands `fn` a database whose search
 * path finds the views by the model's names, so the bot ledger's SQL runs on them unchanged.
 * PostgreSQL and PGlite; SQLite is refused (reconciliation's SQL is PostgreSQL's; the report has
 * its own SQLite path: customLifecycleReport).
 */
export async function withMappedLedger<T>(
  url: string,
  mapping: LedgerMapping | undefined,
  fn: (db: Database) => Promise<T>,
  options: MappedOptions = {},
): Promise<T> {
  if (mapping === undefined) throw noMapping();
  const { kind, display } = parseDatabaseUrl(url);
  if (kind === 'sqlite') throw sqliteReconRefusal(display);
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

const noMapping = () => new UsageError('ledger: custom needs a mapping: section in tradeledger.yaml (see README.md, Custom ledgers)', 'BAD_MAPPING');

/**
 * Runs `fn` on a custom ledger in a SQLite file, read only: checks the mapping against the file's
 * tables, then makes the views as TEMPORARY views of this connection alone (they vanish with it:
 * nothing is written to the file), so the model's names find them before any table of the file.
 */
async function withSqliteMappedLedger<T>(url: string, mapping: LedgerMapping, fn: (db: Database) => Promise<T>): Promise<T> {
  return withDatabase(
    url,
    async (db) => {
      const catalog = await readCatalog(db, mapping, 'sqlite');
      checkMapping(mapping, catalog);
      await db.exec(mappingViewsSql(mapping, catalog, 'sqlite'));
      return fn(db);
    },
    { mustExist: true },
  );
}

/** `lifecycle report` on a custom ledger: the bot ledger's report, through the mapping's views (on SQLite, temporary ones). */
export async function customLifecycleReport(url: string, mapping: LedgerMapping | undefined, profileId?: string): Promise<LifecycleReport> {
  if (mapping === undefined) throw noMapping();
  if (parseDatabaseUrl(url).kind === 'sqlite') return withSqliteMappedLedger(url, mapping, (db) => lifecycleReport(db, profileId));
  return withMappedLedger(url, mapping, (db) => lifecycleReport(db, profileId));
}
