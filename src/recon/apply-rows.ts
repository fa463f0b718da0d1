import type { Queryable } from '../db/port.ts';
import type { AuditRow } from './audit-rows.ts';
import type { Decision, PlannedExit } from './decide.ts';
import { writableOrderColumns } from './orders-columns.ts';

/** The columns of a compensating EXIT row and the SQL of each value (from the payload record `r`). */
const EXIT_COLUMNS: readonly (readonly [string, string])[] = [
  ['order_id', 'r.order_id'],
  ['profile_id', 'r.profile_id'],
  ['symbol', 'r.symbol'],
  ['trade_id', 'r.trade_id'],
  ['action', "'EXIT'"],
  ['side', 'r.side'],
  ['status', "'filled'"],
  ['quantity', 'r.quantity::numeric'],
  ['qty', 'r.quantity::numeric'],
  ['price', 'r.price::numeric'],
  ['source', "'backfill'"],
  ['exchange_order_id', 'r.exchange_order_id'],
  ['filled_at', 'r.filled_at::timestamptz'],
];

/** A planned EXIT row on its way in, with the decision it came from. */
export interface ApplyItem {
  readonly batchId: string;
  readonly row: PlannedExit;
  readonly decision: Decision;
}

function evidenceOf(item: ApplyItem): unknown {
  const { row, decision } = item;
  return {
    hash: decision.evidenceHash,
    kind: row.kind,
    quantity: row.quantity.toString(),
    price: row.price?.toString() ?? null,
    filled_at: row.filledAt.toISOString(),
    exchange_trade_ids: row.exchangeTradeIds,
    threshold: decision.threshold.toString(),
    remainder: decision.remainder.toString(),
  };
}

/** The audit row for a planned EXIT row with a given decision. */
export function plannedAuditRow(item: ApplyItem, decision: AuditRow['decision'], reason: string): AuditRow {
  const { row, decision: d } = item;
  return {
    batchId: item.batchId,
    profileId: row.profileId,
    symbol: row.symbol,
    tradeId: row.tradeId,
    decision,
    reason,
    openQty: d.openQty,
    filledQty: row.kind === 'evidence' ? row.quantity : null,
    dustQty: row.kind === 'dust' ? row.quantity : null,
    backfillOrderId: row.orderId,
    exchangeOrderId: row.exchangeOrderId,
    exchangeClientOrderId: row.clientOrderId,
    evidence: evidenceOf(item),
  };
}

/**
 * Inserts compensating EXIT rows inside the caller's transaction, audit first: the audit rows
 * (APPLIED, SKIP_EXISTING for an order_id already there, APPLIED "reinstated" for a backfill row a
 * rollback canceled) are written before any order, so a failing audit write leaves nothing
 * inserted. Inserts use ON CONFLICT (order_id) DO NOTHING; a count that disagrees with the check
 * just made means another writer raced us, and the batch is rolled back.
 */
export async function applyPlannedRows(tx: Queryable, items: readonly ApplyItem[], writeAudit: (rows: AuditRow[]) => Promise<void>): Promise<AuditRow[]> {
  if (items.length === 0) return [];
  const ids = items.map((item) => item.row.orderId);
  const existing = await tx.query<{ order_id: string; status: string; source: string }>(
    'SELECT order_id, status, source FROM orders WHERE order_id = ANY ($1::text[]) FOR UPDATE',
    [ids],
  );
  const found = new Map(existing.map((row) => [row.order_id, row]));
  const audit: AuditRow[] = [];
  const inserts: ApplyItem[] = [];
  const reinstate: string[] = [];
  for (const item of items) {
    const present = found.get(item.row.orderId);
    if (present === undefined) {
      inserts.push(item);
      audit.push(plannedAuditRow(item, 'APPLIED', item.row.kind === 'dust' ? 'dust remainder within threshold' : 'covered by exchange fill evidence'));
    } else if (present.source === 'backfill' && present.status === 'canceled') {
      reinstate.push(item.row.orderId);
      audit.push(plannedAuditRow(item, 'APPLIED', 'reinstated: the backfill row a rollback canceled is filled again'));
    } else {
      audit.push(plannedAuditRow(item, 'SKIP_EXISTING', `order_id exists (status ${present.status}, source ${present.source})`));
    }
  }
  await writeAudit(audit);
  if (inserts.length > 0) {
    const payload = inserts.map(({ row }) => ({
      order_id: row.orderId,
      profile_id: row.profileId,
      symbol: row.symbol,
      trade_id: row.tradeId,
      side: row.side,
      quantity: row.quantity.toString(),
      price: row.price?.toString() ?? null,
      exchange_order_id: row.kind === 'dust' ? null : row.exchangeOrderId,
      filled_at: row.filledAt.toISOString(),
    }));
    // A custom ledger's orders view may lack some columns: the row carries those it can take.
    const writable = await writableOrderColumns(tx);
    const columns = EXIT_COLUMNS.filter(([name]) => writable.has(name));
    const inserted = await tx.query(
      `INSERT INTO orders (${columns.map(([name]) => name).join(', ')})
       SELECT ${columns.map(([, value]) => value).join(', ')}
         FROM jsonb_to_recordset($1::jsonb) AS r(order_id text, profile_id text, symbol text, trade_id text, side text, quantity text, price text, exchange_order_id text, filled_at text)
       ON CONFLICT (order_id) DO NOTHING
       RETURNING order_id`,
      [JSON.stringify(payload)],
    );
    if (inserted.length !== inserts.length) {
      throw new Error(`another writer inserted ${inserts.length - inserted.length} of this batch's order_ids meanwhile; nothing was applied — run again`);
    }
  }
  if (reinstate.length > 0) {
    const stamp = (await writableOrderColumns(tx)).has('updated_at') ? ', updated_at = now()' : '';
    await tx.query(`UPDATE orders SET status = 'filled'${stamp} WHERE order_id = ANY ($1::text[]) AND source = 'backfill' AND status = 'canceled'`, [
      reinstate,
    ]);
  }
  return audit;
}
