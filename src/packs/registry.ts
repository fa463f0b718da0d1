import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Dialect } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { parseMigration, type Migration } from '../migrate/migration.ts';
import type { MigrationSource, VerifyChecks } from '../migrate/source.ts';

/** A built-in pack: its migrations live in `src/packs/<name>/migrations/`. */
export interface PackDefinition {
  readonly name: string;
  readonly summary: string;
  readonly dialects: readonly Dialect[];
  /** Placeholders the SQL uses (`{{name}}`) and their defaults. */
  readonly defaults: Readonly<Record<string, string | boolean>>;
  readonly verify?: VerifyChecks;
}

type PackLoader = () => Promise<PackDefinition>;

const PACKS: Readonly<Record<string, PackLoader>> = {};

/** Names of the built-in packs. */
export function packNames(): string[] {
  return Object.keys(PACKS).sort();
}

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Substitutes `{{name}}` placeholders; values must be plain identifiers, never SQL. */
export function renderPackSql(fileName: string, text: string, values: Readonly<Record<string, string | boolean>>): string {
  return text.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new UsageError(`${fileName}: no value for placeholder {{${name}}}; set migrations.options.${name} in tradeledger.yaml`, 'PACK_OPTION');
    const text = String(value);
    if (!IDENTIFIER.test(text)) throw new UsageError(`migrations.options.${name} = '${text}' is not a plain identifier (letters, digits, _ and .)`, 'PACK_OPTION');
    return text;
  });
}

function packMigrations(name: string, values: Readonly<Record<string, string | boolean>>): Migration[] {
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), name, 'migrations');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => parseMigration(file, renderPackSql(file, readFileSync(join(dir, file), 'utf8'), values)));
}

/** A built-in pack as a migration source, with options applied over its defaults. */
export async function packSource(name: string, options: Readonly<Record<string, string | boolean>> = {}): Promise<MigrationSource> {
  const loader = PACKS[name];
  if (loader === undefined) {
    const names = packNames();
    throw new UsageError(`unknown pack '${name}': ${names.length === 0 ? 'no packs are built in yet' : `choose one of ${names.join(', ')}`}`, 'UNKNOWN_PACK');
  }
  const pack = await loader();
  const values = { ...pack.defaults, ...options };
  return {
    label: `pack:${name}`,
    migrations: packMigrations(name, values),
    dialects: pack.dialects,
    ...(pack.verify === undefined ? {} : { verify: pack.verify }),
  };
}
