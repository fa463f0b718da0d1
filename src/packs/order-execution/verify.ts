import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../db/port.ts';
import type { VerifyContext } from '../../migrate/source.ts';
import {
  EXPECTED_CHECKS,
  EXPECTED_ENUMS,
  EXPECTED_FOREIGN_KEYS,
  EXPECTED_INDEXES,
  COMPLIANCE_READ_ONLY_VERSION,
  EXPECTED_POLICIES,
  SPECIFIED_POLICIES,
  EXPECTED_TABLES,
  EXPECTED_TRIGGERS,
  RECENT_ORDERS_QUERY,
  type ExpectedConstraint,
} from './expected.ts';
import { orderExecutionOptions, type OrderExecutionOptions } from './options.ts';

const TABLES = Object.keys(EXPECTED_TABLES);

interface ColumnRow {
  table_name: string;
  column_name: string;
  type: string;
  not_null: boolean;
  default_expr: string | null;
  comment: string | null;
  [key: string]: unknown;
}

async function checkTables(db: Queryable): Promise<string[]> {
  const rows = await db.query<ColumnRow>(
    `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_expr, col_description(c.oid, a.attnum) AS comment
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1)
      ORDER BY c.relname, a.attnum`,
    [TABLES],
  );
  const failures: string[] = [];
  for (const [table, expected] of Object.entries(EXPECTED_TABLES)) {
    const actual = rows.filter((row) => row.table_name === table);
    if (actual.length === 0) {
      failures.push(`table ${table} is missing`);
      continue;
    }
    if (actual.length !== expected.length) failures.push(`table ${table} has ${actual.length} columns, expected ${expected.length}`);
    const byName = new Map(actual.map((row) => [row.column_name, row]));
    for (const column of expected) {
      const row = byName.get(column.name);
      if (row === undefined) {
        failures.push(`column ${table}.${column.name} is missing`);
        continue;
      }
      if (row.type !== column.type) failures.push(`column ${table}.${column.name} is ${row.type}, expected ${column.type}`);
      if (row.not_null === column.nullable)
        failures.push(`column ${table}.${column.name} is ${row.not_null ? 'NOT NULL' : 'nullable'}, expected ${column.nullable ? 'nullable' : 'NOT NULL'}`);
      if (row.default_expr !== column.default)
        failures.push(`column ${table}.${column.name} defaults to ${row.default_expr ?? 'nothing'}, expected ${column.default ?? 'no default'}`);
      if (row.comment === null || row.comment.trim() === '') failures.push(`column ${table}.${column.name} has no comment`);
    }
    const known = new Set(expected.map((column) => column.name));
    for (const row of actual) if (!known.has(row.column_name)) failures.push(`column ${table}.${row.column_name} is not in the specification`);
  }
  return failures;
}

async function checkEnums(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ typname: string; labels: string[] }>(
    `SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace AND n.nspname = current_schema()
       JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE t.typname = ANY($1)
      GROUP BY t.typname`,
    [Object.keys(EXPECTED_ENUMS)],
  );
  const actual = new Map(rows.map((row) => [row.typname, row.labels]));
  const failures: string[] = [];
  for (const [name, values] of Object.entries(EXPECTED_ENUMS)) {
    const labels = actual.get(name);
    if (labels === undefined) failures.push(`enum ${name} is missing`);
    else if (labels.join(',') !== values.join(',')) failures.push(`enum ${name} is (${labels.join(', ')}), expected (${values.join(', ')}) in that order`);
  }
  return failures;
}

function checkConstraintSet(
  kind: string,
  expected: Readonly<Record<string, ExpectedConstraint>>,
  rows: readonly { conname: string; rel: string; def: string }[],
): string[] {
  const byName = new Map(rows.map((row) => [row.conname, row]));
  const failures: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const row = byName.get(name);
    if (row === undefined) failures.push(`${kind} ${name} on ${want.table} is missing`);
    else if (row.rel !== want.table) failures.push(`${kind} ${name} is on ${row.rel}, expected ${want.table}`);
    else if (row.def !== want.definition) failures.push(`${kind} ${name} is '${row.def}', expected '${want.definition}'`);
  }
  return failures;
}

