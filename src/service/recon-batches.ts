import type { Database } from '../db/port.ts';

/** One reconciliation batch, summarised from its audit rows. */
export interface BatchSummary {
  readonly batchId: string;
  readonly startedAt: string;
  readonly rows: number;
  readonly profiles: readonly string[];
  readonly counts: Readonly<Record<string, number>>;
  /** Rows a rollback marked reverted. */
  readonly revertedRows: number;
}

interface SummaryRow {
  readonly batch_id: string;
  readonly started_at: Date | string;
  readonly rows: number;
  readonly profiles: string[];
  readonly counts: Record<string, number> | string;
  readonly reverted_rows: number;
}

// The newest batches first; the per-batch figures come through the batch_id index. Finding the
// newest batches groups the audit (one pass over it, or over the profile's rows with a filter).
const BATCHES_SQL = `WITH recent AS (
  SELECT batch_id, MIN(created_at) AS started_at
    FROM reconciliation_backfill_audit
   WHERE ($1::text IS NULL OR profile_id = $1::text)
   GROUP BY batch_id
   ORDER BY started_at DESC, batch_id DESC
   LIMIT $2)
SELECT r.batch_id, r.started_at,
       (SELECT COUNT(*)::int FROM reconciliation_backfill_audit a WHERE a.batch_id = r.batch_id) AS rows,
       (SELECT array_agg(DISTINCT a.profile_id ORDER BY a.profile_id) FROM reconciliation_backfill_audit a WHERE a.batch_id = r.batch_id) AS profiles,
       (SELECT jsonb_object_agg(d.decision, d.n) FROM (SELECT decision, COUNT(*)::int AS n FROM reconciliation_backfill_audit a WHERE a.batch_id = r.batch_id GROUP BY decision) d) AS counts,
       (SELECT COUNT(*)::int FROM reconciliation_backfill_audit a WHERE a.batch_id = r.batch_id AND a.reverted_at IS NOT NULL) AS reverted_rows
  FROM recent r
 ORDER BY r.started_at DESC, r.batch_id DESC`;

/** The newest reconciliation batches (for one profile, or all), with their decision counts. */
export async function listBatches(db: Database, filter: { readonly profileId?: string | undefined; readonly limit: number }): Promise<BatchSummary[]> {
  const rows = await db.query<SummaryRow>(BATCHES_SQL, [filter.profileId ?? null, filter.limit]);
  return rows.map((row) => ({
    batchId: row.batch_id,
    startedAt: row.started_at instanceof Date ? row.started_at.toISOString() : new Date(row.started_at).toISOString(),
    rows: Number(row.rows),
    profiles: row.profiles,
    counts: typeof row.counts === 'string' ? (JSON.parse(row.counts) as Record<string, number>) : row.counts,
    revertedRows: Number(row.reverted_rows),
  }));
}
