// What migration 001 must leave in the database, as the specification and its test report name it.
// verify.ts compares the catalog with these; the SQL file is the one place that creates them.

/** One column: its type as `format_type` prints it, nullability and default as `pg_get_expr` prints it. */
export interface ExpectedColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly default: string | null;
}

const UUID_PK: ExpectedColumn = { name: 'id', type: 'uuid', nullable: false, default: 'gen_random_uuid()' };
const TIMESTAMP_NOW = (name: string): ExpectedColumn => ({ name, type: 'timestamp with time zone', nullable: false, default: 'now()' });
const PRICE = (name: string, nullable = true): ExpectedColumn => ({ name, type: 'numeric(10,2)', nullable, default: null });

/** The three tables and their columns in order (the report says orders has 15 but lists these 14). */
export const EXPECTED_TABLES: Readonly<Record<string, readonly ExpectedColumn[]>> = {
  orders: [
    UUID_PK,
    { name: 'trader_id', type: 'uuid', nullable: false, default: null },
    { name: 'symbol', type: 'character varying(10)', nullable: false, default: null },
    { name: 'quantity', type: 'integer', nullable: false, default: null },
    { name: 'order_type', type: 'order_type_enum', nullable: false, default: null },
    PRICE('price'),
    PRICE('stop_loss'),
    PRICE('take_profit'),
    { name: 'status', type: 'order_status_enum', nullable: false, default: "'PENDING'::order_status_enum" },
    { name: 'filled_quantity', type: 'integer', nullable: false, default: '0' },
    PRICE('average_fill_price'),
    TIMESTAMP_NOW('created_at'),
    TIMESTAMP_NOW('updated_at'),
    { name: 'expires_at', type: 'timestamp with time zone', nullable: true, default: null },
  ],
  fills: [
    UUID_PK,
    { name: 'order_id', type: 'uuid', nullable: false, default: null },
    TIMESTAMP_NOW('timestamp'),
    { name: 'quantity_filled', type: 'integer', nullable: false, default: null },
    PRICE('price_at_fill', false),
    { name: 'venue', type: 'character varying(50)', nullable: false, default: null },
    { name: 'commission', type: 'numeric(10,2)', nullable: false, default: '0' },
    TIMESTAMP_NOW('created_at'),
  ],
  execution_logs: [
    UUID_PK,
    { name: 'order_id', type: 'uuid', nullable: false, default: null },
    { name: 'trader_id', type: 'uuid', nullable: false, default: null },
    { name: 'action', type: 'action_enum', nullable: false, default: null },
    { name: 'status', type: 'order_status_enum', nullable: true, default: null },
    TIMESTAMP_NOW('timestamp'),
    { name: 'reason', type: 'text', nullable: true, default: null },
    { name: 'retry_attempt', type: 'integer', nullable: true, default: null },
    { name: 'error_code', type: 'character varying(50)', nullable: true, default: null },
    TIMESTAMP_NOW('created_at'),
  ],
};

/** The enums and their values in the specification's order. */
export const EXPECTED_ENUMS: Readonly<Record<string, readonly string[]>> = {
  order_type_enum: ['MARKET', 'LIMIT', 'STOP'],
  order_status_enum: ['PENDING', 'FILLED', 'PARTIAL', 'REJECTED', 'CANCELLED'],
  action_enum: ['SUBMITTED', 'APPROVED', 'EXECUTED', 'FILLED', 'REJECTED', 'CANCELLED', 'RECOVERED'],
};

/** A named constraint: its table and `pg_get_constraintdef` text. */
export interface ExpectedConstraint {
  readonly table: string;
  readonly definition: string;
}

/** The report's eight check constraints. */
export const EXPECTED_CHECKS: Readonly<Record<string, ExpectedConstraint>> = {
  ck_orders_quantity_positive: { table: 'orders', definition: 'CHECK ((quantity > 0))' },
  ck_orders_price_positive: { table: 'orders', definition: 'CHECK (((price IS NULL) OR (price > (0)::numeric)))' },
  ck_orders_filled_quantity_nonnegative: { table: 'orders', definition: 'CHECK ((filled_quantity >= 0))' },
  ck_orders_filled_lte_quantity: { table: 'orders', definition: 'CHECK ((filled_quantity <= quantity))' },
  ck_orders_limit_requires_price: { table: 'orders', definition: "CHECK (((order_type = 'MARKET'::order_type_enum) OR (price IS NOT NULL)))" },
  ck_fills_quantity_positive: { table: 'fills', definition: 'CHECK ((quantity_filled > 0))' },
  ck_fills_price_positive: { table: 'fills', definition: 'CHECK ((price_at_fill > (0)::numeric))' },
  ck_fills_commission_nonnegative: { table: 'fills', definition: 'CHECK ((commission >= (0)::numeric))' },
};

