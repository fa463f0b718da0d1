import type { Queryable } from '../db/port.ts';

/** Where a profile's pause state comes from. */
export type PauseSource = { readonly kind: 'table' } | { readonly kind: 'url'; readonly url: string };

/**
 * True when the profile is PAUSED, false when RUNNING (a profile with no trading_status row runs),
 * null when the state cannot be read: an unreadable state never counts as paused.
 */
export async function isPaused(db: Queryable, source: PauseSource, profileId: string): Promise<boolean | null> {
  if (source.kind === 'table') return (await pausedProfiles(db, source, [profileId])).get(profileId) ?? null;
  try {
    const url = new URL(source.url);
    url.searchParams.set('profile', profileId);
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return null;
    const text = (await response.text()).trim();
    // Either the bare word (as the specification's endpoint returns) or our own JSON shape.
    const state = text.startsWith('{') ? String((JSON.parse(text) as { state?: unknown; profiles?: { state?: unknown }[] }).state ?? '') : text;
    if (/^PAUSED$/i.test(state)) return true;
    if (/^RUNNING$/i.test(state)) return false;
    return null;
  } catch {
    // A network error or a malformed answer: unknown, so the pause gate says no.
    return null;
  }
}

/**
 * Every profile's pause state in one read for the table source (one request each for a URL).
 * With `hold`, inside a transaction, the table's rows are locked FOR SHARE until it ends: a resume
 * (our API's or any program's UPDATE) then waits for the caller's commit, and one committed first
 * is what this read sees. A URL source cannot be held.
 */
export async function pausedProfiles(
  db: Queryable,
  source: PauseSource,
  profileIds: readonly string[],
  options: { hold?: boolean } = {},
): Promise<Map<string, boolean | null>> {
  if (source.kind === 'url') {
    return new Map(await Promise.all(profileIds.map(async (id) => [id, await isPaused(db, source, id)] as const)));
  }
  const rows = await db.query<{ profile_id: string; state: string }>(
    `SELECT profile_id, state FROM trading_status WHERE profile_id = ANY ($1::text[]) ORDER BY profile_id${options.hold === true ? ' FOR SHARE' : ''}`,
    [[...profileIds]],
  );
  const states = new Map(rows.map((row) => [row.profile_id, row.state]));
  // A profile with no trading_status row runs.
  return new Map(profileIds.map((id) => [id, states.get(id) === 'PAUSED']));
}
