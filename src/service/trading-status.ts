import type { Database, Queryable } from '../db/port.ts';

/** A profile's trading state, as trading_status holds it. */
export type TradingState = 'RUNNING' | 'PAUSED';

/** One profile's row; a profile with no row runs (as the reconciliation pause gate reads it). */
export interface TradingStatus {
  readonly profile: string;
  readonly state: TradingState;
  readonly reason: string | null;
  readonly updatedBy: string | null;
  readonly updatedAt: string | null;
}

/** A requested change of state, with who asked and why. */
export interface TradingStateChange {
  readonly profile: string;
  readonly state: TradingState;
  readonly reason: string;
  readonly actor: string;
}

/** What a change did: `changed` is false when the profile was already in that state (nothing written). */
export interface TradingStateResult {
  readonly changed: boolean;
  readonly previous: TradingState;
  readonly status: TradingStatus;
}

interface StatusRow {
  readonly profile_id: string;
  readonly state: string;
  readonly reason: string | null;
  readonly updated_by: string | null;
  readonly updated_at: Date | string | null;
}

function toStatus(row: StatusRow): TradingStatus {
  const updatedAt = row.updated_at === null ? null : row.updated_at instanceof Date ? row.updated_at.toISOString() : new Date(row.updated_at).toISOString();
  return { profile: row.profile_id, state: row.state === 'PAUSED' ? 'PAUSED' : 'RUNNING', reason: row.reason, updatedBy: row.updated_by, updatedAt };
}

function running(profile: string): TradingStatus {
  return { profile, state: 'RUNNING', reason: null, updatedBy: null, updatedAt: null };
}

/** Every profile's state (ordered by profile), or one profile's, from trading_status. */
export async function readTradingStatus(db: Queryable, profile?: string): Promise<TradingStatus[]> {
  const rows = await db.query<StatusRow>(
    `SELECT profile_id, state, reason, updated_by, updated_at FROM trading_status
      WHERE ($1::text IS NULL OR profile_id = $1::text) ORDER BY profile_id`,
    [profile ?? null],
  );
  if (profile !== undefined && rows.length === 0) return [running(profile)];
  return rows.map(toStatus);
}

/**
 * Pauses or resumes a profile and records who did it, why and when (trading_status.updated_by,
 * reason, updated_at). Asking for the state a profile is already in changes nothing, so the row
 * keeps saying who put it there.
 */
export async function setTradingState(db: Database, change: TradingStateChange): Promise<TradingStateResult> {
  return db.transaction(async (tx) => {
    // FOR UPDATE: two admins pausing at once each see the other's change, not a stale previous state.
    const rows = await tx.query<StatusRow>('SELECT profile_id, state, reason, updated_by, updated_at FROM trading_status WHERE profile_id = $1 FOR UPDATE', [
      change.profile,
    ]);
    const before = rows[0] === undefined ? running(change.profile) : toStatus(rows[0]);
    if (before.state === change.state) return { changed: false, previous: before.state, status: before };
    const written = await tx.query<StatusRow>(
      `INSERT INTO trading_status (profile_id, state, reason, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (profile_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, updated_by = excluded.updated_by, updated_at = excluded.updated_at
       RETURNING profile_id, state, reason, updated_by, updated_at`,
      [change.profile, change.state, change.reason, change.actor],
    );
    return { changed: true, previous: before.state, status: toStatus(written[0]!) };
  });
}