async function checkConstraints(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ conname: string; rel: string; def: string; contype: string }>(
    `SELECT con.conname, c.relname AS rel, pg_get_constraintdef(con.oid) AS def, con.contype
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
      WHERE c.relname = ANY($1) AND con.contype IN ('c', 'f')`,
    [TABLES],
  );
  return [
    ...checkConstraintSet(
      'check constraint',
      EXPECTED_CHECKS,
      rows.filter((row) => row.contype === 'c'),
    ),
    ...checkConstraintSet(
      'foreign key',
      EXPECTED_FOREIGN_KEYS,
      rows.filter((row) => row.contype === 'f'),
    ),
  ];
}

async function checkIndexes(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ indexname: string; tablename: string; indexdef: string; valid: boolean }>(
    `SELECT i.indexname, i.tablename, i.indexdef, x.indisvalid AS valid
       FROM pg_indexes i
       JOIN pg_class c ON c.relname = i.indexname
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname
       JOIN pg_index x ON x.indexrelid = c.oid
      WHERE i.schemaname = current_schema() AND i.indexname = ANY($1)`,
    [Object.keys(EXPECTED_INDEXES)],
  );
  const byName = new Map(rows.map((row) => [row.indexname, row]));
  const failures: string[] = [];
  for (const [name, want] of Object.entries(EXPECTED_INDEXES)) {
    const row = byName.get(name);
    if (row === undefined) {
      failures.push(`index ${name} on ${want.table} (${want.columns}) is missing`);
      continue;
    }
    const columns = /USING btree \((.*)\)$/.exec(row.indexdef)?.[1];
    if (row.tablename !== want.table || columns !== want.columns)
      failures.push(`index ${name} is '${row.indexdef}', expected a btree on ${want.table} (${want.columns})`);
    if (!row.valid) failures.push(`index ${name} is invalid (an interrupted build): drop and recreate it`);
  }
  return failures;
}

async function checkPolicies(db: Queryable, options: OrderExecutionOptions, version: number): Promise<string[]> {
  const rows = await db.query<{ tablename: string; policyname: string; permissive: string; cmd: string; qual: string | null; with_check: string | null }>(
    `SELECT tablename, policyname, permissive, cmd, qual, with_check FROM pg_policies
      WHERE schemaname = current_schema() AND tablename = ANY($1)`,
    [TABLES],
  );
  // Before migration 002 the isolation policies admit compliance as well; from 002 on only its own SELECT policies do.
  const readOnly = version >= COMPLIANCE_READ_ONLY_VERSION;
  const expected = readOnly ? EXPECTED_POLICIES : SPECIFIED_POLICIES;
  const byName = new Map(rows.map((row) => [row.policyname, row]));
  const failures: string[] = [];
  const admitsCompliance = (qual: string | null) => (qual ?? '').includes(`pg_has_role(CURRENT_USER, '${options.complianceRole}'::name`);
  for (const [name, want] of Object.entries(expected)) {
    const row = byName.get(name);
    if (row === undefined) {
      failures.push(`policy ${name} on ${want.table} is missing`);
      continue;
    }
    const permissive = row.permissive === 'PERMISSIVE';
    if (row.tablename !== want.table || row.cmd !== want.command || permissive !== want.permissive) {
      failures.push(
        `policy ${name} is ${row.permissive} FOR ${row.cmd} on ${row.tablename}, expected ${want.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${want.command} on ${want.table}`,
      );
    } else if (want.admits === 'nobody' && row.qual !== 'false') {
      failures.push(`policy ${name} has USING (${row.qual ?? ''}), expected USING (false)`);
    } else if (want.admits === 'trader') {
      // A policy rendered with other options would isolate traders by a setting the application does not set.
      const text = `${row.qual ?? ''} ${row.with_check ?? ''}`;
      if (!text.includes(`current_setting('${options.traderSetting}'::text, true)`))
        failures.push(`policy ${name} does not read the trader from ${options.traderSetting} (migrations.options.trader_setting)`);
      if (readOnly && /pg_has_role/.test(row.qual ?? ''))
        failures.push(`policy ${name} admits a role in its USING clause, which also governs UPDATE and DELETE: compliance must only read`);
      if (!readOnly && !admitsCompliance(row.qual))
        failures.push(`policy ${name} does not admit the compliance role ${options.complianceRole} (migrations.options.compliance_role)`);
    } else if (want.admits === 'compliance' && !admitsCompliance(row.qual)) {
      failures.push(`policy ${name} does not admit the compliance role ${options.complianceRole} (migrations.options.compliance_role)`);
    }
  }
  for (const row of rows) if (!(row.policyname in expected)) failures.push(`policy ${row.policyname} on ${row.tablename} is not one of the pack's policies`);
  return failures;
}

