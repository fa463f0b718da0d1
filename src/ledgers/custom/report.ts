import { openDatabase, parseDatabaseUrl, withDatabase } from '../../db/open.ts';
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
 * `lifecycle report` on a custom ledger: (re)creates the views of the mapping in their own schema
 * (nothing of the user's changes), then runs the very report the bot ledger gets, its SQL reading
 * the views by the model's names. PostgreSQL and PGlite; the report's SQL is PostgreSQL's.
 */
export async function customLifecycleReport(url: string, mapping: LedgerMapping | undefined, profileId?: string): Promise<LifecycleReport> {
  if (mapping === undefined) throw new UsageError('ledger: custom needs a mapping: section in tradeledger.yaml (see README.md, Custom ledgers)', 'BAD_MAPPING');
  const sql = mappingViewsSql(mapping);
  const { kind, display } = parseDatabaseUrl(url);
  if (kind === 'sqlite')
    throw new UsageError(`${display}: a custom mapping works on PostgreSQL and PGlite; the lifecycle report's SQL is PostgreSQL's`, 'WRONG_DIALECT');
  if (kind === 'pglite') {
    // One PGlite connection serves the whole run, so the search path set on it holds for the report.
    return withDatabase(url, async (db) => {
      await db.transaction((tx) => tx.exec(sql));
      await db.exec(`SET search_path TO ${MAPPING_SCHEMA}, public`);
      return lifecycleReport(db, profileId);
    });
  }
  // The views are made on an ordinary session, so that the user's table names resolve as the user means them.
  await withDatabase(url, (db) => db.transaction((tx) => tx.exec(sql)));
  const db = await openDatabase(mappedUrl(url));
  try {
    return await lifecycleReport(db, profileId);
  } finally {
    await db.close();
  }
}
