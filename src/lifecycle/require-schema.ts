import type { Database } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { LIFECYCLE_TABLES } from '../packs/bot-ledger/tables.ts';

/** Refuses a database that is not a PostgreSQL bot ledger, saying what to run. */
export async function requireBotLedger(db: Database, tables: readonly string[] = LIFECYCLE_TABLES): Promise<void> {
  if (await looksLikeFreqtrade(db)) {
    // Its own orders table would pass the table check below and fail later on a missing column.
    throw new UsageError(
      `${db.url} is a freqtrade database (orders.ft_trade_id): add --ledger freqtrade (or ledger: freqtrade in tradeledger.yaml)`,
      'FREQTRADE_LEDGER',
    );
  }
  if (db.dialect !== 'postgres') {
    throw new UsageError(`${db.url} is SQLite; the lifecycle and recon commands work on a PostgreSQL bot ledger (pglite:… or postgres://…)`, 'WRONG_DIALECT');
  }
  const rows = await db.query<{ name: string }>(`SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL`, [tables]);
  if (rows.length > 0) {
    throw new UsageError(
      `${db.url} has no ${rows.map((r) => r.name).join(', ')} table: create the bot-ledger schema first with 'tradeledger migrate up --pack bot-ledger'`,
      'NO_LEDGER',
    );
  }
}

/** True when the database holds freqtrade's orders table (its ft_trade_id column): the bot-ledger commands must not touch it. */
async function looksLikeFreqtrade(db: Database): Promise<boolean> {
  const rows =
    db.dialect === 'sqlite'
      ? await db.query("SELECT 1 FROM pragma_table_info('orders') WHERE name = 'ft_trade_id'")
      : await db.query(
          "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'orders' AND column_name = 'ft_trade_id'",
        );
  return rows.length > 0;
}
