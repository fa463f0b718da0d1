import type { ExchangePositionRow, FillRow, HistoryRow, OrderRow, PositionRow, StatusRow } from './rows.ts';

/** How one table's rows travel: its columns with their PostgreSQL types, and a row's values in that order. */
export interface TableSpec<T> {
  readonly name: string;
  readonly columns: readonly (readonly [name: string, type: 'text' | 'numeric' | 'timestamptz' | 'bigint'])[];
  /** The id is given explicitly (OVERRIDING SYSTEM VALUE), so reruns give the same ids. */
  readonly explicitIdentity: boolean;
  values(row: T): unknown[];
}

const DAY = 86_400_000;
const dayPrefixes = new Map<number, string>();
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Epoch milliseconds as ISO-8601 UTC. Date#toISOString was a quarter of the generator's time, so
 * the date part is cached per day and the time of day is built from whole numbers.
 */
export function iso(ms: number): string {
  const day = Math.floor(ms / DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  const time = ms - day * DAY;
  return `${prefix}${pad(Math.floor(time / 3_600_000), 2)}:${pad(Math.floor(time / 60_000) % 60, 2)}:${pad(Math.floor(time / 1000) % 60, 2)}.${pad(time % 1000, 3)}Z`;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** `orders`. */
export const ORDERS: TableSpec<OrderRow> = {
  name: 'orders',
  explicitIdentity: false,
  columns: [
    ['order_id', 'text'],
    ['profile_id', 'text'],
    ['symbol', 'text'],
    ['trade_id', 'text'],
    ['action', 'text'],
    ['side', 'text'],
    ['status', 'text'],
    ['quantity', 'numeric'],
    ['qty', 'numeric'],
    ['price', 'numeric'],
    ['source', 'text'],
    ['exchange_order_id', 'text'],
    ['client_order_id', 'text'],
    ['filled_at', 'timestamptz'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
  values: (r) => [
    r.orderId,
    r.profileId,
    r.symbol,
    r.tradeId,
    r.action,
    r.side,
    r.status,
    r.quantity,
    r.qty,
    r.price,
    r.source,
    r.exchangeOrderId,
    r.clientOrderId,
    isoOrNull(r.filledAt),
    iso(r.createdAt),
    iso(r.updatedAt),
  ],
};

/** `trade_history`. */
export const TRADE_HISTORY: TableSpec<HistoryRow> = {
  name: 'trade_history',
  explicitIdentity: true,
  columns: [
    ['id', 'bigint'],
    ['profile_id', 'text'],
    ['symbol', 'text'],
    ['trade_id', 'text'],
    ['entry_order_id', 'text'],
    ['exit_order_id', 'text'],
    ['quantity', 'numeric'],
    ['entry_price', 'numeric'],
    ['exit_price', 'numeric'],
    ['realized_pnl', 'numeric'],
    ['opened_at', 'timestamptz'],
    ['closed_at', 'timestamptz'],
    ['created_at', 'timestamptz'],
  ],
  values: (r) => [
    r.id,
    r.profileId,
    r.symbol,
    r.tradeId,
    r.entryOrderId,
    r.exitOrderId,
    r.quantity,
    r.entryPrice,
    r.exitPrice,
    r.realizedPnl,
    iso(r.openedAt),
    iso(r.closedAt),
    iso(r.createdAt),
  ],
};

/** `positions`. */
export const POSITIONS: TableSpec<PositionRow> = {
  name: 'positions',
  explicitIdentity: false,
  columns: [
    ['profile_id', 'text'],
    ['symbol', 'text'],
    ['trade_id', 'text'],
    ['quantity', 'numeric'],
    ['avg_entry_price', 'numeric'],
    ['updated_at', 'timestamptz'],
  ],
  values: (r) => [r.profileId, r.symbol, r.tradeId, r.quantity, r.avgEntryPrice, iso(r.updatedAt)],
};

/** `trading_status`. */
export const TRADING_STATUS: TableSpec<StatusRow> = {
  name: 'trading_status',
  explicitIdentity: false,
  columns: [
    ['profile_id', 'text'],
    ['state', 'text'],
    ['reason', 'text'],
    ['updated_by', 'text'],
    ['updated_at', 'timestamptz'],
  ],
  values: (r) => [r.profileId, r.state, r.reason, r.updatedBy, iso(r.updatedAt)],
};

/** `exchange_fills`. */
export const EXCHANGE_FILLS: TableSpec<FillRow> = {
  name: 'exchange_fills',
  explicitIdentity: true,
  columns: [
    ['id', 'bigint'],
    ['profile_id', 'text'],
    ['symbol', 'text'],
    ['exchange_order_id', 'text'],
    ['exchange_trade_id', 'text'],
    ['client_order_id', 'text'],
    ['side', 'text'],
    ['quantity', 'numeric'],
    ['price', 'numeric'],
    ['filled_at', 'timestamptz'],
  ],
  values: (r) => [r.id, r.profileId, r.symbol, r.exchangeOrderId, r.exchangeTradeId, r.clientOrderId, r.side, r.quantity, r.price, iso(r.filledAt)],
};

/** `exchange_positions`. */
export const EXCHANGE_POSITIONS: TableSpec<ExchangePositionRow> = {
  name: 'exchange_positions',
  explicitIdentity: false,
  columns: [
    ['profile_id', 'text'],
    ['symbol', 'text'],
    ['quantity', 'numeric'],
    ['observed_at', 'timestamptz'],
  ],
  values: (r) => [r.profileId, r.symbol, r.quantity, iso(r.observedAt)],
};

/** Every table `generate` fills, in the order it fills them. */
export const GENERATED_TABLES = [ORDERS, TRADE_HISTORY, POSITIONS, TRADING_STATUS, EXCHANGE_FILLS, EXCHANGE_POSITIONS].map((t) => t.name);

/** The multi-row INSERT of one batch: every column as one array parameter, unnested. */
export function insertSql(spec: TableSpec<never>): string {
  const columns = spec.columns.map(([name]) => name).join(', ');
  const arrays = spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return `INSERT INTO ${spec.name} (${columns})${spec.explicitIdentity ? ' OVERRIDING SYSTEM VALUE' : ''} SELECT * FROM unnest(${arrays})`;
}
