import { BLANK_CODE_POINTS, TRADE_ID_FORMAT } from '../packs/bot-ledger/trade-id.ts';

const BLANK = new Set(BLANK_CODE_POINTS);

/** True for a trade_id made only of blank characters (the SQL side: `tradeIdMissingSql`). */
export function isBlankTradeId(value: string): boolean {
  for (const char of value) if (!BLANK.has(char.codePointAt(0)!)) return false;
  return true;
}

/** A trade_id as the walk sees it: blank counts as missing. */
export function effectiveTradeId(value: string | null): string | null {
  return value === null || isBlankTradeId(value) ? null : value;
}

/** True for a present trade_id that is neither blank nor `TRD-…`. */
export function isMalformedTradeId(value: string | null): boolean {
  return value !== null && !isBlankTradeId(value) && !TRADE_ID_FORMAT.test(value);
}

/** The class of a trade_id, as TRADE_ID_CLASS_SQL (src/packs/bot-ledger/summaries.ts) computes it in SQL: the format test first, then blank. */
export function tradeIdClass(value: string | null): 'null' | 'valid' | 'blank' | 'malformed' {
  if (value === null) return 'null';
  if (TRADE_ID_FORMAT.test(value)) return 'valid';
  return isBlankTradeId(value) ? 'blank' : 'malformed';
}