/** The report's two foreign keys, both ON DELETE CASCADE. */
export const EXPECTED_FOREIGN_KEYS: Readonly<Record<string, ExpectedConstraint>> = {
  fk_fills_order_id: { table: 'fills', definition: 'FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE' },
  fk_execution_logs_order_id: { table: 'execution_logs', definition: 'FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE' },
};

/** An index: its table and its key columns as `pg_indexes.indexdef` prints them. */
export interface ExpectedIndex {
  readonly table: string;
  readonly columns: string;
}

/** The report's eight indexes (all btree). */
export const EXPECTED_INDEXES: Readonly<Record<string, ExpectedIndex>> = {
  idx_orders_trader_created: { table: 'orders', columns: 'trader_id, created_at DESC' },
  idx_orders_status: { table: 'orders', columns: 'status' },
  idx_orders_trader_status: { table: 'orders', columns: 'trader_id, status' },
  idx_fills_order: { table: 'fills', columns: 'order_id' },
  idx_fills_timestamp: { table: 'fills', columns: '"timestamp" DESC' },
  idx_execution_logs_trader_timestamp: { table: 'execution_logs', columns: 'trader_id, "timestamp" DESC' },
  idx_execution_logs_order: { table: 'execution_logs', columns: 'order_id' },
  idx_execution_logs_action: { table: 'execution_logs', columns: 'action' },
};

/**
 * A row-level security policy: its table, command, whether it is permissive, and whom its USING
 * admits: the trader of the session setting, the compliance role, or nobody (USING false).
 */
export interface ExpectedPolicy {
  readonly table: string;
  readonly command: 'ALL' | 'SELECT' | 'UPDATE' | 'DELETE';
  readonly permissive: boolean;
  readonly admits: 'trader' | 'compliance' | 'nobody';
}

/** The report's five policies (the two immutability policies must be restrictive to bind), as migration 001 made them. */
export const SPECIFIED_POLICIES: Readonly<Record<string, ExpectedPolicy>> = {
  orders_trader_isolation: { table: 'orders', command: 'ALL', permissive: true, admits: 'trader' },
  fills_trader_isolation: { table: 'fills', command: 'ALL', permissive: true, admits: 'trader' },
  execution_logs_trader_isolation: { table: 'execution_logs', command: 'ALL', permissive: true, admits: 'trader' },
  execution_logs_immutable: { table: 'execution_logs', command: 'UPDATE', permissive: false, admits: 'nobody' },
  execution_logs_immutable_delete: { table: 'execution_logs', command: 'DELETE', permissive: false, admits: 'nobody' },
};

/** The first version at which compliance reads through SELECT-only policies of its own (migration 002). */
export const COMPLIANCE_READ_ONLY_VERSION = 2;

/**
 * The policies from migration 002 on: the report's five, whose USING admits the trader alone, and
 * one SELECT policy per table for the compliance role, so that compliance can never write.
 */
export const EXPECTED_POLICIES: Readonly<Record<string, ExpectedPolicy>> = {
  ...SPECIFIED_POLICIES,
  orders_compliance_read: { table: 'orders', command: 'SELECT', permissive: true, admits: 'compliance' },
  fills_compliance_read: { table: 'fills', command: 'SELECT', permissive: true, admits: 'compliance' },
  execution_logs_compliance_read: { table: 'execution_logs', command: 'SELECT', permissive: true, admits: 'compliance' },
};

/** The triggers that keep execution_logs append-only for roles row-level security does not bind. */
export const EXPECTED_TRIGGERS: readonly string[] = ['execution_logs_immutable', 'execution_logs_no_truncate'];

/** The specification's performance query: a trader's recent orders, which must use idx_orders_trader_created. */
export const RECENT_ORDERS_QUERY = 'SELECT * FROM orders WHERE trader_id = $1 ORDER BY created_at DESC LIMIT 20';
