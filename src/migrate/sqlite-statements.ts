/**
 * SQLite statements one by one, for the migrations that cannot run as one transaction: dbmate's
 * `transaction:false`, and those with a statement SQLite refuses or ignores inside a transaction.
 */

// VACUUM, ATTACH and DETACH fail inside a transaction; PRAGMA journal_mode (into or out of WAL) and
// PRAGMA foreign_keys are silently ignored there, so the migration would be recorded without effect.
const OUTSIDE = /^(?:VACUUM\b|ATTACH\b|DETACH\b|PRAGMA\s+(?:[A-Za-z_]\w*\s*\.\s*)?(?:journal_mode|foreign_keys)\b)/i;

/** True for a SQLite statement that cannot take effect inside a transaction (VACUUM, PRAGMA journal_mode, ...). */
export function mustRunOutsideTransaction(statement: string): boolean {
  return OUTSIDE.test(withoutLeadingComments(statement));
}

function withoutLeadingComments(statement: string): string {
  let text = statement.trimStart();
  for (;;) {
    if (text.startsWith('--')) {
      const eol = text.indexOf('\n');
      text = eol === -1 ? '' : text.slice(eol + 1).trimStart();
    } else if (text.startsWith('/*')) {
      const end = text.indexOf('*/');
      text = end === -1 ? '' : text.slice(end + 2).trimStart();
    } else return text;
  }
}

const CLOSERS: Readonly<Record<string, string>> = { "'": "'", '"': '"', '`': '`', '[': ']' };

/**
 * Splits a SQLite script at top-level semicolons: not inside quotes, brackets or comments, nor
 * inside a CREATE TRIGGER's BEGIN … END body (whose own statements end with semicolons). Each
 * statement keeps its text and its semicolon; blank pieces are dropped.
 */
export function splitSqliteStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let depth = 0;
  let trigger: boolean | undefined;
  let i = 0;
  const push = (end: number) => {
    const text = script.slice(start, end).trim();
    if (withoutLeadingComments(text).replace(/;/g, '').trim() !== '') statements.push(text);
    start = end;
    depth = 0;
    trigger = undefined;
  };
  while (i < script.length) {
    const c = script[i]!;
    if (c === '-' && script[i + 1] === '-') {
      const eol = script.indexOf('\n', i);
      i = eol === -1 ? script.length : eol + 1;
    } else if (c === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end === -1 ? script.length : end + 2;
    } else if (CLOSERS[c] !== undefined) {
      const closer = CLOSERS[c]!;
      let j = i + 1;
      while (j < script.length && !(script[j] === closer && script[j + 1] !== closer)) j += script[j] === closer ? 2 : 1;
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c) && !/[\w$]/.test(script[i - 1] ?? ' ')) {
      const word = /^[A-Za-z_]\w*/.exec(script.slice(i))![0].toUpperCase();
      trigger ??= /^CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(withoutLeadingComments(script.slice(start)));
      if (trigger && (word === 'BEGIN' || word === 'CASE')) depth++;
      if (trigger && word === 'END') depth--;
      i += word.length;
    } else if (c === ';' && depth <= 0) {
      push(i + 1);
      i++;
    } else i++;
  }
  push(script.length);
  return statements;
}
