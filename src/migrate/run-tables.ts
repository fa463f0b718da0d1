import type { PgStatement } from './pg-statements.ts';

/** A table as a statement names it: its schema when written, and its name (folded as PostgreSQL folds it). */
export interface TableName {
  readonly schema: string | null;
  readonly name: string;
}

interface RangeVar {
  readonly schemaname?: string;
  readonly relname?: string;
}

function tableOf(range: RangeVar | undefined): TableName | null {
  if (range?.relname === undefined) return null;
  return { schema: range.schemaname ?? null, name: range.relname };
}

function sameTable(a: TableName, b: TableName): boolean {
  // An unqualified name is taken to be the qualified one: migrations rarely switch search_path.
  return a.name === b.name && (a.schema === null || b.schema === null || a.schema === b.schema);
}

/** The tables (and the tables of the indexes) created so far in a run, statement by statement. */
export class TablesCreated {
  private readonly tables: TableName[] = [];
  /** Index name → its table, for the indexes built on those tables. */
  private readonly indexes: { index: TableName; table: TableName }[] = [];

  /** Whether `table` (a table, or an index on one) was created earlier in the run. */
  has(table: TableName): boolean {
    if (this.tables.some((created) => sameTable(created, table))) return true;
    return this.indexes.some((entry) => sameTable(entry.index, table) && this.tables.some((created) => sameTable(created, entry.table)));
  }

  /** Notes what `statement` creates. */
  record(statement: PgStatement): void {
    const node = statement.node as Record<string, unknown>;
    if (statement.kind === 'CreateStmt') {
      const table = tableOf(node['relation'] as RangeVar | undefined);
      if (table !== null) this.tables.push(table);
    } else if (statement.kind === 'CreateTableAsStmt') {
      const table = tableOf((node['into'] as { rel?: RangeVar } | undefined)?.rel);
      if (table !== null) this.tables.push(table);
    } else if (statement.kind === 'IndexStmt' && typeof node['idxname'] === 'string') {
      const table = tableOf(node['relation'] as RangeVar | undefined);
      const schema = table?.schema ?? null;
      if (table !== null) this.indexes.push({ index: { schema, name: node['idxname'] }, table });
    }
  }
}

/**
 * The tables (or indexes) a statement locks that lock rules are about: the table an index is built
 * on, the table altered, the index dropped or rebuilt. Empty for statements no lock rule flags.
 */
export function statementTables(statement: PgStatement): TableName[] {
  const node = statement.node as Record<string, unknown>;
  switch (statement.kind) {
    case 'IndexStmt':
    case 'AlterTableStmt':
    case 'ReindexStmt':
    case 'ClusterStmt': {
      const table = tableOf(node['relation'] as RangeVar | undefined);
      return table === null ? [] : [table];
    }
    case 'VacuumStmt': {
      const rels = (node['rels'] as { VacuumRelation?: { relation?: RangeVar } }[] | undefined) ?? [];
      return rels.flatMap((rel) => tableOf(rel.VacuumRelation?.relation) ?? []);
    }
    case 'DropStmt': {
      if (node['removeType'] !== 'OBJECT_INDEX') return [];
      const objects = (node['objects'] as { List?: { items?: { String?: { sval?: string } }[] } }[] | undefined) ?? [];
      return objects.flatMap((object) => {
        const parts = (object.List?.items ?? []).map((item) => item.String?.sval ?? '');
        const name = parts.at(-1);
        return name === undefined ? [] : [{ schema: parts.length > 1 ? parts.at(-2)! : null, name }];
      });
    }
    default:
      return [];
  }
}
