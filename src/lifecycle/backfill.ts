import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/port.ts';
import { fileTimestamp } from '../migrate/backup.ts';
import { effectiveTradeId } from './blank.ts';
import { applyChanges, blankTradeIds, historyAssignments, type TradeIdChange } from './backfill-steps.ts';
import { batchPartitions, dirtyPartitions, groupByPartition, readWalkRows, type Partition } from './partitions.ts';
import { segmentPartition } from './segment.ts';
import { shortTransaction, type ShortTransactionSettings } from './short-transaction.ts';

/** The lock that keeps two backfills from walking the same partitions at once. */
export const BACKFILL_LOCK = 'tradeledger lifecycle backfill';

/** Options for `lifecycle backfill`. */
export interface BackfillOptions {
  /** False (the default): only report what would change. */
  readonly apply: boolean;
  readonly profileId?: string | undefined;
  /** Rows (of whole partitions) per transaction. */
  readonly rowsPerBatch?: number;
  readonly settings: ShortTransactionSettings;
  /** How many changes to keep in the summary. */
  readonly sampleLimit?: number;
  /** Stop after the transaction in flight; the batch stays `running` and the next apply resumes it. */
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: BackfillProgress) => void) | undefined;
}

/** Progress after each transaction. */
export interface BackfillProgress {
  readonly partitionsDone: number;
  readonly partitionsTotal: number;
  readonly rowsChanged: number;
  /** How long the transaction just finished held its locks (0 for a dry run). */
  readonly transactionMs: number;
}

/** What a backfill did (or, dry, would do). */
export interface BackfillSummary {
  readonly applied: boolean;
  readonly batchId: string | null;
  readonly resumed: boolean;
  /** False when stopped before the last partition. */
  readonly completed: boolean;
  readonly partitions: number;
  readonly normalised: number;
  readonly assigned: number;
  readonly history: number;
  /** EXIT rows without a trade_id that no open lifecycle could absorb: left NULL. */
  readonly orphanExits: readonly string[];
  readonly sample: readonly TradeIdChange[];
}

/** A new backfill batch id: `LBF-<UTC ts>-<random>`. */
export function newBackfillBatchId(now = new Date()): string {
  return `LBF-${fileTimestamp(now)}-${randomBytes(3).toString('hex')}`;
}

interface ChunkResult {
  readonly changes: TradeIdChange[];
  readonly orphanExits: string[];
}

/**
 * Plans the three steps for some partitions from the database as it is inside `tx`. A blank id
 * that gets a lifecycle's id goes straight from blank to `TRD-…` in one change, never through
 * NULL: once migration 007 is in place, a bot ENTRY/EXIT row may not be NULL even for a moment.
 * For the same reason a blank bot ENTRY/EXIT row that no lifecycle absorbs is left blank (and
 * reported) while the guardrails are in place.
 */
async function planChunk(tx: Queryable, partitions: readonly Partition[], guarded: boolean): Promise<ChunkResult> {
  const blanks = await blankTradeIds(tx, partitions);
  const rawRows = await readWalkRows(tx, partitions);
  const raw = new Map(rawRows.map((row) => [row.orderId, row]));
  const walkRows = rawRows.map((row) => ({ ...row, tradeId: effectiveTradeId(row.tradeId) }));
  const assignments: TradeIdChange[] = [];
  const orphanExits: string[] = [];
  for (const rows of groupByPartition(walkRows).values()) {
    const segmentation = segmentPartition(rows);
    orphanExits.push(...segmentation.orphanExits);
    for (const { orderId, tradeId } of segmentation.assignments) {
      const row = raw.get(orderId)!;
      if (row.source !== 'bot') continue; // only bot-originated rows are the backfill's to fill
      assignments.push({ table: 'orders', rowKey: orderId, profileId: row.profileId, step: 'assign', oldTradeId: row.tradeId, newTradeId: tradeId });
    }
  }
  const assignedRows = new Set(assignments.map((c) => c.rowKey));
  const normalise = blanks.filter((change) => {
    if (change.table !== 'orders') return true;
    if (assignedRows.has(change.rowKey)) return false;
    const row = raw.get(change.rowKey);
    return !(guarded && row !== undefined && row.source === 'bot' && row.action !== null);
  });
  const assigned = new Map(assignments.map((c) => [c.rowKey, c.newTradeId!]));
  const history = await historyAssignments(tx, partitions, assigned);
  return { changes: [...normalise, ...assignments, ...history], orphanExits };
}

