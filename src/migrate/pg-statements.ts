import { UsageError } from '../errors.ts';

/** One statement of a PostgreSQL script, as PostgreSQL's own parser (libpg-query) found it. */
export interface PgStatement {
  /** The statement's text with the comments above it and its semicolon, trimmed: what the runner sends. */
  readonly text: string;
  /** 0-based line in the script where its first token is. */
  readonly firstLine: number;
  /** 0-based line in the script of its last character (its semicolon when it has one). */
  readonly lastLine: number;
  /** The parse-tree node's type: `CreateStmt`, `IndexStmt`, `CreateFunctionStmt`, `DoStmt`, … */
  readonly kind: string;
  /** The node itself (the libpg-query JSON tree), for the questions the planner and lint ask of it. */
  readonly node: Readonly<Record<string, unknown>>;
}

/** Where a script comes from, so that a refusal names the file and the line in it. */
export interface ScriptOrigin {
  readonly fileName: string;
  /** 1-based line in the file where the script starts; for a down section (line unknown), 1 and `section: 'down'`. */
  readonly line: number;
  readonly section?: 'up' | 'down';
}

/** `file line N` for a 0-based line of the script; `file, down section line N` when the script is a down section. */
export function describeLine(origin: ScriptOrigin, scriptLine: number): string {
  const line = origin.line + scriptLine;
  return origin.section === 'down' ? `${origin.fileName}, down section line ${line}` : `${origin.fileName} line ${line}`;
}

interface LibPgQuery {
  parseSync(sql: string): { stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
  scanSync(sql: string): { tokens: { start: number; end: number; text: string; tokenName: string }[] };
}

let parser: LibPgQuery | null = null;
let loading: Promise<void> | null = null;

/**
 * Loads PostgreSQL's parser (libpg-query, WebAssembly: no server, no network). Only migrate commands
 * on a PostgreSQL database need it, so it is loaded on their first use, never at CLI start.
 */
export function loadPostgresParser(): Promise<void> {
  loading ??= (async () => {
    const module = await import('libpg-query');
    await module.loadModule();
    parser = module as unknown as LibPgQuery;
  })();
  return loading;
}

function loaded(): LibPgQuery {
  if (parser === null) throw new Error('internal: PostgreSQL statements parsed before loadPostgresParser() finished');
  return parser;
}

/** Maps libpg-query's UTF-8 byte offsets to string indexes (the same numbers for ASCII). */
function byteToIndex(script: string): (offset: number) => number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is "anything that is not ASCII"
  if (!/[^\u0000-\u007f]/.test(script)) return (offset) => offset;
  const map: number[] = [];
  let index = 0;
  for (const char of script) {
    const bytes = Buffer.byteLength(char, 'utf8');
    for (let b = 0; b < bytes; b++) map.push(index);
    index += char.length;
  }
  map.push(index);
  return (offset) => map[Math.min(offset, map.length - 1)]!;
}

/**
 * Where a statement's text ends: after the semicolon that follows its last token, with only blanks
 * and comments between (the parser's statement length stops at or before it); the script's end when none.
 */
function afterSemicolon(script: string, from: number): number {
  let i = from;
  while (i < script.length) {
    const c = script[i]!;
    if (c === ';') return i + 1;
    if (c === '-' && script[i + 1] === '-') {
      const eol = script.indexOf('\n', i);
      i = eol === -1 ? script.length : eol + 1;
    } else if (c === '/' && script[i + 1] === '*') {
      let depth = 0;
      do {
        if (script.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (script.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < script.length);
    } else if (/\s/.test(c)) {
      i++;
    } else {
      return from;
    }
  }
  return script.length;
}

function lineAt(script: string, index: number): number {
  let line = 0;
  for (let i = 0; i < index && i < script.length; i++) if (script.charCodeAt(i) === 10) line++;
  return line;
}

const META_COMMAND_ADVICE: Readonly<Record<string, string>> = {
  c: 'tradeledger connects with --db (or database.url); remove the line',
  connect: 'tradeledger connects with --db (or database.url); remove the line',
  i: 'paste the included file’s SQL in its place',
  include: 'paste the included file’s SQL in its place',
  ir: 'paste the included file’s SQL in its place',
  include_relative: 'paste the included file’s SQL in its place',
  set: 'write the value into the SQL itself',
};

/** A psql meta-command (`\connect`, `\i`, `\set` …) outside quotes and comments, or null. */
function metaCommand(lib: LibPgQuery, script: string): { index: number; name: string } | null {
  let tokens: ReturnType<LibPgQuery['scanSync']>['tokens'];
  try {
    tokens = lib.scanSync(script).tokens;
  } catch {
    // libpg-query's scanner output is not always valid JSON (a control character in a string, a
    // number run into a name as in `\i 001_base.sql`); the script failed to parse anyway, so a line
    // that starts with a backslash is taken for the meta-command.
    const line = /^[ \t]*\\([A-Za-z_!?]*)/m.exec(script);
    return line === null ? null : { index: line.index + line[0].indexOf('\\'), name: line[1]! };
  }
  const toIndex = byteToIndex(script);
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    if (token.text !== '\\' || token.tokenName === 'SCONST') continue;
    const next = tokens[t + 1];
    const start = toIndex(token.start);
    const name = next !== undefined && toIndex(next.start) === toIndex(token.end) ? next.text : '';
    return { index: start, name };
  }
  return null;
}

/**
 * Splits a PostgreSQL script into statements with PostgreSQL's own parser, so that BEGIN ATOMIC
 * bodies, DO blocks, tagged dollar quotes and comments are what the server will see. Each statement
 * keeps the comments above it and its semicolon; a script of comments only has no statements.
 * A syntax error or a psql meta-command is a usage error naming the file and the line.
 */
export function parsePostgresScript(script: string, origin: ScriptOrigin): PgStatement[] {
  const lib = loaded();
  let result: ReturnType<LibPgQuery['parseSync']>;
  try {
    result = lib.parseSync(script);
  } catch (error) {
    const meta = metaCommand(lib, script);
    if (meta !== null) {
      const advice = META_COMMAND_ADVICE[meta.name.toLowerCase()] ?? 'do in SQL what it did, or remove it';
      throw new UsageError(
        `${describeLine(origin, lineAt(script, meta.index))}: '\\${meta.name}' is a psql meta-command, not SQL — tradeledger sends the SQL to the server, not to psql; ${advice}`,
        'PSQL_META_COMMAND',
      );
    }
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const at = details?.cursorPosition ?? 0;
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      `${describeLine(origin, lineAt(script, byteToIndex(script)(at)))}: PostgreSQL cannot parse it (${message}); fix the SQL — nothing was run`,
      'SQL_SYNTAX',
    );
  }
  const toIndex = byteToIndex(script);
  const statements: PgStatement[] = [];
  let from = 0;
  for (const raw of result.stmts ?? []) {
    const location = raw.stmt_location ?? 0;
    const start = toIndex(location);
    const end = raw.stmt_len === undefined || raw.stmt_len === 0 ? script.length : toIndex(location + raw.stmt_len);
    const stop = afterSemicolon(script, end);
    const text = script.slice(from, stop).trim();
    const kind = Object.keys(raw.stmt)[0]!;
    const firstToken = script.slice(start).search(/\S/);
    statements.push({
      text,
      firstLine: lineAt(script, start + Math.max(0, firstToken)),
      lastLine: lineAt(script, Math.max(start, stop - 1)),
      kind,
      node: raw.stmt[kind] as Record<string, unknown>,
    });
    from = stop;
  }
  return statements;
}