async function checkRowSecurity(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ relname: string; enabled: boolean; forced: boolean }>(
    `SELECT c.relname, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
      WHERE c.relkind = 'r' AND c.relname = ANY($1)`,
    [TABLES],
  );
  const failures: string[] = [];
  for (const row of rows) {
    if (!row.enabled) failures.push(`row-level security is not enabled on ${row.relname}`);
    if (!row.forced) failures.push(`row-level security is not forced on ${row.relname}, so its owner is not bound`);
  }
  return failures;
}

async function checkImmutability(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ tgname: string; tgenabled: string }>(
    `SELECT t.tgname, t.tgenabled FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
      WHERE c.relname = 'execution_logs' AND NOT t.tgisinternal`,
  );
  const byName = new Map(rows.map((row) => [row.tgname, row.tgenabled]));
  return EXPECTED_TRIGGERS.flatMap((name) => {
    const enabled = byName.get(name);
    if (enabled === undefined) return [`trigger ${name} on execution_logs is missing, so superusers and the owner can change the audit trail`];
    return enabled === 'D' ? [`trigger ${name} on execution_logs is disabled`] : [];
  });
}

async function checkComplianceRole(db: Queryable, role: string): Promise<string[]> {
  const exists = await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.length === 0) return [`compliance role ${role} does not exist`];
  const rows = await db.query<{ table_name: string; can_select: boolean; can_write: boolean }>(
    `SELECT t AS table_name, has_table_privilege($1, quote_ident(t), 'SELECT') AS can_select,
            has_table_privilege($1, quote_ident(t), 'INSERT, UPDATE, DELETE, TRUNCATE') AS can_write
       FROM unnest($2::text[]) AS t`,
    [role, TABLES],
  );
  return rows.flatMap((row) => [
    ...(row.can_select ? [] : [`compliance role ${role} cannot SELECT from ${row.table_name}`]),
    ...(row.can_write ? [`compliance role ${role} can write to ${row.table_name}; it must only read`] : []),
  ]);
}

function indexNames(plan: unknown): string[] {
  if (Array.isArray(plan)) return plan.flatMap(indexNames);
  if (typeof plan !== 'object' || plan === null) return [];
  return Object.entries(plan).flatMap(([key, value]) => (key === 'Index Name' && typeof value === 'string' ? [value] : indexNames(value)));
}

async function checkRecentOrdersPlan(db: Database): Promise<string[]> {
  const names = await db.transaction(async (tx) => {
    // On an empty or small table a sequential scan, or any trader_id index plus a sort of the
    // two rows it expects, is cheapest and would hide the index. With both priced out (SET LOCAL,
    // so only for this transaction) the planner names the index that serves the filter and the
    // order together, as it would on a full table.
    await tx.exec('SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off');
    const rows = await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${RECENT_ORDERS_QUERY}`, [randomUUID()]);
    const raw = rows[0]?.['QUERY PLAN'];
    return indexNames(typeof raw === 'string' ? JSON.parse(raw) : raw);
  });
  return names.includes('idx_orders_trader_created')
    ? []
    : [`the trader's recent-orders query does not use idx_orders_trader_created (plan uses ${names.length === 0 ? 'no index' : names.join(', ')})`];
}

/**
 * The specification's verification steps as catalog queries: tables and columns, enums, the
 * policies (the report's five, and compliance's SELECT-only ones from migration 002), indexes, constraints, row-level security, the audit trail's triggers, the compliance
 * role's grants, and the recent-orders query plan. One line per failure.
 */
export async function verifyOrderExecution(db: Database, context: VerifyContext): Promise<readonly string[]> {
  if (context.version < 1) return [];
  const options = orderExecutionOptions(context.options);
  const tableFailures = await checkTables(db);
  const failures = [
    ...tableFailures,
    ...(await checkEnums(db)),
    ...(await checkConstraints(db)),
    ...(await checkIndexes(db)),
    ...(await checkPolicies(db, options, context.version)),
    ...(await checkRowSecurity(db)),
    ...(await checkImmutability(db)),
    ...(await checkComplianceRole(db, options.complianceRole)),
  ];
  // Without the orders table the EXPLAIN would only repeat that it is missing.
  if (!tableFailures.includes('table orders is missing')) failures.push(...(await checkRecentOrdersPlan(db)));
  return failures;
}
