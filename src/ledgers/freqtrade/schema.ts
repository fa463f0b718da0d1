import type { Database, Queryable } from '../../db/port.ts';
import { UsageError } from '../../errors.ts';

/**
 * freqtrade's own tables and the columns tradeledger reads or writes, as freqtrade's models define
 * them (freqtrade/persistence/trade_model.py at commit c9ae5e1, 2024.10-dev; the columns are those
 * of release 2024.9). The pack of facts about a freqtrade database lives here and nowhere else.
 */
export const FREQTRADE_TABLES = { trades: 'trades', orders: 'orders' } as const;

/** Columns of `trades` that the report and the close read or write. */
export const TRADE_COLUMNS = [
  'id',
  'exchange',
  'pair',
  'base_currency',
  'stake_currency',
  'is_open',
  'fee_open',
  'fee_open_cost',
  'fee_close',
  'fee_close_cost',
  'fee_close_currency',
  'open_rate',
  'open_trade_value',
  'close_rate',
  'realized_profit',
  'close_profit',
  'close_profit_abs',
  'stake_amount',
  'max_stake_amount',
  'amount',
  'open_date',
  'close_date',
  'exit_reason',
  'exit_order_status',
  'trading_mode',
  'leverage',
  'is_short',
  'contract_size',
  'interest_rate',
  'funding_fees',
  'funding_fee_running',
  'precision_mode_price',
] as const;

/** Columns of `orders` that the report and the close read or write. */
export const ORDER_COLUMNS = [
  'id',
  'ft_trade_id',
  'ft_order_side',
  'ft_pair',
  'ft_is_open',
  'ft_amount',
  'ft_price',
  'ft_cancel_reason',
  'order_id',
  'status',
  'symbol',
  'order_type',
  'side',
  'price',
  'average',
  'amount',
  'filled',
  'remaining',
  'cost',
  'stop_price',
  'order_date',
  'order_filled_date',
  'order_update_date',
  'funding_fee',
  'ft_fee_base',
  'ft_order_tag',
] as const;

/**
 * freqtrade has no schema version number: its migrations (freqtrade/persistence/migrations.py,
 * `check_migrate`) rebuild the tables whenever `trades` lacks the newest column. That column is the
 * version marker: `precision_mode_price` arrived with freqtrade 2024.8 and is still the newest in 2024.9.
 */
export const SCHEMA_MARKER = { table: 'trades', column: 'precision_mode_price', since: '2024.8' } as const;

/**
 * Columns that would mean a freqtrade newer than the one whose arithmetic we reproduce (a
 * `record_version` column, which freqtrade does not have today): refused rather than guessed at.
 */
const UNKNOWN_VERSION_COLUMNS = ['record_version'] as const;

/** What the schema check found: the dialect, and the freqtrade schema generation by its marker. */
export interface FreqtradeSchema {
  readonly dialect: 'postgres' | 'sqlite';
  readonly generation: string;
}

/** Column names of a table, on either dialect (empty when the table does not exist). */
export async function columnsOf(db: Queryable & { readonly dialect: 'postgres' | 'sqlite' }, table: string): Promise<Set<string>> {
  const rows =
    db.dialect === 'sqlite'
      ? await db.query<{ name: string }>('SELECT name FROM pragma_table_info($1)', [table])
      : await db.query<{ name: string }>(
          'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
          [table],
        );
  return new Set(rows.map((r) => r.name));
}

/**
 * Refuses (UsageError, exit 2) a database that is not a freqtrade database at a schema tradeledger
 * knows: tables missing, the version marker missing (an older freqtrade: start it once to migrate),
 * a column we need missing, or a column of an unknown newer schema present.
 */
export async function requireFreqtradeSchema(db: Database): Promise<FreqtradeSchema> {
  const trades = await columnsOf(db, FREQTRADE_TABLES.trades);
  const orders = await columnsOf(db, FREQTRADE_TABLES.orders);
  if (trades.size === 0 || orders.size === 0) {
    throw new UsageError(
      `${db.url} has no freqtrade ${trades.size === 0 ? 'trades' : 'orders'} table: point --db at freqtrade's database (tradesv3.sqlite or its db_url), or drop --ledger freqtrade`,
      'NOT_FREQTRADE',
    );
  }
  if (!trades.has(SCHEMA_MARKER.column)) {
    throw new UsageError(
      `${db.url}: trades has no ${SCHEMA_MARKER.column} column, so its freqtrade schema is older than ${SCHEMA_MARKER.since}: start freqtrade ${SCHEMA_MARKER.since} or later once (it migrates its database), stop it, then run this again`,
      'FREQTRADE_SCHEMA_OLD',
    );
  }
  const unknown = UNKNOWN_VERSION_COLUMNS.filter((c) => trades.has(c));
  if (unknown.length > 0) {
    throw new UsageError(
      `${db.url}: trades has ${unknown.join(', ')}, a freqtrade schema newer than the one tradeledger knows (2024.9): nothing was read; upgrade tradeledger`,
      'FREQTRADE_SCHEMA_UNKNOWN',
    );
  }
  const missing = [
    ...TRADE_COLUMNS.filter((c) => !trades.has(c)).map((c) => `trades.${c}`),
    ...ORDER_COLUMNS.filter((c) => !orders.has(c)).map((c) => `orders.${c}`),
  ];
  if (missing.length > 0) {
    throw new UsageError(`${db.url}: not a freqtrade schema tradeledger knows (2024.9): missing ${missing.join(', ')}`, 'FREQTRADE_SCHEMA_UNKNOWN');
  }
  return { dialect: db.dialect, generation: `${SCHEMA_MARKER.since}+` };
}
