import { UsageError } from '../errors.ts';
import { describeLine, type PgStatement, type ScriptOrigin } from './pg-statements.ts';

type Node = Readonly<Record<string, unknown>>;

/**
 * A statement kind PostgreSQL refuses inside a transaction block. `keyword` is a word every
 * statement of that kind holds in its text, as written: keywords cannot be quoted, escaped or split,
 * so a script without it has no such statement (mayNeedNoTransaction relies on that).
 */
export interface TransactionRefusal {
  /** The parse-tree node's type. */
  readonly kind: string;
  /** What the refusal message calls it. */
  readonly what: string;
  readonly keyword: string;
  /** Whether this node of `kind` is the refused form (CREATE INDEX is fine, CREATE INDEX CONCURRENTLY is not). */
  readonly refuses: (node: Node) => boolean;
}

function isTrue(node: Node, key: string): boolean {
  return node[key] === true;
}

const always = () => true;

/** What the transaction check refuses, and the keyword each needs: one table for the check and its prefilter. */
export const TRANSACTION_REFUSALS: readonly TransactionRefusal[] = [
  { kind: 'IndexStmt', what: 'CREATE INDEX CONCURRENTLY', keyword: 'CONCURRENTLY', refuses: (node) => isTrue(node, 'concurrent') },
  { kind: 'DropStmt', what: 'DROP INDEX CONCURRENTLY', keyword: 'CONCURRENTLY', refuses: (node) => isTrue(node, 'concurrent') },
  {
    kind: 'ReindexStmt',
    what: 'REINDEX CONCURRENTLY',
    keyword: 'CONCURRENTLY',
    refuses: (node) => ((node.params as { DefElem?: { defname?: string } }[] | undefined) ?? []).some((param) => param.DefElem?.defname === 'concurrently'),
  },
  {
    kind: 'AlterTableStmt',
    what: 'DETACH PARTITION CONCURRENTLY',
    keyword: 'CONCURRENTLY',
    refuses: (node) =>
      ((node.cmds as { AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { concurrent?: boolean } } } }[] | undefined) ?? []).some(
        (cmd) => cmd.AlterTableCmd?.subtype === 'AT_DetachPartition' && cmd.AlterTableCmd.def?.PartitionCmd?.concurrent === true,
      ),
  },
  // is_vacuumcmd is false for ANALYZE, which runs in a transaction block.
  { kind: 'VacuumStmt', what: 'VACUUM', keyword: 'VACUUM', refuses: (node) => isTrue(node, 'is_vacuumcmd') },
  { kind: 'CreatedbStmt', what: 'CREATE DATABASE', keyword: 'DATABASE', refuses: always },
  { kind: 'DropdbStmt', what: 'DROP DATABASE', keyword: 'DATABASE', refuses: always },
  { kind: 'CreateTableSpaceStmt', what: 'CREATE TABLESPACE', keyword: 'TABLESPACE', refuses: always },
  { kind: 'DropTableSpaceStmt', what: 'DROP TABLESPACE', keyword: 'TABLESPACE', refuses: always },
  { kind: 'AlterSystemStmt', what: 'ALTER SYSTEM', keyword: 'SYSTEM', refuses: always },
];

/** The refusal a statement falls under, when PostgreSQL refuses to run it inside a transaction block; null otherwise. */
export function refusalOf(statement: PgStatement): TransactionRefusal | null {
  return TRANSACTION_REFUSALS.find((refusal) => refusal.kind === statement.kind && refusal.refuses(statement.node)) ?? null;
}

/** What a statement is, when PostgreSQL refuses to run it inside a transaction block; null otherwise. */
export function needsNoTransaction(statement: PgStatement): string | null {
  return refusalOf(statement)?.what ?? null;
}

// Any of the keywords anywhere (comments and strings included: a false alarm costs only a parse),
// or a backslash, which a psql meta-command starts with.
const MIGHT_REFUSE = new RegExp(`${[...new Set(TRANSACTION_REFUSALS.map((refusal) => refusal.keyword))].join('|')}|\\\\`, 'i');

/**
 * Whether a transactional section must be parsed before it is planned: true when its text holds a
 * keyword of a refused statement or a backslash (psql meta-command). False means the transaction
 * check could refuse nothing, so the section is sent as written, unparsed (a syntax error in it is
 * then found by squawk before anything runs, see up.ts, or by the server, which names the line):
 * parsing every file made V8 compile the parser's WebAssembly further while the migrations ran,
 * most of what a 100-file `up` spent beyond dbmate's time.
 */
export function mayNeedNoTransaction(script: string): boolean {
  return MIGHT_REFUSE.test(script);
}

/**
 * Refuses, before anything runs, a transactional migration with a statement PostgreSQL cannot run in
 * a transaction block (CREATE INDEX CONCURRENTLY and kin): the server would refuse it part-way through
 * the run, after earlier migrations were committed.
 */
export function assertTransactionSafe(statements: readonly PgStatement[], origin: ScriptOrigin): void {
  for (const statement of statements) {
    const what = needsNoTransaction(statement);
    if (what === null) continue;
    // dbmate users mark the section itself; either spelling makes it run outside a transaction.
    const section = origin.section ?? 'up';
    throw new UsageError(
      `${describeLine(origin, statement.firstLine)}: ${what} cannot run inside a transaction block, and this migration runs in one — write '-- migrate:${section} transaction:false' (dbmate) or put '-- migrate:no-transaction' at the top of the file (each statement then commits on its own, so write them re-runnable: IF NOT EXISTS / IF EXISTS), or move it into a migration of its own`,
      'NEEDS_NO_TRANSACTION',
    );
  }
}
