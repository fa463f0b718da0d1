// A user's own ledger tables in a fresh test database, and the tradeledger.yaml that maps them.
import { openDatabase } from '../../src/db/open.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

/** A tradeledger.yaml for a custom ledger: `mapping` (the `ledger:` and `mapping:` keys), then the database URL. */
export function customConfig(mapping: string, url: string): string {
  return `${mapping}database:\n  url: ${JSON.stringify(url)}\n`;
}

/** A fresh database of `kind` holding the user's tables, made by `schemaSql`. */
export async function userDatabase(kind: 'pglite' | 'postgres', schemaSql: string): Promise<TestDatabase> {
  const test = await createTestDatabase(kind);
  const db = await openDatabase(test.url);
  try {
    await db.exec(schemaSql);
  } finally {
    await db.close();
  }
  return test;
}
