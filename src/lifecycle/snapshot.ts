import type { Database } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { tradeIdMissingSql } from '../packs/bot-ledger/trade-id.ts';

/** The counts of docs/runbooks/trade-lifecycle-integrity.md Phase A for one profile (or `*` for the total). */
export interface SnapshotCounts {
  readonly profileId: string;
  readonly ordersTotal: number;
  readonly ordersMissingTradeId: number;
  readonly ordersDistinctTradeIds: number;
  readonly historyTotal: number;
  readonly historyMissingTradeId: number;
  readonly historyDistinctTradeIds: number;
}

/** A stored snapshot. */
export interface Snapshot {
  readonly snapshotId: number;
  readonly takenAt: string;
  readonly label: string | null;
  readonly profiles: readonly SnapshotCounts[];
}

/** The total row's profile id. */
export const TOTAL = '*';

const COUNT_KEYS = [
  'ordersTotal',
  'ordersMissingTradeId',
  'ordersDistinctTradeIds',
  'historyTotal',
  'historyMissingTradeId',
  'historyDistinctTradeIds',
] as const;

/** Counts the figures of docs/runbooks/trade-lifecycle-integrity.md Phase A per profile (a missing id is NULL or blank), plus a total row. */
export async function countPhaseA(db: Database): Promise<SnapshotCounts[]> {
  const rows = await db.query<{ profile_id: string; source: string; total: string; missing: string; distinct_ids: string }>(
    `SELECT profile_id, 'orders' AS source, count(*) AS total,
            count(*) FILTER (WHERE ${tradeIdMissingSql('trade_id')}) AS missing,
            count(DISTINCT trade_id) FILTER (WHERE NOT ${tradeIdMissingSql('trade_id')}) AS distinct_ids
       FROM orders GROUP BY profile_id
     UNION ALL
     SELECT profile_id, 'history', count(*),
            count(*) FILTER (WHERE ${tradeIdMissingSql('trade_id')}),
            count(DISTINCT trade_id) FILTER (WHERE NOT ${tradeIdMissingSql('trade_id')})
       FROM trade_history GROUP BY profile_id`,
  );
  const byProfile = new Map<string, Record<(typeof COUNT_KEYS)[number], number>>();
  const entry = (profile: string) => {
    let counts = byProfile.get(profile);
    if (counts === undefined) {
      counts = { ordersTotal: 0, ordersMissingTradeId: 0, ordersDistinctTradeIds: 0, historyTotal: 0, historyMissingTradeId: 0, historyDistinctTradeIds: 0 };
      byProfile.set(profile, counts);
    }
    return counts;
  };
  for (const row of rows) {
    const counts = entry(row.profile_id);
    // Lifecycle keys are profile_id + trade_id, so the total's distinct ids is the sum over profiles.
    for (const target of [counts, entry(TOTAL)]) {
      if (row.source === 'orders') {
        target.ordersTotal += Number(row.total);
        target.ordersMissingTradeId += Number(row.missing);
        target.ordersDistinctTradeIds += Number(row.distinct_ids);
      } else {
        target.historyTotal += Number(row.total);
        target.historyMissingTradeId += Number(row.missing);
        target.historyDistinctTradeIds += Number(row.distinct_ids);
      }
    }
  }
  entry(TOTAL);
  return [...byProfile.entries()]
    .map(([profileId, counts]) => ({ profileId, ...counts }))
    .sort((a, b) => (a.profileId === TOTAL ? 1 : b.profileId === TOTAL ? -1 : a.profileId < b.profileId ? -1 : 1));
}

/** Takes the Phase A counts (docs/runbooks/trade-lifecycle-integrity.md) and stores them with a timestamp. */
export async function takeSnapshot(db: Database, label?: string): Promise<Snapshot> {
  const profiles = await countPhaseA(db);
  const rows = await db.query<{ snapshot_id: string; taken_at: Date }>(
    'INSERT INTO lifecycle_snapshots (label, counts) VALUES ($1, $2::jsonb) RETURNING snapshot_id, taken_at',
    [label ?? null, JSON.stringify(profiles)],
  );
  const row = rows[0]!;
  return { snapshotId: Number(row.snapshot_id), takenAt: row.taken_at.toISOString(), label: label ?? null, profiles };
}

/** A stored snapshot by id, or the latest when `id` is undefined. */
export async function readSnapshot(db: Database, id?: number): Promise<Snapshot> {
  const rows = await db.query<{ snapshot_id: string; taken_at: Date; label: string | null; counts: SnapshotCounts[] }>(
    id === undefined
      ? 'SELECT snapshot_id, taken_at, label, counts FROM lifecycle_snapshots ORDER BY snapshot_id DESC LIMIT 1'
      : 'SELECT snapshot_id, taken_at, label, counts FROM lifecycle_snapshots WHERE snapshot_id = $1',
    id === undefined ? [] : [id],
  );
  const row = rows[0];
  if (row === undefined)
    throw new UsageError(id === undefined ? 'no lifecycle snapshot yet: run `lifecycle snapshot` first' : `no lifecycle snapshot ${id}`, 'NO_SNAPSHOT');
  return { snapshotId: Number(row.snapshot_id), takenAt: row.taken_at.toISOString(), label: row.label, profiles: row.counts };
}

/** One figure that changed between two snapshots. */
export interface SnapshotDifference {
  readonly profileId: string;
  readonly figure: (typeof COUNT_KEYS)[number];
  readonly before: number;
  readonly after: number;
}

/** The figures that differ between two snapshots, per profile; pure. */
export function compareSnapshots(before: Snapshot, after: Snapshot): SnapshotDifference[] {
  const differences: SnapshotDifference[] = [];
  const old = new Map(before.profiles.map((p) => [p.profileId, p]));
  const now = new Map(after.profiles.map((p) => [p.profileId, p]));
  const ids = [...new Set([...old.keys(), ...now.keys()])].sort();
  for (const profileId of ids) {
    for (const figure of COUNT_KEYS) {
      const a = old.get(profileId)?.[figure] ?? 0;
      const b = now.get(profileId)?.[figure] ?? 0;
      if (a !== b) differences.push({ profileId, figure, before: a, after: b });
    }
  }
  return differences;
}
