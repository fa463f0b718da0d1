/**
 * The bot-ledger schema as the lifecycle and reconciliation features rely on it (issue 3's
 * column contract), per migration version: what `verify` compares the catalog with.
 */
import { BLANK_CODE_POINTS, TRADE_ID_FORMAT_SQL } from './trade-id.ts';

/** One column: information_schema's data_type, nullability, default and identity. */
export interface ColumnContract {
  readonly name: string;
  readonly type: 'text' | 'numeric' | 'bigint' | 'jsonb' | 'timestamp with time zone';
  readonly notNull: boolean;
  /** `information_schema.columns.column_default` as PostgreSQL prints it; undefined: none. */
  readonly default?: string;
  /** GENERATED ALWAYS AS IDENTITY. */
  readonly identity?: boolean;
}

/** One table, the version that creates it, and its primary key. */
export interface TableContract {
  readonly name: string;
  readonly version: number;
  readonly columns: readonly ColumnContract[];
  readonly primaryKey: readonly string[];
}

/** A CHECK constraint known by the values it allows (the quoted literals in its definition). */
export interface CheckContract {
  readonly name: string;
  readonly table: string;
  readonly version: number;
  readonly values: readonly string[];
}

/** An index by name, on its table's columns in order. */
export interface IndexContract {
  readonly name: string;
  readonly table: string;
  readonly version: number;
  readonly columns: readonly string[];
}

type Flag = '!' | 'identity' | `default ${string}`;

function c(name: string, type: ColumnContract['type'], ...flags: Flag[]): ColumnContract {
  const fallback = flags.find((flag) => flag.startsWith('default '))?.slice('default '.length);
  return {
    name,
    type,
    notNull: flags.includes('!') || flags.includes('identity'),
    ...(fallback === undefined ? {} : { default: fallback }),
    ...(flags.includes('identity') ? { identity: true } : {}),
  };
}

const TS = 'timestamp with time zone';
const NOW: Flag = 'default now()';

