import type { Database, Queryable } from '../../db/port.ts';
import type { VerifyContext } from '../../migrate/source.ts';
import {
  CHECKS,
  EXCHANGE_FILLS_UNIQUE,
  GUARDRAIL_CONSTRAINTS,
  GUARDRAIL_INDEXES,
  GUARDRAILS_VERSION,
  INDEXES,
  TABLES,
  type TableContract,
} from './contract.ts';

/** The index query of docs/runbooks/trade-lifecycle-integrity.md Phase B, as the specification writes it. */
export const PHASE_B_INDEXES_SQL = `SELECT indexname
FROM pg_indexes
WHERE tablename IN ('orders', 'trade_history') AND indexname LIKE 'idx_%trade_id%';`;

/** The constraint query of docs/runbooks/trade-lifecycle-integrity.md Phase B, as the specification writes it. */
export const PHASE_B_CONSTRAINTS_SQL = `SELECT conname, convalidated
FROM pg_constraint
WHERE conname IN ( 'chk_orders_action_lifecycle', 'chk_orders_trade_id_not_blank', 'chk_orders_trade_id_format', 'chk_trade_history_trade_id_not_blank', 'chk_trade_history_trade_id_format' );`;

/** What the docs/runbooks/trade-lifecycle-integrity.md Phase B queries return: the guardrail indexes and each constraint's validation state. */
export interface PhaseBState {
  readonly indexes: readonly string[];
  readonly constraints: readonly { readonly name: string; readonly validated: boolean }[];
}

