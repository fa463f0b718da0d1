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

// Trades read per round trip: memory stays bounded by a chunk's trades and orders, whatever the database holds.
const CHUNK = 2000;

/** Reads a freqtrade database as it is (nothing written) and reports its trade lifecycles, a chunk of trades at a time. */
export async function freqtradeReport(db: Database): Promise<FreqtradeReport> {
  const { dialect, generation } = await requireFreqtradeSchema(db);
  const anomalies: FtAnomaly[] = [];
  let trades = 0;
  let open = 0;
  let after = -1;
  for (;;) {
    const chunk = await readTrades(db, dialect, { sql: 'id > $1', params: [after] }, CHUNK);
    if (chunk.length === 0) break;
    const first = chunk[0]?.id ?? 0;
    const last = chunk.at(-1)?.id ?? 0;
    const orders = await readOrders(db, dialect, { sql: 'ft_trade_id >= $1 AND ft_trade_id <= $2', params: [first, last] });
    anomalies.push(...findFreqtradeAnomalies(chunk, orders, { orphans: false }));
    trades += chunk.length;
    open += chunk.filter((t) => t.isOpen).length;
    after = last;
  }
  const orphans = await readOrders(db, dialect, {
    sql: 'ft_trade_id IS NULL OR NOT EXISTS (SELECT 1 FROM trades t WHERE t.id = orders.ft_trade_id)',
    params: [],
  });
  anomalies.push(...findFreqtradeAnomalies([], orphans));
  const [orderCount] = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM orders');
  const rank = (kind: FtAnomalyKind) => FT_ANOMALY_KINDS.indexOf(kind);
  anomalies.sort((a, b) => rank(a.kind) - rank(b.kind) || (a.tradeId ?? -1) - (b.tradeId ?? -1));
  const counts: Partial<Record<FtAnomalyKind, number>> = {};
  for (const anomaly of anomalies) counts[anomaly.kind] = (counts[anomaly.kind] ?? 0) + 1;
  return {
    ledger: 'freqtrade',
    generatedAt: new Date().toISOString(),
    schema: `freqtrade ${generation} (${dialect})`,
    trades,
    openTrades: open,
    closedTrades: trades - open,
    orders: Number(orderCount?.n ?? 0),
    anomalies,
    counts,
  };
}
