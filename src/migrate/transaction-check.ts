import { UsageError } from '../errors.ts';
import { describeLine, type PgStatement, type ScriptOrigin } from './pg-statements.ts';

type Node = Readonly<Record<string, unknown>>;

function isTrue(node: Node, key: string): boolean {
  return node[key] === true;
}

/** What a statement is, when PostgreSQL refuses to run it inside a transaction block; null otherwise. */
export function needsNoTransaction(statement: PgStatement): string | null {
  const node = statement.node;
  switch (statement.kind) {
    case 'IndexStmt':
      return isTrue(node, 'concurrent') ? 'CREATE INDEX CONCURRENTLY' : null;
    case 'DropStmt':
      return isTrue(node, 'concurrent') ? 'DROP INDEX CONCURRENTLY' : null;
    case 'ReindexStmt': {
      const params = (node.params as { DefElem?: { defname?: string } }[] | undefined) ?? [];
      return params.some((param) => param.DefElem?.defname === 'concurrently') ? 'REINDEX CONCURRENTLY' : null;
    }
    case 'AlterTableStmt': {
      const cmds = (node.cmds as { AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { concurrent?: boolean } } } }[] | undefined) ?? [];
      const detach = cmds.some((cmd) => cmd.AlterTableCmd?.subtype === 'AT_DetachPartition' && cmd.AlterTableCmd.def?.PartitionCmd?.concurrent === true);
      return detach ? 'DETACH PARTITION CONCURRENTLY' : null;
    }
    case 'VacuumStmt':
      return isTrue(node, 'is_vacuumcmd') ? 'VACUUM' : null;
    case 'CreatedbStmt':
      return 'CREATE DATABASE';
    case 'DropdbStmt':
      return 'DROP DATABASE';
    case 'CreateTableSpaceStmt':
      return 'CREATE TABLESPACE';
    case 'DropTableSpaceStmt':
      return 'DROP TABLESPACE';
    case 'AlterSystemStmt':
      return 'ALTER SYSTEM';
    default:
      return null;
  }
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
