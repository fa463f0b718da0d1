import type { Queryable } from '../../db/port.ts';

/**
 * Our audit table, in freqtrade's own database: the audit rows commit in the same transaction as
 * the close they explain (a second database could not promise that), a backup of the file holds
 * both, and freqtrade ignores tables it does not know (its migrations only look at tables whose
 * names start with trades, orders or pairlocks). No column of freqtrade's tables changes.
 */
export const AUDIT_TABLE = 'tradeledger_freqtrade_audit';

/** Every decision an audit row can record. */
export type FtAuditDecision = 'APPLIED' | 'NO_GO' | 'PENDING_APPLY' | 'DRY_RUN';

/** One audit row as listed. */
export interface FtAuditRow {
  readonly id: number;
  readonly batchId: string;
  readonly tradeId: number;
  readonly pair: string;
  readonly decision: FtAuditDecision;
  readonly reason: string | null;
  readonly detail: string | null;
  readonly openQty: string | null;
  readonly filledQty: string | null;
  readonly dustQty: string | null;
  readonly dustThreshold: string | null;
  readonly exchangeQty: string | null;
  readonly exitOrderIds: readonly string[];
  readonly evidenceHash: string | null;
  readonly beforeImage: Readonly<Record<string, string | boolean | null>> | null;
  readonly afterImage: Readonly<Record<string, string | boolean | null>> | null;
  readonly createdAt: string;
  readonly revertedAt: string | null;
}

/** Creates the audit table when it is missing (inside the writing transaction: DDL rolls back with it on both dialects). */
export async function ensureAuditTable(tx: Queryable, dialect: 'postgres' | 'sqlite'): Promise<void> {
  const id = dialect === 'sqlite' ? 'id INTEGER PRIMARY KEY AUTOINCREMENT' : 'id BIGSERIAL PRIMARY KEY';
  await tx.exec(`CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
    ${id},
    batch_id TEXT NOT NULL,
    trade_id INTEGER NOT NULL,
    pair TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('APPLIED', 'NO_GO', 'PENDING_APPLY', 'DRY_RUN')),
    reason TEXT,
    detail TEXT,
    open_qty TEXT,
    filled_qty TEXT,
    dust_qty TEXT,
    dust_threshold TEXT,
    exchange_qty TEXT,
    exit_order_ids TEXT NOT NULL DEFAULT '[]',
    evidence_hash TEXT,
    before_image TEXT,
    after_image TEXT,
    created_at TEXT NOT NULL,
    reverted_at TEXT
  );
  CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_batch ON ${AUDIT_TABLE} (batch_id);`);
}

/** True when the audit table exists (a database never reconciled has none). */
export async function auditTableExists(db: Queryable, dialect: 'postgres' | 'sqlite'): Promise<boolean> {
  const rows =
    dialect === 'sqlite'
      ? await db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", [AUDIT_TABLE])
      : await db.query('SELECT 1 WHERE to_regclass($1) IS NOT NULL', [AUDIT_TABLE]);
  return rows.length > 0;
}

/** An audit row to write. */
export type FtAuditInsert = Omit<FtAuditRow, 'id' | 'revertedAt'>;

/** Writes one audit row. */
export async function insertAudit(tx: Queryable, row: FtAuditInsert): Promise<void> {
  await tx.query(
    `INSERT INTO ${AUDIT_TABLE} (batch_id, trade_id, pair, decision, reason, detail, open_qty, filled_qty, dust_qty, dust_threshold, exchange_qty,
       exit_order_ids, evidence_hash, before_image, after_image, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [
      row.batchId,
      row.tradeId,
      row.pair,
      row.decision,
      row.reason,
      row.detail,
      row.openQty,
      row.filledQty,
      row.dustQty,
      row.dustThreshold,
      row.exchangeQty,
      JSON.stringify(row.exitOrderIds),
      row.evidenceHash,
      row.beforeImage === null ? null : JSON.stringify(row.beforeImage),
      row.afterImage === null ? null : JSON.stringify(row.afterImage),
      row.createdAt,
    ],
  );
}

type Raw = Record<string, unknown>;
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.parse(String(v)));

/** Audit rows, newest first, optionally of one batch or one trade. */
export async function listFreqtradeAudit(
  db: Queryable,
  dialect: 'postgres' | 'sqlite',
  filter: { readonly batchId?: string | undefined; readonly tradeId?: number | undefined } = {},
): Promise<FtAuditRow[]> {
  if (!(await auditTableExists(db, dialect))) return [];
  const rows = await db.query<Raw>(
    `SELECT * FROM ${AUDIT_TABLE} WHERE ($1::text IS NULL OR batch_id = $1::text) AND ($2::integer IS NULL OR trade_id = $2::integer) ORDER BY id DESC`.replace(
      dialect === 'sqlite' ? /::(text|integer)/g : /$^/,
      '',
    ),
    [filter.batchId ?? null, filter.tradeId ?? null],
  );
  return rows.map((r) => ({
    id: Number(r['id']),
    batchId: String(r['batch_id']),
    tradeId: Number(r['trade_id']),
    pair: String(r['pair']),
    decision: String(r['decision']) as FtAuditDecision,
    reason: textOrNull(r['reason']),
    detail: textOrNull(r['detail']),
    openQty: textOrNull(r['open_qty']),
    filledQty: textOrNull(r['filled_qty']),
    dustQty: textOrNull(r['dust_qty']),
    dustThreshold: textOrNull(r['dust_threshold']),
    exchangeQty: textOrNull(r['exchange_qty']),
    exitOrderIds: JSON.parse(String(r['exit_order_ids'] ?? '[]')) as string[],
    evidenceHash: textOrNull(r['evidence_hash']),
    beforeImage: jsonOrNull(r['before_image']),
    afterImage: jsonOrNull(r['after_image']),
    createdAt: String(r['created_at']),
    revertedAt: textOrNull(r['reverted_at']),
  }));
}