/** Every table the pack creates. */
export const TABLES: readonly TableContract[] = [
  {
    name: 'orders',
    version: 1,
    primaryKey: ['order_id'],
    columns: [
      c('order_id', 'text', '!'),
      c('profile_id', 'text', '!'),
      c('symbol', 'text', '!'),
      c('trade_id', 'text'),
      c('action', 'text'),
      c('side', 'text'),
      c('status', 'text', '!'),
      c('quantity', 'numeric'),
      c('qty', 'numeric'),
      c('price', 'numeric'),
      c('source', 'text', '!', "default 'bot'::text"),
      c('exchange_order_id', 'text'),
      c('client_order_id', 'text'),
      c('filled_at', TS),
      c('created_at', TS, '!', NOW),
      c('updated_at', TS, '!', NOW),
    ],
  },
  {
    name: 'trade_history',
    version: 2,
    primaryKey: ['id'],
    columns: [
      c('id', 'bigint', 'identity'),
      c('profile_id', 'text', '!'),
      c('symbol', 'text', '!'),
      c('trade_id', 'text'),
      c('entry_order_id', 'text'),
      c('exit_order_id', 'text'),
      c('quantity', 'numeric', '!'),
      c('entry_price', 'numeric'),
      c('exit_price', 'numeric'),
      c('realized_pnl', 'numeric'),
      c('opened_at', TS),
      c('closed_at', TS),
      c('created_at', TS, '!', NOW),
    ],
  },
  {
    name: 'positions',
    version: 3,
    primaryKey: ['profile_id', 'symbol'],
    columns: [
      c('profile_id', 'text', '!'),
      c('symbol', 'text', '!'),
      c('trade_id', 'text'),
      c('quantity', 'numeric'),
      c('avg_entry_price', 'numeric'),
      c('updated_at', TS, '!', NOW),
    ],
  },
  {
    name: 'trading_status',
    version: 4,
    primaryKey: ['profile_id'],
    columns: [
      c('profile_id', 'text', '!'),
      c('state', 'text', '!', "default 'RUNNING'::text"),
      c('reason', 'text'),
      c('updated_by', 'text'),
      c('updated_at', TS, '!', NOW),
    ],
  },
  {
    name: 'exchange_fills',
    version: 5,
    primaryKey: ['id'],
    columns: [
      c('id', 'bigint', 'identity'),
      c('profile_id', 'text', '!'),
      c('symbol', 'text', '!'),
      c('exchange_order_id', 'text'),
      c('exchange_trade_id', 'text', '!'),
      c('client_order_id', 'text'),
      c('side', 'text'),
      c('quantity', 'numeric', '!'),
      c('price', 'numeric'),
      c('filled_at', TS, '!'),
    ],
  },
  {
    name: 'exchange_positions',
    version: 5,
    primaryKey: ['profile_id', 'symbol'],
    columns: [c('profile_id', 'text', '!'), c('symbol', 'text', '!'), c('quantity', 'numeric', '!'), c('observed_at', TS, '!', NOW)],
  },
  {
    name: 'reconciliation_backfill_audit',
    version: 6,
    primaryKey: ['id'],
    columns: [
      c('id', 'bigint', 'identity'),
      c('batch_id', 'text', '!'),
      c('profile_id', 'text', '!'),
      c('symbol', 'text'),
      c('trade_id', 'text'),
      c('decision', 'text', '!'),
      c('reason', 'text'),
      c('open_qty', 'numeric'),
      c('filled_qty', 'numeric'),
      c('dust_qty', 'numeric'),
      c('backfill_order_id', 'text'),
      c('exchange_order_id', 'text'),
      c('exchange_client_order_id', 'text'),
      c('evidence', 'jsonb'),
      c('created_at', TS, '!', NOW),
      c('reverted_at', TS),
    ],
  },
  {
    name: 'lifecycle_snapshots',
    version: 6,
    primaryKey: ['snapshot_id'],
    columns: [c('snapshot_id', 'bigint', 'identity'), c('taken_at', TS, '!', NOW), c('label', 'text'), c('counts', 'jsonb', '!')],
  },
  {
    name: 'lifecycle_backfill_batches',
    version: 6,
    primaryKey: ['batch_id'],
    columns: [
      c('batch_id', 'text', '!'),
      c('started_at', TS, '!', NOW),
      c('finished_at', TS),
      c('reverted_at', TS),
      c('status', 'text', '!'),
      c('profile_id', 'text'),
      c('rows_changed', 'bigint', '!', 'default 0'),
      c('resume_after', 'jsonb'),
    ],
  },
  {
    name: 'lifecycle_backfill_changes',
    version: 6,
    primaryKey: ['id'],
    columns: [
      c('id', 'bigint', 'identity'),
      c('batch_id', 'text', '!'),
      c('table_name', 'text', '!'),
      c('row_key', 'text', '!'),
      c('profile_id', 'text', '!'),
      c('step', 'text', '!'),
      c('old_trade_id', 'text'),
      c('new_trade_id', 'text'),
      c('changed_at', TS, '!', NOW),
    ],
  },
  {
    name: 'recon_open_lifecycles',
    version: 6,
    primaryKey: ['profile_id', 'trade_id'],
    columns: [
      c('profile_id', 'text', '!'),
      c('trade_id', 'text', '!'),
      c('symbol', 'text', '!'),
      c('open_qty', 'numeric', '!'),
      c('refreshed_at', TS, '!', NOW),
    ],
  },
  {
    name: 'recon_cycle_state',
    version: 6,
    primaryKey: ['scope'],
    columns: [c('scope', 'text', '!'), c('watermark', TS, '!'), c('full_refresh_at', TS, '!'), c('updated_at', TS, '!', NOW)],
  },
];

/** The CHECK constraints of versions 1–6 and the values each allows. */
export const CHECKS: readonly CheckContract[] = [
  { name: 'chk_orders_action', table: 'orders', version: 1, values: ['ENTRY', 'EXIT'] },
  {
    name: 'chk_orders_status',
    table: 'orders',
    version: 1,
    values: ['new', 'pending', 'open', 'partially_filled', 'partially-filled', 'filled', 'canceled', 'rejected', 'expired'],
  },
  { name: 'chk_orders_source', table: 'orders', version: 1, values: ['bot', 'manual', 'legacy', 'backfill'] },
  { name: 'chk_trading_status_state', table: 'trading_status', version: 4, values: ['RUNNING', 'PAUSED'] },
  {
    name: 'chk_reconciliation_backfill_audit_decision',
    table: 'reconciliation_backfill_audit',
    version: 6,
    values: ['DRY_RUN', 'PENDING_APPLY', 'APPLIED', 'SKIP_EXISTING', 'NO_GO'],
  },
  { name: 'chk_lifecycle_backfill_batches_status', table: 'lifecycle_backfill_batches', version: 6, values: ['running', 'done', 'reverted'] },
  { name: 'chk_lifecycle_backfill_changes_table_name', table: 'lifecycle_backfill_changes', version: 6, values: ['orders', 'trade_history'] },
  { name: 'chk_lifecycle_backfill_changes_step', table: 'lifecycle_backfill_changes', version: 6, values: ['normalise', 'assign', 'history'] },
];

