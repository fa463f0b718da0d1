// A cell a spreadsheet would read as a formula (CSV injection): one starting with = + - @, a tab
// or a carriage return. OWASP's advice is to prefix such a cell with a single quote, which makes
// it text. A plain number (-0.5, +3, 1e-8) is left as it is: a spreadsheet reads it as a number,
// which cannot call anything, and quoting it would turn every negative quantity into text.
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** `text` with a leading quote when a spreadsheet would otherwise run it as a formula. */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** One CSV field: formulas neutralised, then quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvField(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? neutraliseFormula(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV with a header line. */
export function csv(headers: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return [headers, ...rows].map((row) => row.map(csvField).join(',')).join('\n');
}
