import type { Database } from '../db/port.ts';
import { ANOMALY_KINDS, isBlocking, type Anomaly, type AnomalyKind, type AnomalyRow } from './anomalies.ts';
import { effectiveTradeId } from './blank.ts';
import { batchPartitions, groupByPartition, readWalkRows, type Partition } from './partitions.ts';
import type { ReportRow } from './report-derive.ts';
import { PROOF_HISTORY_SQL, PROOF_ORDERS_SQL, REPORT_FROM_SUMMARIES_SQL, REPORT_SQL } from './report-sql.ts';
import { readWalkRowsSqlite, SQLITE_PROOF_HISTORY_SQL, SQLITE_PROOF_ORDERS_SQL, sqliteReportRows } from './report-sqlite.ts';
import { summariesReady } from './summaries.ts';
import { segmentPartition } from './segment.ts';

/** One profile's reconciliation orders → positions → history. */
export interface ProfileSummary {
  readonly profileId: string;
  readonly orders: number;
  readonly lifecycles: number;
  readonly openLifecycles: number;
  readonly closedLifecycles: number;
  readonly historyRows: number;
  readonly openPositions: number;
  readonly anomalies: Readonly<Partial<Record<AnomalyKind, number>>>;
}

/** The result of `lifecycle report`. */
export interface LifecycleReport {
  readonly generatedAt: string;
  readonly profiles: readonly ProfileSummary[];
  readonly anomalies: readonly Anomaly[];
  /** True when an anomaly that blocks validation (docs/runbooks/trade-lifecycle-integrity.md Phase D) remains. */
  readonly blocking: boolean;
  readonly counts: Readonly<Partial<Record<AnomalyKind, number>>>;
  /** Where the per-lifecycle figures came from: the kept summaries, or an aggregate over the ledger. */
  readonly readFrom: 'summaries' | 'ledger';
}

// A NULL trade id stands for the rows without one on a symbol, so the symbol is part of its key.
const keyOf = (profileId: string, tradeId: string | null, symbol: string | null) => `${profileId}\u0000${tradeId ?? `\u0001${symbol ?? ''}`}`;

/** Fetches the rows behind the anomalous keys only: one query per table, none when nothing is wrong. */
async function proofRows(db: Database, rows: readonly ReportRow[]): Promise<(row: ReportRow) => AnomalyRow[]> {
  const orderKeys = new Map<string, [string, string]>();
  const historyKeys = new Map<string, [string, string | null, string | null]>();
  for (const row of rows) {
    for (const t of row.order_keys ?? []) orderKeys.set(keyOf(row.profile_id, t, null), [row.profile_id, t]);
    for (const t of row.history_keys ?? []) historyKeys.set(keyOf(row.profile_id, t, row.symbol), [row.profile_id, t, row.symbol]);
  }
  const orders = new Map<string, string[]>();
  const history = new Map<string, string[]>();
  if (orderKeys.size > 0) {
    const keys = [...orderKeys.values()];
    const [sql, params] =
      db.dialect === 'sqlite' ? [SQLITE_PROOF_ORDERS_SQL, [JSON.stringify(keys)]] : [PROOF_ORDERS_SQL, [keys.map((k) => k[0]), keys.map((k) => k[1])]];
    for (const r of await db.query<{ profile_id: string; trade_id: string; order_id: string }>(sql, params)) {
      const key = keyOf(r.profile_id, r.trade_id, null);
      orders.set(key, [...(orders.get(key) ?? []), r.order_id]);
    }
  }
  if (historyKeys.size > 0) {
    const keys = [...historyKeys.values()];
    const [sql, params] =
      db.dialect === 'sqlite'
        ? [SQLITE_PROOF_HISTORY_SQL, [JSON.stringify(keys)]]
        : [PROOF_HISTORY_SQL, [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])]];
    for (const r of await db.query<{ profile_id: string; trade_id: string | null; symbol: string; id: string }>(sql, params)) {
      const key = keyOf(r.profile_id, r.trade_id, r.symbol);
      history.set(key, [...(history.get(key) ?? []), r.id]);
    }
  }
  return (row) => [
    ...(row.order_keys ?? [])
      .flatMap((t) => orders.get(keyOf(row.profile_id, t, null)) ?? [])
      .sort()
      .map((key) => ({ table: 'orders' as const, key })),
    ...(row.history_keys ?? [])
      .flatMap((t) => history.get(keyOf(row.profile_id, t, row.symbol)) ?? [])
      .sort((a, b) => Number(a) - Number(b))
      .map((key) => ({ table: 'trade_history' as const, key })),
    ...(row.position_key === null ? [] : [{ table: 'positions' as const, key: row.position_key }]),
  ];
}

function anomaly(kind: AnomalyKind, profileId: string, symbol: string | null, tradeId: string | null, detail: string, rows: AnomalyRow[]): Anomaly {
  return { kind, profileId, symbol, tradeId, detail, rows, blocking: isBlocking(kind, rows) };
}

