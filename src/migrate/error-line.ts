import { describeLine } from './pg-statements.ts';
import type { PlanChunk } from './planner.ts';

/** The server's 1-based error position, in characters (PostgreSQL counts characters, not bytes); null when it gave none. */
function errorPosition(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const position = Number((error as { position?: unknown }).position);
  return Number.isInteger(position) && position > 0 ? position : null;
}

/**
 * The line of the migration file a PostgreSQL error points at (`file line N`), when the server gave
 * a position inside the migration's own SQL of the chunk that failed; null otherwise (no position,
 * or one in the lines tradeledger added before or after it). A transactional file is sent unparsed, so a
 * syntax error squawk did not see is found by the server, and this is how its message names the line.
 */
export function errorLine(chunk: PlanChunk | undefined, error: unknown): string | null {
  const section = chunk?.section;
  const position = errorPosition(error);
  if (section === undefined || position === null) return null;
  // Characters to a string index: a character outside the BMP is two UTF-16 units.
  let index = 0;
  let counted = 1;
  for (const char of chunk!.sql) {
    if (counted === position) break;
    index += char.length;
    counted++;
  }
  if (counted !== position || index < section.at || index >= section.end) return null;
  let line = 0;
  for (let i = section.at; i < index; i++) if (chunk!.sql.charCodeAt(i) === 10) line++;
  return describeLine(section.origin, line);
}