/** True when migration 007's guardrail on bot rows is in place (validated or not). */
async function guardrailsInPlace(db: Queryable): Promise<boolean> {
  const rows = await db.query(`SELECT 1 FROM pg_constraint WHERE conname = 'chk_orders_action_lifecycle'`);
  return rows.length > 0;
}

async function findRunningBatch(db: Database, profileId: string | undefined): Promise<string | null> {
  const rows = await db.query<{ batch_id: string }>(
    `SELECT batch_id FROM lifecycle_backfill_batches WHERE status = 'running' AND profile_id IS NOT DISTINCT FROM $1 ORDER BY started_at DESC LIMIT 1`,
    [profileId ?? null],
  );
  return rows[0]?.batch_id ?? null;
}

/**
 * Normalises blank trade_ids, gives bot ENTRY/EXIT rows their lifecycle's deterministic trade_id
 * and trade_history rows their order's, in short transactions of whole (profile_id, symbol)
 * partitions. Every change is logged under one batch id for `revertBackfill`. Killed halfway:
 * finished transactions stay (logged), the one in flight rolls back, and the next apply resumes
 * the batch; running it twice changes nothing the second time.
 */
export async function runBackfill(db: Database, options: BackfillOptions): Promise<BackfillSummary> {
  const work = async (): Promise<BackfillSummary> => {
    const partitions = await dirtyPartitions(db, options.profileId);
    const guarded = await guardrailsInPlace(db);
    const chunks = batchPartitions(partitions, options.rowsPerBatch ?? 5000);
    const sampleLimit = options.sampleLimit ?? 20;
    const sample: TradeIdChange[] = [];
    const orphanExits: string[] = [];
    const counts = { normalise: 0, assign: 0, history: 0 };
    let batchId: string | null = null;
    let resumed = false;
    if (options.apply) {
      batchId = await findRunningBatch(db, options.profileId);
      resumed = batchId !== null;
      if (batchId === null) {
        batchId = newBackfillBatchId();
        await db.query(`INSERT INTO lifecycle_backfill_batches (batch_id, status, profile_id) VALUES ($1, 'running', $2)`, [
          batchId,
          options.profileId ?? null,
        ]);
      }
    }
    let done = 0;
    let rowsChanged = 0;
    for (const chunk of chunks) {
      if (options.signal?.aborted === true) break;
      const started = performance.now();
      const result = options.apply
        ? await shortTransaction(db, options.settings, async (tx) => {
            const planned = await planChunk(tx, chunk, guarded);
            // Step by step: history ids come from the orders' ids that step 2 wrote.
            let written = 0;
            for (const step of ['normalise', 'assign', 'history'] as const)
              written += await applyChanges(
                tx,
                batchId,
                planned.changes.filter((c) => c.step === step),
              );
            const last = chunk[chunk.length - 1]!;
            await tx.query(`UPDATE lifecycle_backfill_batches SET rows_changed = rows_changed + $2, resume_after = $3 WHERE batch_id = $1`, [
              batchId,
              written,
              JSON.stringify({ profile_id: last.profileId, symbol: last.symbol }),
            ]);
            return { ...planned, written };
          })
        : { ...(await planChunk(db, chunk, guarded)), written: 0 };
      for (const change of result.changes) {
        counts[change.step]++;
        if (sample.length < sampleLimit) sample.push(change);
      }
      orphanExits.push(...result.orphanExits);
      done += chunk.length;
      rowsChanged += options.apply ? result.written : result.changes.length;
      options.onProgress?.({
        partitionsDone: done,
        partitionsTotal: partitions.length,
        rowsChanged,
        transactionMs: options.apply ? performance.now() - started : 0,
      });
    }
    const completed = done === partitions.length;
    if (options.apply && completed) {
      await db.query(`UPDATE lifecycle_backfill_batches SET status = 'done', finished_at = now() WHERE batch_id = $1`, [batchId]);
    }
    return {
      applied: options.apply,
      batchId,
      resumed,
      completed,
      partitions: partitions.length,
      normalised: counts.normalise,
      assigned: counts.assign,
      history: counts.history,
      orphanExits,
      sample,
    };
  };
  return options.apply ? db.withLock(BACKFILL_LOCK, { waitMs: 0 }, work) : work();
}
