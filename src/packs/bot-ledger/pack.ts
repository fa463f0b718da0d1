import type { PackDefinition } from '../registry.ts';
import { SAMPLE_TABLES } from './tables.ts';
import { verifyBotLedger } from './verify.ts';

/**
 * The trading bot's ledger (orders, trade_history, positions, trading_status), the exchange
 * evidence mirror and the audit tables, then the trade lifecycle guardrails (007).
 */
export const pack: PackDefinition = {
  name: 'bot-ledger',
  summary: 'trading bot ledger: orders, trade history, positions, exchange evidence, audit tables and trade lifecycle guardrails',
  dialects: ['postgres'],
  defaults: {},
  verify: verifyBotLedger,
  sampleTables: SAMPLE_TABLES,
  // A position with a quantity, and an order that can still fill.
  loadedState: {
    positions: 'SELECT count(*) AS n FROM positions WHERE COALESCE(quantity, 0) <> 0',
    openOrders: `SELECT count(*) AS n FROM orders WHERE status IN ('new', 'pending', 'open', 'partially_filled', 'partially-filled')`,
  },
};
