import type { Database } from '../../db/port.ts';
import type { RepairContext, RepairStep } from '../../migrate/source.ts';
import {
  TRACK_UNREALIZED_PNL,
  UNREALIZED_PNL_INDEX_SQL,
  UNREALIZED_PNL_INDEXES,
  UNREALIZED_PNL_REAL_COLUMNS,
  UNREALIZED_PNL_TABLE,
  V2_INDEX_SQL,
  V2_REQUIRED_INDEXES,
  unrealizedPnlTableSql,
} from './schema.ts';

async function names(db: Database, type: 'table' | 'index'): Promise<Set<string>> {
  const rows = await db.query<{ name: string }>('SELECT name FROM sqlite_master WHERE type = ?', [type]);
  return new Set(rows.map((row) => row.name));
}

async function columnTypes(db: Database, table: string): Promise<Map<string, string>> {
  const rows = await db.query<{ name: string; type: string }>('SELECT name, type FROM pragma_table_info(?)', [table]);
  return new Map(rows.map((row) => [row.name, row.type.toUpperCase()]));
}

function convertToReal(): string {
  const staging = `${UNREALIZED_PNL_TABLE}_real`;
  return [
    unrealizedPnlTableSql(staging),
    // CAST of a decimal string to REAL keeps its value to 15 significant digits, far past a cent.
    `INSERT INTO ${staging} (account_id, timestamp, unrealized_pnl, positions_count, total_exposure, created_at)
  SELECT account_id, timestamp, CAST(unrealized_pnl AS REAL), positions_count, CAST(total_exposure AS REAL), created_at FROM ${UNREALIZED_PNL_TABLE};`,
    `DROP TABLE ${UNREALIZED_PNL_TABLE};`,
    `ALTER TABLE ${staging} RENAME TO ${UNREALIZED_PNL_TABLE};`,
    ...Object.values(UNREALIZED_PNL_INDEX_SQL),
  ].join('\n');
}

/**
 * What a risk-state file at version 2 lacks, as `migrate up` adds it (recorded in schema_repairs):
 * enforcement_log.execution_time_ms (a file migrated by the specification's own SQL has none), a
 * dropped v2 index, the optional table once track_unrealized_pnl is on (and its indexes), and its
 * REAL money columns in place of the decimal TEXT an earlier tradeledger made. With tracking off the
 * table is kept; `--allow-data-loss` drops it. Nothing is asked below version 2.
 */
export async function repairRiskState(db: Database, context: RepairContext): Promise<RepairStep[]> {
  if (context.version < 2) return [];
  const steps: RepairStep[] = [];
  const tables = await names(db, 'table');
  const indexes = await names(db, 'index');
  if (tables.has('enforcement_log') && !(await columnTypes(db, 'enforcement_log')).has('execution_time_ms')) {
    // docs/runbooks/risk-state-v2.md DB-SCHEMA-003: a file migrated by the specification's own SQL lacks it.
    steps.push({
      description: 'add enforcement_log.execution_time_ms (DB-SCHEMA-003)',
      sql: 'ALTER TABLE enforcement_log ADD COLUMN execution_time_ms INTEGER;',
    });
  }
  for (const index of V2_REQUIRED_INDEXES) {
    if (!indexes.has(index)) steps.push({ description: `create the missing index ${index}`, sql: V2_INDEX_SQL[index] });
  }
  const tracking = context.options[TRACK_UNREALIZED_PNL] === true;
  if (!tables.has(UNREALIZED_PNL_TABLE)) {
    if (tracking) {
      steps.push({
        description: `create ${UNREALIZED_PNL_TABLE} (track_unrealized_pnl turned on)`,
        sql: [unrealizedPnlTableSql(UNREALIZED_PNL_TABLE), ...Object.values(UNREALIZED_PNL_INDEX_SQL)].join('\n'),
      });
    }
    return steps;
  }
  if (!tracking && context.allowDataLoss) {
    steps.push({
      description: `drop ${UNREALIZED_PNL_TABLE} (track_unrealized_pnl turned off, --allow-data-loss)`,
      sql: `DROP TABLE ${UNREALIZED_PNL_TABLE};`,
    });
    return steps;
  }
  const types = await columnTypes(db, UNREALIZED_PNL_TABLE);
  if (UNREALIZED_PNL_REAL_COLUMNS.some((column) => types.has(column) && types.get(column) !== 'REAL')) {
    steps.push({
      description: `convert ${UNREALIZED_PNL_TABLE}.unrealized_pnl and total_exposure to REAL, as the specification writes them`,
      sql: convertToReal(),
    });
  } else {
    for (const index of UNREALIZED_PNL_INDEXES) {
      if (!indexes.has(index)) steps.push({ description: `create the missing index ${index}`, sql: UNREALIZED_PNL_INDEX_SQL[index] });
    }
  }
  return steps;
}
