import { errorMessage } from '../errors.ts';
import { parseCsv } from './csv-records.ts';
import { FILL_FIELDS, POSITION_FIELDS, fillFromRow, positionFromRow, type RawRow } from './file-rows.ts';
import type { EvidenceFill, EvidencePosition } from './port.ts';

/** The two formats an evidence export may take, told apart by the file's extension. */
export type EvidenceFileFormat = 'json' | 'csv';

/** Everything a file holds, or every problem found in it (then nothing of it may be used). */
export interface ParsedEvidenceFile {
  readonly fills: readonly EvidenceFill[];
  readonly positions: readonly EvidencePosition[];
  /** One line each, located: "fills.csv line 7: quantity 'abc' is not a decimal …". */
  readonly problems: readonly string[];
}

const CSV_COLUMNS: readonly string[] = ['kind', ...new Set<string>([...FILL_FIELDS, ...POSITION_FIELDS])];

interface Located<T> {
  readonly where: string;
  readonly value: T;
}

class Collector {
  readonly #name: string;
  readonly fills: Located<EvidenceFill>[] = [];
  readonly positions: Located<EvidencePosition>[] = [];
  readonly problems: string[] = [];

  constructor(name: string) {
    this.#name = name;
  }

  /** `where` without the file name, for pointing at an earlier row of the same file. */
  #short(where: string): string {
    return where.startsWith(`${this.#name} `) ? where.slice(this.#name.length + 1) : where;
  }

  add(where: string, kind: 'fill' | 'position', row: RawRow): void {
    const result = kind === 'fill' ? fillFromRow(row) : positionFromRow(row);
    if (typeof result === 'string') this.problems.push(`${where}: ${result}`);
    else if (kind === 'fill') this.fills.push({ where, value: result as EvidenceFill });
    else this.positions.push({ where, value: result as EvidencePosition });
  }

  /** The same fill twice would count twice as evidence; two positions for one symbol contradict each other. */
  finish(): ParsedEvidenceFile {
    const firstFill = new Map<string, string>();
    for (const { where, value } of this.fills) {
      const key = JSON.stringify([value.profileId, value.exchangeTradeId]);
      const earlier = firstFill.get(key);
      if (earlier === undefined) firstFill.set(key, where);
      else this.problems.push(`${where}: exchange_trade_id '${value.exchangeTradeId}' of profile '${value.profileId}' repeats ${this.#short(earlier)}`);
    }
    const firstPosition = new Map<string, string>();
    for (const { where, value } of this.positions) {
      const key = JSON.stringify([value.profileId, value.symbol]);
      const earlier = firstPosition.get(key);
      if (earlier === undefined) firstPosition.set(key, where);
      else this.problems.push(`${where}: a second position for profile '${value.profileId}' symbol '${value.symbol}' (first at ${this.#short(earlier)})`);
    }
    return { fills: this.fills.map((f) => f.value), positions: this.positions.map((p) => p.value), problems: this.problems };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON: `{ "fills": [ … ], "positions": [ … ] }`, each entry keyed by the table's snake_case column names. */
function parseJson(name: string, content: string): ParsedEvidenceFile {
  const collector = new Collector(name);
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch (error) {
    return { fills: [], positions: [], problems: [`${name}: not valid JSON (${errorMessage(error)})`] };
  }
  if (!isRecord(document)) {
    return { fills: [], positions: [], problems: [`${name}: expected an object { "fills": [...], "positions": [...] }`] };
  }
  for (const key of Object.keys(document)) {
    if (key !== 'fills' && key !== 'positions') collector.problems.push(`${name}: unknown key '${key}' (expected fills and positions)`);
  }
  for (const [key, kind] of [
    ['fills', 'fill'],
    ['positions', 'position'],
  ] as const) {
    const list = document[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      collector.problems.push(`${name}: ${key} must be an array`);
      continue;
    }
    list.forEach((entry: unknown, index) => {
      const where = `${name} ${key}[${index}]`;
      if (isRecord(entry)) collector.add(where, kind, entry);
      else collector.problems.push(`${where}: expected an object`);
    });
  }
  return collector.finish();
}

/** CSV: one file, a header line, and a `kind` column saying `fill` or `position` on each row. */
function parseCsvFile(name: string, content: string): ParsedEvidenceFile {
  const collector = new Collector(name);
  const parsed = parseCsv(content);
  if ('error' in parsed) return { fills: [], positions: [], problems: [`${name} line ${parsed.error.line}: ${parsed.error.message}`] };
  const [header, ...rows] = parsed.records;
  if (header === undefined) return { fills: [], positions: [], problems: [`${name}: empty file (expected a header line such as ${CSV_COLUMNS.join(',')})`] };
  const columns = header.fields.map((field) => field.trim());
  const where = `${name} line ${header.line}`;
  for (const [index, column] of columns.entries()) {
    if (!CSV_COLUMNS.includes(column)) collector.problems.push(`${where}: unknown column '${column}' (columns: ${CSV_COLUMNS.join(', ')})`);
    else if (columns.indexOf(column) !== index) collector.problems.push(`${where}: column '${column}' appears twice`);
  }
  if (!columns.includes('kind')) collector.problems.push(`${where}: no kind column (each row says fill or position)`);
  if (collector.problems.length > 0) return collector.finish();
  for (const record of rows) {
    const at = `${name} line ${record.line}`;
    if (record.fields.length !== columns.length) {
      collector.problems.push(`${at}: ${record.fields.length} fields where the header has ${columns.length}`);
      continue;
    }
    const row: Record<string, string> = {};
    let kind = '';
    columns.forEach((column, index) => {
      const value = record.fields[index] ?? '';
      if (column === 'kind') kind = value;
      // An empty cell is an absent value: the columns of the other kind stay empty.
      else if (value !== '') row[column] = value;
    });
    if (kind !== 'fill' && kind !== 'position') collector.problems.push(`${at}: kind '${kind}' is not fill or position`);
    else collector.add(at, kind, row);
  }
  return collector.finish();
}

/** Parses a whole evidence export; `name` prefixes every problem line. Pure: no file system. */
export function parseEvidenceFile(name: string, format: EvidenceFileFormat, content: string): ParsedEvidenceFile {
  // Spreadsheet exports often start with a byte-order mark, which JSON.parse refuses.
  const text = content.replace(/^\uFEFF/, '');
  return format === 'json' ? parseJson(name, text) : parseCsvFile(name, text);
}
