import type { Queryable } from '../db/port.ts';

/** Where a profile's pause state comes from. */
export type PauseSource = { readonly kind: 'table' } | { readonly kind: 'url'; readonly url: string };

/**
 * True when the profile is PAUSED, false when RUNNING (a profile with no trading_status row runs),
 * null when the state cannot be read: an unreadable state never counts as paused.
 */
export async function isPaused(db: Queryable, source: PauseSource, profileId: string): Promise<boolean | null> {
  if (source.kind === 'table') {
    const rows = await db.query<{ state: string }>('SELECT state FROM trading_status WHERE profile_id = $1', [profileId]);
    return rows[0]?.state === 'PAUSED';
  }
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
