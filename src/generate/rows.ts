/** The rows `generate` writes, one interface per table; times are epoch milliseconds. */

/** An `orders` row. */
export interface OrderRow {
  readonly orderId: string;
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string | null;
  readonly action: 'ENTRY' | 'EXIT' | null;
  readonly side: 'buy' | 'sell';
  readonly status: string;
  readonly quantity: string | null;
  readonly qty: string | null;
  readonly price: string | null;
  readonly source: 'bot' | 'manual' | 'legacy';
  readonly exchangeOrderId: string | null;
  readonly clientOrderId: string | null;
  readonly filledAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A `trade_history` row (its id is explicit, so that reruns give the same ids). */
export interface HistoryRow {
  readonly id: number;
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string | null;
  readonly entryOrderId: string;
  readonly exitOrderId: string;
  readonly quantity: string;
  readonly entryPrice: string;
  readonly exitPrice: string;
  readonly realizedPnl: string;
  readonly openedAt: number;
  readonly closedAt: number;
  readonly createdAt: number;
}

/** A `positions` row. */
export interface PositionRow {
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string | null;
  readonly quantity: string;
  readonly avgEntryPrice: string | null;
  readonly updatedAt: number;
}

/** A `trading_status` row. */
export interface StatusRow {
  readonly profileId: string;
  readonly state: 'RUNNING' | 'PAUSED';
  readonly reason: string | null;
  readonly updatedBy: string;
  readonly updatedAt: number;
}

/** An `exchange_fills` row (explicit id, as for trade_history). */
export interface FillRow {
  readonly id: number;
  readonly profileId: string;
  readonly symbol: string;
  readonly exchangeOrderId: string;
  readonly exchangeTradeId: string;
  readonly clientOrderId: string | null;
  readonly side: 'buy' | 'sell';
  readonly quantity: string;
  readonly price: string;
  readonly filledAt: number;
}

/** An `exchange_positions` row. */
export interface ExchangePositionRow {
  readonly profileId: string;
  readonly symbol: string;
  readonly quantity: string;
  readonly observedAt: number;
}

/** Where generated rows go. */
export interface RowSink {
  order(row: OrderRow): void;
  history(row: HistoryRow): void;
  position(row: PositionRow): void;
  status(row: StatusRow): void;
  fill(row: FillRow): void;
  exchangePosition(row: ExchangePositionRow): void;
}