/** The unique key that keeps a mirrored fill from counting twice as evidence. */
export const EXCHANGE_FILLS_UNIQUE = {
  name: 'uq_exchange_fills_profile_exchange_trade',
  table: 'exchange_fills',
  columns: ['profile_id', 'exchange_trade_id'],
} as const;

/** The indexes of versions 1–6 (007's are checked through the docs/runbooks/trade-lifecycle-integrity.md Phase B query). */
export const INDEXES: readonly IndexContract[] = [
  { name: 'idx_orders_lifecycle_walk', table: 'orders', version: 1, columns: ['profile_id', 'symbol', 'filled_at', 'created_at', 'order_id'] },
  { name: 'idx_orders_profile_exchange_order', table: 'orders', version: 1, columns: ['profile_id', 'exchange_order_id'] },
  { name: 'idx_orders_updated_at', table: 'orders', version: 1, columns: ['updated_at'] },
  { name: 'idx_trade_history_profile_entry_order', table: 'trade_history', version: 2, columns: ['profile_id', 'entry_order_id'] },
  { name: 'idx_trade_history_profile_exit_order', table: 'trade_history', version: 2, columns: ['profile_id', 'exit_order_id'] },
  { name: 'idx_exchange_fills_profile_symbol_filled_at', table: 'exchange_fills', version: 5, columns: ['profile_id', 'symbol', 'filled_at'] },
  { name: 'idx_reconciliation_backfill_audit_batch', table: 'reconciliation_backfill_audit', version: 6, columns: ['batch_id'] },
  {
    name: 'idx_reconciliation_backfill_audit_profile_created',
    table: 'reconciliation_backfill_audit',
    version: 6,
    columns: ['profile_id', 'created_at'],
  },
  { name: 'idx_lifecycle_backfill_changes_batch', table: 'lifecycle_backfill_changes', version: 6, columns: ['batch_id'] },
];

/** The version that adds the lifecycle guardrails (docs/runbooks/trade-lifecycle-integrity.md Phase B). */
export const GUARDRAILS_VERSION = 7;

/** Migration 007's indexes: exactly what the index query of docs/runbooks/trade-lifecycle-integrity.md Phase B must return. */
export const GUARDRAIL_INDEXES: readonly IndexContract[] = [
  { name: 'idx_orders_profile_trade_id', table: 'orders', version: 7, columns: ['profile_id', 'trade_id'] },
  { name: 'idx_trade_history_profile_trade_id', table: 'trade_history', version: 7, columns: ['profile_id', 'trade_id'] },
];

// As pg_get_constraintdef prints them: the blank characters appear as themselves.
const NOT_BLANK = `btrim(trade_id, '${String.fromCodePoint(...BLANK_CODE_POINTS)}'::text) <> ''::text`;
const FORMAT = `trade_id ~ '${TRADE_ID_FORMAT_SQL}'::text`;

/** Migration 007's constraints, each with text its definition (pg_get_constraintdef) must hold. */
export const GUARDRAIL_CONSTRAINTS: readonly { readonly name: string; readonly table: string; readonly holds: readonly string[] }[] = [
  { name: 'chk_orders_action_lifecycle', table: 'orders', holds: ["'ENTRY'::text", "'EXIT'::text", "source <> 'bot'::text", 'trade_id IS NOT NULL'] },
  { name: 'chk_orders_trade_id_not_blank', table: 'orders', holds: [NOT_BLANK] },
  { name: 'chk_orders_trade_id_format', table: 'orders', holds: [FORMAT] },
  { name: 'chk_trade_history_trade_id_not_blank', table: 'trade_history', holds: [NOT_BLANK] },
  { name: 'chk_trade_history_trade_id_format', table: 'trade_history', holds: [FORMAT] },
];
