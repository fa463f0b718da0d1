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
};
