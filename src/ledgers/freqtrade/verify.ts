import { Decimal } from 'decimal.js';
import type { Database } from '../../db/port.ts';
import { listFreqtradeAudit } from './audit.ts';
import { readOrders, readTrades } from './rows.ts';
import { requireFreqtradeSchema } from './schema.ts';

/** What `recon verify --ledger freqtrade` found. */
export interface FreqtradeVerifyResult {
  /** Trades still open in the database (not a failure: the bot may hold them). */
  readonly openTrades: readonly { readonly tradeId: number; readonly pair: string; readonly amount: string }[];
  /** Closes tradeledger applied (and did not roll back) that checked out. */
  readonly applied: number;
  /** One line per applied close that no longer holds: the trade reopened, an exit order gone or changed. */
  readonly problems: readonly string[];
  readonly decisions: readonly { readonly decision: string; readonly rows: number }[];
}

/** Checks every close tradeledger applied still stands: trade closed as written, its exit orders closed with their fills. */
export async function verifyFreqtrade(db: Database): Promise<FreqtradeVerifyResult> {
  const { dialect } = await requireFreqtradeSchema(db);
  const audit = await listFreqtradeAudit(db, dialect);
  const trades = await readTrades(db, dialect);
  const orders = await readOrders(db, dialect);
  const problems: string[] = [];
  const applied = audit.filter((r) => r.decision === 'APPLIED' && r.revertedAt === null);
  let standing = 0;
  for (const row of applied) {
    const before = problems.length;
    const trade = trades.find((t) => t.id === row.tradeId);
    if (trade === undefined) {
      problems.push(`trade ${row.tradeId} (batch ${row.batchId}) is gone`);
      continue;
    }
    if (trade.isOpen) problems.push(`trade ${row.tradeId} (batch ${row.batchId}) is open again`);
    else if (trade.closeDate !== row.afterImage?.['close_date'])
      problems.push(`trade ${row.tradeId} (batch ${row.batchId}) was closed again since (close_date ${trade.closeDate})`);
    for (const orderId of row.exitOrderIds) {
      const order = orders.find((o) => o.ftTradeId === row.tradeId && o.orderId === orderId);
      if (order === undefined || order.status !== 'closed' || order.ftIsOpen || (order.filled ?? new Decimal(0)).isZero())
        problems.push(`exit order ${orderId} of trade ${row.tradeId} (batch ${row.batchId}) is ${order === undefined ? 'missing' : `${order.status}`}`);
    }
    if (problems.length === before) standing += 1;
  }
  const counts = new Map<string, number>();
  for (const row of audit) counts.set(row.decision, (counts.get(row.decision) ?? 0) + 1);
  return {
    openTrades: trades.filter((t) => t.isOpen).map((t) => ({ tradeId: t.id, pair: t.pair, amount: t.amount.toFixed() })),
    applied: standing,
    problems,
    decisions: [...counts].map(([decision, rows]) => ({ decision, rows })),
  };
}
