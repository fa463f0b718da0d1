// PostgreSQL refuses 0x00 in text (SQLSTATE 22021) and no file name can hold one, so text that
// reaches a database or the file system is checked for NUL bytes where it comes in.

/** True when `text` holds a NUL byte. */
export function holdsNulByte(text: string): boolean {
  return text.includes('\u0000');
}

/**
 * Where in `value` (a string, or objects and arrays of them, keys included) a NUL byte sits, as a
 * dotted path under `root` (`body.reason`, `recon.evidence.profile`); null when there is none.
 */
export function nulBytePath(value: unknown, root: string): string | null {
  if (typeof value === 'string') return holdsNulByte(value) ? root : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, child] of Object.entries(value)) {
    const path = root === '' ? key : `${root}.${key}`;
    if (holdsNulByte(key)) return JSON.stringify(path).slice(1, -1);
    const found = nulBytePath(child, path);
    if (found !== null) return found;
  }
  return null;
}
