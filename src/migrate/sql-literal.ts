/** A string as an SQL literal ('' doubled), valid in PostgreSQL (standard_conforming_strings) and SQLite. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A nullable string as an SQL literal or NULL. */
export function sqlStringOrNull(value: string | null): string {
  return value === null ? 'NULL' : sqlString(value);
}
