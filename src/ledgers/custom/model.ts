import type { Dialect } from '../../db/port.ts';
import { UsageError } from '../../errors.ts';

/** The SQL type a model column is cast to, so the report sees the bot-ledger's types whatever the user's are. */
type ModelType = 'text' | 'numeric' | 'timestamptz';

/** A column of the lifecycle model: its type, and what it is when the mapping leaves it out (undefined: required). */
interface ModelColumn {
  readonly type: ModelType;
  readonly fallback?: string;
}

/** The model tables a mapping can name. */
export const MODEL_TABLES = ['orders', 'trade_history', 'positions', 'trading_status', 'exchange_fills', 'exchange_positions'] as const;

/** One of the model tables. */
export type ModelTable = (typeof MODEL_TABLES)[number];

/**
 * The lifecycle and recon model the report's and reconciliation's SQL read (orders → positions →
 * trade history; pause state; the exchange evidence mirror), as the bot-ledger pack names it; a
 * custom ledger maps its own tables and columns onto it.
 */
export const LIFECYCLE_MODEL: Readonly<Record<ModelTable, Readonly<Record<string, ModelColumn>>>> = {
  orders: {
    order_id: { type: 'text' },
    profile_id: { type: 'text' },
    symbol: { type: 'text' },
    trade_id: { type: 'text' },
    action: { type: 'text' },
    status: { type: 'text' },
    source: { type: 'text', fallback: "'bot'" },
    side: { type: 'text', fallback: 'NULL' },
    quantity: { type: 'numeric' },
    qty: { type: 'numeric', fallback: 'NULL' },
    price: { type: 'numeric', fallback: 'NULL' },
    exchange_order_id: { type: 'text', fallback: 'NULL' },
    filled_at: { type: 'timestamptz', fallback: 'NULL' },
    created_at: { type: 'timestamptz' },
    updated_at: { type: 'timestamptz', fallback: 'NULL' },
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
  trading_status: {
    profile_id: { type: 'text' },
    // PAUSED / RUNNING in any case, or a boolean (true = paused): see pauseExpression.
    state: { type: 'text' },
  },
  exchange_fills: {
    id: { type: 'text', fallback: 'NULL' },
    profile_id: { type: 'text' },
    symbol: { type: 'text' },
    exchange_order_id: { type: 'text' },
    exchange_trade_id: { type: 'text' },
    client_order_id: { type: 'text', fallback: 'NULL' },
    side: { type: 'text' },
    quantity: { type: 'numeric' },
    price: { type: 'numeric', fallback: 'NULL' },
    filled_at: { type: 'timestamptz' },
  },
  exchange_positions: {
    profile_id: { type: 'text' },
    symbol: { type: 'text' },
    quantity: { type: 'numeric' },
    // Not a gate's input; without a column it is the time of reading.
    observed_at: { type: 'timestamptz', fallback: 'now()' },
  },
};

/** The schema the mapping's views (and the reconciliation's own tables) live in (PostgreSQL); it comes first on the search path of a mapped run. */
export const MAPPING_SCHEMA = 'tradeledger_ledger';

/** One model table mapped: the user's table, and per model column a column of it or a constant. */
export interface TableMapping {
  /** The user's table, optionally schema-qualified (`trading.fills`). */
  readonly table: string;
  /** Model column → the user's column name, or `{ value: 'literal' }` for a constant. */
  readonly columns: Readonly<Record<string, string | { readonly value: string }>>;
}

/** A custom ledger: the model tables it maps (all but orders may be left out: then they are empty). */
export type LedgerMapping = Readonly<Partial<Record<ModelTable, TableMapping>>>;

/** A column of a user's table as the catalog describes it. */
export interface UserColumn {
  /** format_type() of the column on PostgreSQL ('text', 'character varying(20)', 'numeric(18,8)', 'timestamp with time zone', …); the declared type on SQLite ('TEXT', 'REAL', '', …). */
  readonly type: string;
  readonly notNull: boolean;
  readonly hasDefault: boolean;
  /** True when a one-column unique index or constraint (not partial) covers it alone. */
  readonly unique: boolean;
}

/** The user's tables the mapping names, by the name written in the mapping: column name → column. */
export type UserCatalog = ReadonlyMap<string, ReadonlyMap<string, UserColumn>>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** A user's identifier, double-quoted; anything but a plain name is refused (the mapping comes from a file, not from SQL). */
function ident(name: string, where: string): string {
  if (!IDENTIFIER.test(name)) throw new UsageError(`mapping ${where}: '${name}' is not a plain column or table name (letters, digits, _ and $)`, 'BAD_MAPPING');
  return `"${name}"`;
}

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** The user's table name, quoted part by part (pure). */
export function quotedTable(mapping: TableMapping, model: string): string {
  return mapping.table
    .split('.')
    .map((part) => ident(part, `${model}.table`))
    .join('.');
}

/**
 * True when a user's column already has the model's type, so the view can name it as it is: a
 * plain column of a simple view is one PostgreSQL can insert into and update through.
 */
export function sameType(userType: string, model: ModelType): boolean {
  switch (model) {
    case 'text':
      return userType === 'text' || userType.startsWith('character varying');
    case 'numeric':
      return userType === 'numeric' || userType.startsWith('numeric(');
    case 'timestamptz':
      return userType === 'timestamp with time zone';
  }
}

/** trading_status.state from the user's column: PAUSED for 'paused' in any case or a boolean true (SQLite's 1), else RUNNING. */
function pauseExpression(column: string, dialect: Dialect): string {
  const paused = dialect === 'sqlite' ? "'PAUSED', 'TRUE', '1'" : "'PAUSED', 'TRUE'";
  return `CASE WHEN upper(CAST(${column} AS text)) IN (${paused}) THEN 'PAUSED' ELSE 'RUNNING' END`;
}

/**
 * orders.updated_at when the mapping has none: the later of created_at and filled_at, so that a
 * cycle still finds the lifecycles written since its last one (src/recon/open-set.ts). An
 * expression, never the user's column itself: nothing ever writes through it.
 */
function lastWritten(orders: TableMapping, dialect: Dialect): string {
  const parts = ['created_at', 'filled_at'].flatMap((name) => {
    const source = orders.columns[name];
    return typeof source === 'string' ? [dialect === 'sqlite' ? `"${source}"` : `CAST("${source}" AS timestamptz)`] : [];
  });
  if (dialect === 'sqlite') {
    // SQLite's two-argument max() is NULL when either is; GREATEST skips NULLs.
    const [a, b] = parts;
    if (a === undefined) return 'NULL';
    return b === undefined ? a : `CASE WHEN ${a} IS NULL THEN ${b} WHEN ${b} IS NULL THEN ${a} ELSE max(${a}, ${b}) END`;
  }
  return parts.length === 0 ? 'CAST(NULL AS timestamptz)' : `GREATEST(${parts.join(', ')}, NULL)`;
}

/** True for a SQLite declared type with TEXT affinity (SQLite's own rules: INT wins, then CHAR, CLOB or TEXT). */
function sqliteTextAffinity(declared: string): boolean {
  const type = declared.toUpperCase();
  return !type.includes('INT') && /CHAR|CLOB|TEXT/.test(type);
}

/**
 * A model column as SQLite's temporary view gives it: text as TEXT; numeric as its exact decimal
 * TEXT, never SQLite's REAL (the report sums it with decimal.js: src/lifecycle/report-derive.ts);
 * a time as stored (ISO-8601 text or Unix seconds), since SQLite has no time type to cast to.
 */
function sqliteColumn(expression: string, type: ModelType, declared: string | undefined): string {
  if (type === 'timestamptz') return expression;
  if (type === 'text' && declared !== undefined && sqliteTextAffinity(declared)) return expression;
  return `CAST(${expression} AS TEXT)`;
}

/** A model fallback in SQLite's words: it has no now(). */
function sqliteFallback(fallback: string): string {
  return fallback === 'now()' ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : fallback;
}

/**
 * Checks the mapping against the model and the user's catalog (pure): an unknown model column, a
 * required one left out, a table or column the database does not have, or a name that is not a
 * plain identifier is a UsageError naming the mapping key and the fix.
 */
export function checkMapping(mapping: LedgerMapping, catalog: UserCatalog): void {
  for (const key of Object.keys(mapping))
    if (!(MODEL_TABLES as readonly string[]).includes(key))
      throw new UsageError(`mapping.${key}: the lifecycle model has no such table (it has ${MODEL_TABLES.join(', ')})`, 'BAD_MAPPING');
  if (mapping.orders === undefined) throw new UsageError('mapping.orders is required: the lifecycle model starts from the orders', 'BAD_MAPPING');
  for (const model of MODEL_TABLES) {
    const table = mapping[model];
    if (table === undefined) continue;
    quotedTable(table, model);
    const columns = LIFECYCLE_MODEL[model];
    for (const key of Object.keys(table.columns))
      if (!(key in columns))
        throw new UsageError(`mapping.${model}.columns.${key}: the model has no such column (it has ${Object.keys(columns).join(', ')})`, 'BAD_MAPPING');
    const user = catalog.get(table.table);
    if (user === undefined)
      throw new UsageError(
        `mapping.${model}.table: the database has no table ${table.table}: name an existing table (schema.table if it is not on the search path)`,
        'BAD_MAPPING',
      );
    for (const [name, column] of Object.entries(columns)) {
      const source = table.columns[name];
      if (source === undefined && column.fallback === undefined)
        throw new UsageError(`mapping.${model}.columns.${name} is required: name the column of ${table.table} that holds it`, 'BAD_MAPPING');
      if (typeof source === 'string') {
        ident(source, `${model}.columns.${name}`);
        if (!user.has(source))
          throw new UsageError(
            `mapping.${model}.columns.${name}: ${table.table} has no column ${source} (it has ${[...user.keys()].join(', ')})`,
            'BAD_MAPPING',
          );
      }
    }
  }
}

/**
 * The statements that present a user's tables as the model (pure; run `checkMapping` first). On
 * PostgreSQL, views in MAPPING_SCHEMA: a column of the model's type is named as it is (the view
 * can write it); any other is cast to the model type (read only). On SQLite, TEMPORARY views
 * (they live in the connection's temp schema: nothing is written to the user's file), read only,
 * over the user's tables named `main.` (a view named like the user's table would find itself);
 * types as `sqliteColumn` gives them. Views are dropped and made again, so that a changed mapping
 * never meets the old view's column types.
 */
export function mappingViewsSql(mapping: LedgerMapping, catalog: UserCatalog, dialect: Dialect = 'postgres'): string {
  const sqlite = dialect === 'sqlite';
  const statements = sqlite ? [] : [`CREATE SCHEMA IF NOT EXISTS ${MAPPING_SCHEMA}`];
  for (const model of MODEL_TABLES) statements.push(sqlite ? `DROP VIEW IF EXISTS temp.${model}` : `DROP VIEW IF EXISTS ${MAPPING_SCHEMA}.${model}`);
  for (const model of MODEL_TABLES) {
    const table = mapping[model];
    const user = table === undefined ? undefined : catalog.get(table.table);
    const quoted = table === undefined ? undefined : quotedTable(table, model);
    const from =
      table === undefined || quoted === undefined ? '(SELECT 1) AS no_rows WHERE false' : sqlite && !table.table.includes('.') ? `main.${quoted}` : quoted;
    const select = Object.entries(LIFECYCLE_MODEL[model]).map(([name, column]) => {
      const source = table?.columns[name];
      if (typeof source === 'string') {
        const quoted = `"${source}"`;
        if (model === 'trading_status' && name === 'state') return `${pauseExpression(quoted, dialect)} AS ${name}`;
        if (sqlite) return `${sqliteColumn(quoted, column.type, user?.get(source)?.type)} AS ${name}`;
        if (sameType(user?.get(source)?.type ?? '', column.type)) return name === source ? quoted : `${quoted} AS ${name}`;
        return `CAST(${quoted} AS ${column.type}) AS ${name}`;
      }
      if (model === 'orders' && name === 'updated_at' && table !== undefined && source === undefined) return `${lastWritten(table, dialect)} AS updated_at`;
      const expression = table === undefined || source === undefined ? (column.fallback ?? 'NULL') : literal(source.value);
      if (sqlite) return `${expression === 'NULL' ? 'NULL' : sqliteColumn(sqliteFallback(expression), column.type, undefined)} AS ${name}`;
      return `CAST(${expression} AS ${column.type}) AS ${name}`;
    });
    statements.push(
      sqlite
        ? `CREATE TEMP VIEW ${model} AS SELECT ${select.join(', ')} FROM ${from}`
        : `CREATE VIEW ${MAPPING_SCHEMA}.${model} AS SELECT ${select.join(', ')} FROM ${from}`,
    );
  }
  return `${statements.join(';\n')};`;
}
