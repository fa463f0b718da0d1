import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { MAX_VERSION } from './migration.ts';

/** The file `migrate new` wrote. */
export interface NewMigration {
  readonly path: string;
  readonly fileName: string;
  readonly version: number;
}

/** The template dbmate writes: both sections, empty. */
export const NEW_MIGRATION_TEMPLATE = '-- migrate:up\n\n\n-- migrate:down\n\n';

const TIMESTAMP_DIGITS = 14;

function timestamp(now: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(now.getUTCFullYear(), 4)}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
}

/**
 * The next file name in `dir`'s own style: a UTC timestamp (YYYYMMDDHHMMSS, dbmate's) when its
 * files are timestamped, else the next number zero-padded as wide as the others (001_); the
 * separator after the version is the folder's too. An empty or missing folder starts at 001_.
 */
export function nextMigrationName(existing: readonly string[], name: string, now: Date): { fileName: string; version: number } {
  const words = name
    .trim()
    .toLowerCase()
    .replace(/\.sql$/, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (words === '') throw new UsageError(`migration name '${name}' has no letters or digits: give one, e.g. 'migrate new create_orders'`, 'BAD_NAME');
  const versioned = existing.map((file) => /^(\d+)([_-]?)/.exec(file)).filter((match) => match !== null);
  const numbers = versioned.map((match) => match![1]!);
  const latest = numbers.reduce((max, digits) => Math.max(max, Number.parseInt(digits, 10)), 0);
  const separator = versioned.find((match) => match![2] !== '')?.[2] ?? '_';
  const timestamped = numbers.some((digits) => digits.length >= TIMESTAMP_DIGITS);
  let version: string;
  if (timestamped) {
    const stamp = timestamp(now);
    // Two files in one second, or a clock behind the newest file: one past the newest keeps the order.
    version = Number.parseInt(stamp, 10) > latest ? stamp : String(latest + 1);
  } else {
    const width = numbers.reduce((max, digits) => Math.max(max, digits.length), 3);
    version = String(latest + 1).padStart(width, '0');
  }
  if (Number.parseInt(version, 10) > MAX_VERSION) throw new UsageError(`the next version after ${latest} is too large for a version`, 'BAD_NAME');
  return { fileName: `${version}${separator}${words}.sql`, version: Number.parseInt(version, 10) };
}

/** Writes a new, empty migration into `dir` (created when missing), named in the folder's style; never overwrites. */
export function createMigrationFile(dir: string, name: string, now: Date = new Date()): NewMigration {
  mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir).filter((file) => file.endsWith('.sql') && /^\d/.test(file));
  const { fileName, version } = nextMigrationName(existing, name, now);
  const path = join(dir, fileName);
  try {
    writeFileSync(path, NEW_MIGRATION_TEMPLATE, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${path} already exists: pick another name`, 'MIGRATION_EXISTS');
    throw error;
  }
  return { path, fileName, version };
}