/** Runs the docs/runbooks/trade-lifecycle-integrity.md Phase B queries as written (sorted by name). */
export async function readPhaseB(db: Queryable): Promise<PhaseBState> {
  const indexes = await db.query<{ indexname: string }>(PHASE_B_INDEXES_SQL);
  const constraints = await db.query<{ conname: string; convalidated: boolean }>(PHASE_B_CONSTRAINTS_SQL);
  return {
    indexes: indexes.map((row) => row.indexname).sort(),
    constraints: constraints.map((row) => ({ name: row.conname, validated: row.convalidated })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

interface ColumnRow {
  readonly table_name: string;
  readonly column_name: string;
  readonly data_type: string;
  readonly is_nullable: string;
  readonly column_default: string | null;
  readonly is_identity: string;
  readonly identity_generation: string | null;
}

interface ConstraintRow {
  readonly rel: string;
  readonly conname: string;
  readonly contype: string;
  readonly def: string;
  readonly cols: string | null;
  readonly ref: string | null;
}

interface IndexRow {
  readonly rel: string;
  readonly name: string;
  readonly cols: string;
  readonly valid: boolean;
}

function checkTable(table: TableContract, rows: readonly ColumnRow[], primaryKey: string | undefined): string[] {
  const failures: string[] = [];
  const byName = new Map(rows.map((row) => [row.column_name, row]));
  for (const column of table.columns) {
    const row = byName.get(column.name);
    const where = `${table.name}.${column.name}`;
    if (row === undefined) {
      failures.push(`column ${where} is missing`);
      continue;
    }
    if (row.data_type !== column.type) failures.push(`column ${where} is ${row.data_type}, expected ${column.type}`);
    if ((row.is_nullable === 'NO') !== column.notNull)
      failures.push(`column ${where} is ${row.is_nullable === 'NO' ? 'NOT NULL' : 'nullable'}, expected ${column.notNull ? 'NOT NULL' : 'nullable'}`);
    if ((row.column_default ?? undefined) !== column.default)
      failures.push(`column ${where} defaults to ${row.column_default ?? 'nothing'}, expected ${column.default ?? 'nothing'}`);
    const identity = row.is_identity === 'YES' && row.identity_generation === 'ALWAYS';
    if (identity !== (column.identity === true))
      failures.push(
        `column ${where} ${column.identity === true ? 'is not' : 'is'} GENERATED ALWAYS AS IDENTITY, expected ${column.identity === true ? 'it to be' : 'a plain column'}`,
      );
  }
  const expectedKey = table.primaryKey.join(', ');
  if (primaryKey !== expectedKey) failures.push(`table ${table.name} has primary key (${primaryKey ?? 'none'}), expected (${expectedKey})`);
  return failures;
}

/** The quoted literals a constraint definition names: the values a CHECK (x IN (…)) allows. */
function literals(definition: string): string[] {
  return [...definition.matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1]!.replaceAll("''", "'")).sort();
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

async function catalog(db: Queryable, tables: readonly string[]) {
  const columns = await db.query<ColumnRow>(
    `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, identity_generation
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
    [tables],
  );
  const constraints = await db.query<ConstraintRow>(
    `SELECT c.conrelid::regclass::text AS rel, c.conname, c.contype::text AS contype, pg_get_constraintdef(c.oid) AS def,
            (SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols,
            CASE WHEN c.confrelid = 0 THEN NULL ELSE c.confrelid::regclass::text END AS ref
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = current_schema() AND c.conrelid <> 0`,
  );
  const indexes = await db.query<IndexRow>(
    `SELECT t.relname AS rel, i.relname AS name, ix.indisvalid AS valid,
            (SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) AS cols
       FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = current_schema()`,
  );
  return { columns, constraints, indexes };
}

function checkIndex(expected: { name: string; table: string; columns: readonly string[] }, found: ReadonlyMap<string, IndexRow>): string[] {
  const row = found.get(expected.name);
  const columns = expected.columns.join(', ');
  if (row === undefined) return [`index ${expected.name} on ${expected.table} (${columns}) is missing`];
  if (row.rel !== expected.table || row.cols !== columns)
    return [`index ${expected.name} is on ${row.rel} (${row.cols}), expected ${expected.table} (${columns})`];
  if (!row.valid)
    return [
      `index ${expected.name} is invalid (an interrupted CREATE INDEX CONCURRENTLY): run migrate up, which drops it and builds it again concurrently (do not drop it by hand)`,
    ];
  return [];
}

async function checkGuardrails(db: Queryable, constraints: ReadonlyMap<string, ConstraintRow>, indexes: ReadonlyMap<string, IndexRow>): Promise<string[]> {
  const failures: string[] = [];
  const phaseB = await readPhaseB(db);
  const expectedIndexes = GUARDRAIL_INDEXES.map((index) => index.name).sort();
  if (!same(phaseB.indexes, expectedIndexes)) {
    failures.push(
      `the docs/runbooks/trade-lifecycle-integrity.md Phase B index query returns [${phaseB.indexes.join(', ')}], expected exactly [${expectedIndexes.join(', ')}]`,
    );
  }
  for (const index of GUARDRAIL_INDEXES) failures.push(...checkIndex(index, indexes));
  const present = new Set(phaseB.constraints.map((row) => row.name));
  for (const expected of GUARDRAIL_CONSTRAINTS) {
    const row = constraints.get(expected.name);
    if (!present.has(expected.name) || row === undefined) {
      failures.push(`constraint ${expected.name} is missing (dropped by lifecycle loosen?): run migrate down --to 6 and migrate up to add it again`);
      continue;
    }
    if (row.rel !== expected.table) failures.push(`constraint ${expected.name} is on ${row.rel}, expected ${expected.table}`);
    for (const text of expected.holds) {
      if (!row.def.includes(text)) failures.push(`constraint ${expected.name} is ${JSON.stringify(row.def)}, which does not hold ${JSON.stringify(text)}`);
    }
  }
  return failures;
}

/**
 * The bot-ledger checks: every table, column, primary key, CHECK, unique and foreign key the
 * database's version should have, and from version 7 the queries of
 * docs/runbooks/trade-lifecycle-integrity.md Phase B (exactly the two trade_id indexes, the five
 * constraints). A constraint not yet validated is fine: Phase D validates them after the backfill.
 */
export async function verifyBotLedger(db: Database, context: VerifyContext): Promise<readonly string[]> {
  const tables = TABLES.filter((table) => table.version <= context.version);
  if (tables.length === 0) return [];
  const found = await catalog(
    db,
    tables.map((table) => table.name),
  );
  const constraints = new Map(found.constraints.map((row) => [row.conname, row]));
  const indexes = new Map(found.indexes.map((row) => [row.name, row]));
  const failures: string[] = [];
  for (const table of tables) {
    const rows = found.columns.filter((row) => row.table_name === table.name);
    if (rows.length === 0) {
      failures.push(`table ${table.name} is missing (created by version ${table.version})`);
      continue;
    }
    const primaryKey = found.constraints.find((row) => row.rel === table.name && row.contype === 'p')?.cols ?? undefined;
    failures.push(...checkTable(table, rows, primaryKey));
  }
  for (const check of CHECKS.filter((entry) => entry.version <= context.version)) {
    const row = constraints.get(check.name);
    if (row === undefined || row.contype !== 'c' || row.rel !== check.table) {
      failures.push(`CHECK constraint ${check.name} on ${check.table} is missing`);
    } else if (!same(literals(row.def), [...check.values].sort())) {
      failures.push(`CHECK constraint ${check.name} allows [${literals(row.def).join(', ')}], expected [${[...check.values].sort().join(', ')}]`);
    }
  }
  if (context.version >= 5) {
    const unique = constraints.get(EXCHANGE_FILLS_UNIQUE.name);
    const columns = EXCHANGE_FILLS_UNIQUE.columns.join(', ');
    if (unique === undefined || unique.contype !== 'u' || unique.rel !== EXCHANGE_FILLS_UNIQUE.table || unique.cols !== columns) {
      failures.push(`unique constraint ${EXCHANGE_FILLS_UNIQUE.name} on ${EXCHANGE_FILLS_UNIQUE.table} (${columns}) is missing`);
    }
  }
  if (context.version >= 6) {
    const foreign = found.constraints.find((row) => row.rel === 'lifecycle_backfill_changes' && row.contype === 'f');
    if (foreign?.cols !== 'batch_id' || foreign.ref !== 'lifecycle_backfill_batches') {
      failures.push('foreign key lifecycle_backfill_changes (batch_id) -> lifecycle_backfill_batches is missing');
    }
  }
  for (const index of INDEXES.filter((entry) => entry.version <= context.version)) failures.push(...checkIndex(index, indexes));
  if (context.version >= GUARDRAILS_VERSION) failures.push(...(await checkGuardrails(db, constraints, indexes)));
  return failures;
}
