import { UsageError } from '../../errors.ts';

/** The SQL type a model column is cast to, so the report sees the bot-ledger's types whatever the user's are. */
type ModelType = 'text' | 'numeric' | 'timestamptz';

/** A column of the lifecycle model: its type, and what it is when the mapping leaves it out (undefined: required). */
interface ModelColumn {
  readonly type: ModelType;
  readonly fallback?: string;
}

/**
 * The lifecycle model the report's SQL reads (orders → positions → trade history), as the
 * bot-ledger pack names it; a custom ledger maps its own tables and columns onto it.
 */
export const LIFECYCLE_MODEL: Readonly<Record<'orders' | 'trade_history' | 'positions', Readonly<Record<string, ModelColumn>>>> = {
  orders: {
    order_id: { type: 'text' },
    profile_id: { type: 'text' },
    symbol: { type: 'text' },
    trade_id: { type: 'text' },
    action: { type: 'text' },
    status: { type: 'text' },
    source: { type: 'text', fallback: "'bot'" },
    quantity: { type: 'numeric' },
    qty: { type: 'numeric', fallback: 'NULL' },
    filled_at: { type: 'timestamptz', fallback: 'NULL' },
    created_at: { type: 'timestamptz' },
  },
  trade_history: {
    id: { type: 'text' },
    profile_id: { type: 'text' },
    symbol: { type: 'text' },
    trade_id: { type: 'text' },
    quantity: { type: 'numeric' },
  },
  positions: {
    profile_id: { type: 'text' },
    symbol: { type: 'text' },
    quantity: { type: 'numeric' },
  },
};

/** The schema the mapping's views live in (PostgreSQL); it comes first on the search path of a mapped run. */
export const MAPPING_SCHEMA = 'tradeledger_ledger';

/** One model table mapped: the user's table, and per model column a column of it or a constant. */
export interface TableMapping {
  /** The user's table, optionally schema-qualified (`trading.fills`). */
  readonly table: string;
  /** Model column → the user's column name, or `{ value: 'literal' }` for a constant. */
  readonly columns: Readonly<Record<string, string | { readonly value: string }>>;
}

/** A custom ledger: the model tables it maps (trade_history and positions may be left out: then they are empty). */
export type LedgerMapping = Readonly<Partial<Record<keyof typeof LIFECYCLE_MODEL, TableMapping>>>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** A user's identifier, double-quoted; anything but a plain name is refused (the mapping comes from a file, not from SQL). */
function ident(name: string, where: string): string {
  if (!IDENTIFIER.test(name)) throw new UsageError(`mapping ${where}: '${name}' is not a plain column or table name (letters, digits, _ and $)`, 'BAD_MAPPING');
  return `"${name}"`;
}

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * The CREATE VIEW statements that present a user's tables as the lifecycle model, in
 * MAPPING_SCHEMA (pure). Every model column is cast to its model type; an unknown model column, a
 * required one left out, or a name that is not a plain identifier is a UsageError naming it.
 */
export function mappingViewsSql(mapping: LedgerMapping): string {
  if (mapping.orders === undefined) throw new UsageError('mapping.orders is required: the lifecycle model starts from the orders', 'BAD_MAPPING');
  const statements = [`CREATE SCHEMA IF NOT EXISTS ${MAPPING_SCHEMA}`];
  for (const [model, columns] of Object.entries(LIFECYCLE_MODEL)) {
    const table = mapping[model as keyof typeof LIFECYCLE_MODEL];
    if (table !== undefined) {
      for (const key of Object.keys(table.columns))
        if (!(key in columns))
          throw new UsageError(`mapping.${model}.columns.${key}: the model has no such column (it has ${Object.keys(columns).join(', ')})`, 'BAD_MAPPING');
    }
    const from =
      table === undefined
        ? '(SELECT 1) AS nothing WHERE false'
        : table.table
            .split('.')
            .map((part) => ident(part, `${model}.table`))
            .join('.');
    const select = Object.entries(columns).map(([name, column]) => {
      const source = table?.columns[name];
      let expression: string;
      if (table === undefined) expression = 'NULL';
      else if (source === undefined) {
        if (column.fallback === undefined)
          throw new UsageError(`mapping.${model}.columns.${name} is required: name the column of ${table.table} that holds it`, 'BAD_MAPPING');
        expression = column.fallback;
      } else expression = typeof source === 'string' ? ident(source, `${model}.columns.${name}`) : literal(source.value);
      return `CAST(${expression} AS ${column.type}) AS ${name}`;
    });
    statements.push(`CREATE OR REPLACE VIEW ${MAPPING_SCHEMA}.${model} AS SELECT ${select.join(', ')} FROM ${from}`);
  }
  return `${statements.join(';\n')};`;
}
