/** Node's SQLite module, loaded on first use and without Node 22's experimental-feature warning. */
export function nodeSqlite(): typeof import('node:sqlite') {
  // Node 22 prints "SQLite is an experimental feature" when the module first loads, on the stderr of
  // whatever program uses this library, and there is nothing its user could do about it. The warning
  // is emitted synchronously through process.emitWarning during the load, so it is filtered only then.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (/^SQLite is an experimental feature/.test(warning instanceof Error ? warning.message : String(warning))) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return process.getBuiltinModule('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
}
