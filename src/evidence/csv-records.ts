/** One CSV record: its fields and the file line it starts on (1-based, the header is line 1). */
export interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
}

/** A CSV text split into records, or the first place where it is not well-formed CSV. */
export type CsvParse = { readonly records: readonly CsvRecord[] } | { readonly error: { readonly line: number; readonly message: string } };

/**
 * Splits RFC 4180 CSV: comma separated, double-quoted fields may hold commas, line breaks and
 * doubled quotes. Blank lines are skipped. Line numbers count physical lines, so that a message
 * points at the line an editor shows even when a quoted field spans several.
 */
export function parseCsv(text: string): CsvParse {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < source.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let sawAny = false;
    for (;;) {
      if (i >= source.length) {
        if (quoted) return { error: { line: start, message: 'a quoted field is not closed' } };
        fields.push(field);
        break;
      }
      const char = source[i] as string;
      if (quoted) {
        if (char === '"') {
          if (source[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i += 1;
            const next = source[i];
            if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
              return { error: { line, message: 'text after a closing quote (double a quote inside a quoted field: "")' } };
            }
          }
          continue;
        }
        if (char === '\n') line += 1;
        field += char;
        i += 1;
        continue;
      }
      if (char === '"' && field === '') {
        quoted = true;
        sawAny = true;
        i += 1;
      } else if (char === ',') {
        fields.push(field);
        field = '';
        sawAny = true;
        i += 1;
      } else if (char === '\r' || char === '\n') {
        i += char === '\r' && source[i + 1] === '\n' ? 2 : 1;
        line += 1;
        fields.push(field);
        break;
      } else {
        field += char;
        sawAny = true;
        i += 1;
      }
    }
    if (sawAny || fields.some((f) => f !== '')) records.push({ line: start, fields });
  }
  return { records };
}
