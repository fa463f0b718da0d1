import type { Database } from '../../db/port.ts';
import { FT_ANOMALY_KINDS, findFreqtradeAnomalies, type FtAnomaly, type FtAnomalyKind } from './anomalies.ts';
import { readOrders, readTrades } from './rows.ts';
import { requireFreqtradeSchema } from './schema.ts';

/** `lifecycle report --ledger freqtrade`: counts, and every anomaly with the rows it rests on. */
export interface FreqtradeReport {
  readonly ledger: 'freqtrade';
  readonly generatedAt: string;
  readonly schema: string;
  readonly trades: number;
  readonly openTrades: number;
  readonly closedTrades: number;
  readonly orders: number;
  readonly anomalies: readonly FtAnomaly[];
  readonly counts: Readonly<Partial<Record<FtAnomalyKind, number>>>;
}

/** Reads a freqtrade database as it is (nothing written) and reports its trade lifecycles. */
export async function freqtradeReport(db: Database): Promise<FreqtradeReport> {
  const schema = await requireFreqtradeSchema(db);
  const trades = await readTrades(db, schema.dialect);
  const orders = await readOrders(db, schema.dialect);
  const anomalies = findFreqtradeAnomalies(trades, orders);
  const counts: Partial<Record<FtAnomalyKind, number>> = {};
  for (const kind of FT_ANOMALY_KINDS) {
    const n = anomalies.filter((a) => a.kind === kind).length;
    if (n > 0) counts[kind] = n;
  }
  const open = trades.filter((t) => t.isOpen).length;
  return {
    ledger: 'freqtrade',
    generatedAt: new Date().toISOString(),
    schema: `freqtrade ${schema.generation} (${schema.dialect})`,
    trades: trades.length,
    openTrades: open,
    closedTrades: trades.length - open,
    orders: orders.length,
    anomalies,
    counts,
  };
}