/** Walks the partitions that hold NULL-trade_id bot rows: each orphan EXIT, and the rows the backfill would fill. */
async function walkAnomalies(db: Database, partitions: readonly Partition[]): Promise<Anomaly[]> {
  const found: Anomaly[] = [];
  for (const batch of batchPartitions(partitions, 20_000)) {
    const rows = (db.dialect === 'sqlite' ? await readWalkRowsSqlite(db, batch) : await readWalkRows(db, batch)).map((row) => ({
      ...row,
      tradeId: effectiveTradeId(row.tradeId),
    }));
    for (const group of groupByPartition(rows).values()) {
      const { profileId, symbol } = group[0]!;
      const segmentation = segmentPartition(group);
      for (const orderId of segmentation.orphanExits) {
        found.push(
          anomaly('orphan_exit', profileId, symbol, null, 'EXIT without a trade_id that no open lifecycle can absorb', [{ table: 'orders', key: orderId }]),
        );
      }
      const bot = new Set(group.filter((row) => row.source === 'bot').map((row) => row.orderId));
      const fillable = segmentation.assignments
        .filter((a) => bot.has(a.orderId))
        .map((a) => a.orderId)
        .sort();
      if (fillable.length > 0) {
        found.push(
          anomaly(
            'missing_trade_id',
            profileId,
            symbol,
            null,
            `${fillable.length} bot order(s) without a trade_id; 'lifecycle backfill --apply' fills them`,
            fillable.map((key) => ({ table: 'orders', key })),
          ),
        );
      }
    }
  }
  return found;
}

/**
 * Reconciles orders → positions → history per profile and lists every anomaly with the rows that
 * prove it. Read-only; one aggregate pass per table (or a read of the per-lifecycle summaries
 * when the ledger keeps them: `lifecycle summaries --rebuild`), the proving rows of anomalous keys
 * only, and a walk of the partitions that hold NULL-trade_id bot rows. On SQLite (a custom ledger's
 * temporary views) the same rows come from a TypeScript pass over the tables (src/lifecycle/report-derive.ts).
 */
export async function lifecycleReport(db: Database, profileId?: string, options: { readonly gentle?: boolean } = {}): Promise<LifecycleReport> {
  const sqlite = db.dialect === 'sqlite';
  const readFrom = !sqlite && (await summariesReady(db)) ? 'summaries' : 'ledger';
  const sql = readFrom === 'summaries' ? REPORT_FROM_SUMMARIES_SQL : REPORT_SQL;
  // Gentle: one core for the scan, so that a check run beside live writers (tighten) leaves them the rest.
  const rows = sqlite
    ? await sqliteReportRows(db, profileId)
    : options.gentle === true && db.capabilities.concurrentSessions
      ? await db.transaction(async (tx) => {
          await tx.exec('SET LOCAL max_parallel_workers_per_gather = 0');
          return tx.query<ReportRow>(sql, [profileId ?? null]);
        })
      : await db.query<ReportRow>(sql, [profileId ?? null]);
  const proof = await proofRows(
    db,
    rows.filter((row) => !row.kind.startsWith('_')),
  );
  const anomalies: Anomaly[] = [];
  const walk: Partition[] = [];
  const summaries = new Map<string, Omit<ProfileSummary, 'anomalies'>>();
  for (const row of rows) {
    if (row.kind === '_walk') {
      walk.push({ profileId: row.profile_id, symbol: row.symbol!, rows: 0 });
    } else if (row.kind === '_summary') {
      const figures = JSON.parse(row.detail!) as Record<string, number | string>;
      summaries.set(row.profile_id, {
        profileId: row.profile_id,
        orders: Number(figures['orders']),
        lifecycles: Number(figures['lifecycles']),
        openLifecycles: Number(figures['open']),
        closedLifecycles: Number(figures['closed']),
        historyRows: Number(figures['history']),
        openPositions: Number(figures['positions']),
      });
    } else {
      anomalies.push(anomaly(row.kind as AnomalyKind, row.profile_id, row.symbol, row.trade_id, row.detail ?? '', proof(row)));
    }
  }
  anomalies.push(...(await walkAnomalies(db, walk)));
  const order = new Map(ANOMALY_KINDS.map((kind, index) => [kind, index]));
  anomalies.sort((a, b) =>
    a.profileId < b.profileId
      ? -1
      : a.profileId > b.profileId
        ? 1
        : order.get(a.kind)! - order.get(b.kind)! || String(a.symbol).localeCompare(String(b.symbol)) || String(a.tradeId).localeCompare(String(b.tradeId)),
  );
  const counts: Partial<Record<AnomalyKind, number>> = {};
  const perProfile = new Map<string, Partial<Record<AnomalyKind, number>>>();
  for (const a of anomalies) {
    counts[a.kind] = (counts[a.kind] ?? 0) + 1;
    const mine = perProfile.get(a.profileId) ?? {};
    mine[a.kind] = (mine[a.kind] ?? 0) + 1;
    perProfile.set(a.profileId, mine);
  }
  const profileIds = [...new Set([...summaries.keys(), ...perProfile.keys()])].sort();
  const profiles = profileIds.map((id) => ({
    ...(summaries.get(id) ?? { profileId: id, orders: 0, lifecycles: 0, openLifecycles: 0, closedLifecycles: 0, historyRows: 0, openPositions: 0 }),
    anomalies: perProfile.get(id) ?? {},
  }));
  return { generatedAt: new Date().toISOString(), profiles, anomalies, blocking: anomalies.some((a) => a.blocking), counts, readFrom };
}
