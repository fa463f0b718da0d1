/**
 * What the bot-ledger pack means by a blank and by a well-formed trade_id. Migration 007's
 * constraints spell these out in SQL; the lifecycle backfill must normalise by the same rules,
 * so both read them from here (a test checks that 007 holds exactly this text).
 */

/**
 * Code points a trade_id made only of counts as blank: Unicode White_Space (PostgreSQL's
 * `btrim(x)` trims only U+0020, and `[[:space:]]` depends on the database's locale, so a
 * no-break space would pass either), plus the invisible zero-width characters a copy and paste
 * brings in (U+180E, U+200B, U+2060, U+FEFF).
 */
export const BLANK_CODE_POINTS: readonly number[] = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x180e, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x200b, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff,
];

/** The blank characters as a PostgreSQL escape-string literal, for `btrim(trade_id, …)`. */
export const BLANK_CHARACTERS_SQL = `E'${BLANK_CODE_POINTS.map((code) => (code === 0x20 ? ' ' : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`)).join('')}'`;

/** A SQL predicate true when `column` is NULL or blank: the rows the lifecycle backfill sets to NULL. */
export function tradeIdMissingSql(column: string): string {
  return `(${column} IS NULL OR btrim(${column}, ${BLANK_CHARACTERS_SQL}) = '')`;
}

/** The PostgreSQL regular expression a trade_id must match (chk_*_trade_id_format). */
export const TRADE_ID_FORMAT_SQL = '^TRD-[A-Za-z0-9_-]+$';

/** The same rule for TypeScript callers. */
export const TRADE_ID_FORMAT = /^TRD-[A-Za-z0-9_-]+$/;
