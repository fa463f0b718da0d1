/** Anomalies injected into one closed lifecycle. */
export const LIFECYCLE_INJECTIONS = [
  'missing_entry_order',
  'orphan_exit',
  'over_exit',
  'history_mismatch',
  'duplicate_lifecycle_key',
  'missing_trade_id',
  'blank_trade_id',
  'malformed_trade_id',
] as const;

/** Anomalies injected at the end of a (profile, symbol) stream: three kinds of ghost, and a stale position. */
export const STREAM_END_INJECTIONS = ['ghost_covered', 'ghost_dust', 'ghost_large', 'untracked_position'] as const;

/** One lifecycle-level injection. */
export type LifecycleInjection = (typeof LIFECYCLE_INJECTIONS)[number];

/** One stream-end injection. */
export type StreamEndInjection = (typeof STREAM_END_INJECTIONS)[number];

/** Any injection the generator makes. */
export type Injection = LifecycleInjection | StreamEndInjection;

/** True for the injections that end a stream. */
export function isStreamEnd(kind: Injection): kind is StreamEndInjection {
  return (STREAM_END_INJECTIONS as readonly string[]).includes(kind);
}

/** True for the ghost injections (an open lifecycle the exchange has closed). */
export function isGhost(kind: Injection | null): kind is 'ghost_covered' | 'ghost_dust' | 'ghost_large' {
  return kind === 'ghost_covered' || kind === 'ghost_dust' || kind === 'ghost_large';
}

// Each blank is made only of characters the bot-ledger pack counts as blank; none holds U+2007,
// so `BLANKS[i] + U+2007 × n` is a different string for every (i, n). None starts with U+FEFF:
// PGlite decodes text with a TextDecoder, which drops a leading byte-order mark, so such a value
// would come back as '' and could not be looked up again (the BOM is covered inside one).
const BLANKS = ['', ' ', '   ', '\t', '\u00a0', '\u3000', '\u200b', '\u2060\ufeff', ' \u2009 ', '\r\n', '\u2028', '\u202f\u205f'];

/** The n-th blank trade_id of a profile: each injection gets its own string, so each is its own group. */
export function blankTradeId(n: number): string {
  return BLANKS[n % BLANKS.length]! + '\u2007'.repeat(Math.floor(n / BLANKS.length));
}

const MALFORMED = ['trd-{x}', 'TRD {x}', '{x}', 'TRD-{x}/{n}', 'TRD_{x}', '#{x}', 'trade:{x}', 'TRD-{x}.{n}'];

/** The n-th malformed trade_id of a profile: present, not blank, not `TRD-[A-Za-z0-9_-]+`, unique. */
export function malformedTradeId(n: number, hex: string): string {
  return MALFORMED[n % MALFORMED.length]!.replace('{x}', `${hex}${n}`).replace('{n}', String(n));
}
