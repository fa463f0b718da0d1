/**
 * Keeps a driver error as it is (its SQLSTATE or SQLite code included) and adds the statement that
 * raised it as `query`, as PGlite does, so a message can say which statement failed.
 */
export function withQueryContext(error: unknown, sql: string): unknown {
  if (error instanceof Error && !('query' in error)) Object.assign(error, { query: sql });
  return error;
}
