import { randomBytes } from 'node:crypto';
import type { Decimal } from 'decimal.js';
import type { Queryable } from '../db/port.ts';
import { fileTimestamp } from '../migrate/backup.ts';

/** The decisions an audit row records (the bot-ledger pack's CHECK). */
export type AuditDecision = 'DRY_RUN' | 'PENDING_APPLY' | 'APPLIED' | 'SKIP_EXISTING' | 'NO_GO';

/** One reconciliation_backfill_audit row to write. */
export interface AuditRow {
  readonly batchId: string;
  readonly profileId: string;
  readonly symbol: string | null;
  readonly tradeId: string | null;
  readonly decision: AuditDecision;
  readonly reason: string;
  readonly openQty: Decimal | null;
  readonly filledQty: Decimal | null;
  readonly dustQty: Decimal | null;
  readonly backfillOrderId: string | null;
  readonly exchangeOrderId: string | null;
  readonly exchangeClientOrderId: string | null;
  readonly evidence: unknown;
}

/** A new reconciliation batch id: `RBF-<UTC ts>-<random>`. */
export function newReconBatchId(now = new Date()): string {
  return `RBF-${fileTimestamp(now)}-${randomBytes(3).toString('hex')}`;
}

/** Writes audit rows in one statement; throws (and so rolls the batch back) when the table cannot take them. */
export async function writeAuditRows(tx: Queryable, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  const payload = rows.map((r) => ({
    batch_id: r.batchId,
    profile_id: r.profileId,
    symbol: r.symbol,
    trade_id: r.tradeId,
    decision: r.decision,
    reason: r.reason,
    open_qty: r.openQty?.toString() ?? null,
    filled_qty: r.filledQty?.toString() ?? null,
    dust_qty: r.dustQty?.toString() ?? null,
    backfill_order_id: r.backfillOrderId,
    exchange_order_id: r.exchangeOrderId,
    exchange_client_order_id: r.exchangeClientOrderId,
    evidence: r.evidence ?? null,
  }));
  await tx.query(
    `INSERT INTO reconciliation_backfill_audit
       (batch_id, profile_id, symbol, trade_id, decision, reason, open_qty, filled_qty, dust_qty,
        backfill_order_id, exchange_order_id, exchange_client_order_id, evidence)
     SELECT batch_id, profile_id, symbol, trade_id, decision, reason, open_qty::numeric, filled_qty::numeric, dust_qty::numeric,
            backfill_order_id, exchange_order_id, exchange_client_order_id, evidence
       FROM jsonb_to_recordset($1::jsonb) AS r(batch_id text, profile_id text, symbol text, trade_id text, decision text, reason text,
            open_qty text, filled_qty text, dust_qty text, backfill_order_id text, exchange_order_id text,
            exchange_client_order_id text, evidence jsonb)`,
    [JSON.stringify(payload)],
  );
}
