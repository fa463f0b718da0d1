import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Database, Dialect } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { migrationChecksum, parseMigration, type Migration } from '../migrate/migration.ts';
import type { MigrationSource, VerifyChecks } from '../migrate/source.ts';

/** A built-in pack: its migrations live in `src/packs/<name>/migrations/`. */
export interface PackDefinition {
  readonly name: string;
  readonly summary: string;
  readonly dialects: readonly Dialect[];
  /** Placeholders the SQL uses (`{{name}}`) and their defaults. */
  readonly defaults: Readonly<Record<string, string | boolean>>;
  readonly verify?: VerifyChecks;
  /** The version an untracked existing schema is at; see MigrationSource.baseline. */
  readonly baseline?: (db: Database) => Promise<number>;
  /** What `migrate up` adds when the schema lacks something at its version; see MigrationSource.repair. */
  readonly repair?: MigrationSource['repair'];
  /** Per file name, checksums of earlier texts that made the same schema on `up` (see Migration.formerChecksums). */
  readonly formerChecksums?: Readonly<Record<string, readonly string[]>>;
  /** Tables the daemon's smoke check (`serve --check`) counts rows of: the ones its start-up and routes read. */
  readonly sampleTables?: readonly string[];
  /** Counts the daemon logs at start-up (docs/runbooks/risk-state-v2.md Phase 6): open positions and working orders, one `n` each. */
  readonly loadedState?: { readonly positions: string; readonly openOrders: string };
}

type PackLoader = () => Promise<PackDefinition>;

// Loaded on demand so that a command using one pack does not parse the others.
const PACKS: Readonly<Record<string, PackLoader>> = {
  'order-execution': async () => (await import('./order-execution/pack.ts')).pack,
  'bot-ledger': async () => (await import('./bot-ledger/pack.ts')).pack,
  'risk-state': async () => (await import('./risk-state/pack.ts')).pack,
};

/** Names of the built-in packs. */
export function packNames(): string[] {
  return Object.keys(PACKS).sort();
}

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.]*$/;

const CONDITION = /^\s*--\s*pack:(if|end)\s*([a-z_]*)\s*$/;

/** Keeps the lines between `-- pack:if <option>` and `-- pack:end` only when the option is true. */
function applyConditions(fileName: string, text: string, values: Readonly<Record<string, string | boolean>>): string {
  const kept: string[] = [];
  let open: { name: string; keep: boolean } | undefined;
  text.split('\n').forEach((line, index) => {
    const match = CONDITION.exec(line);
    if (match === null) {
      if (open === undefined || open.keep) kept.push(line);
      return;
    }
    if (match[1] === 'if') {
      if (open !== undefined) throw new UsageError(`${fileName} line ${index + 1}: '-- pack:if' blocks do not nest`, 'PACK_FORMAT');
      const value = values[match[2]!];
      if (typeof value !== 'boolean') throw new UsageError(`${fileName} line ${index + 1}: '-- pack:if ${match[2]}' needs a true/false option`, 'PACK_FORMAT');
      open = { name: match[2]!, keep: value };
    } else {
      if (open === undefined) throw new UsageError(`${fileName} line ${index + 1}: '-- pack:end' without '-- pack:if'`, 'PACK_FORMAT');
      open = undefined;
    }
  });
  if (open !== undefined) throw new UsageError(`${fileName}: '-- pack:if ${open.name}' has no '-- pack:end'`, 'PACK_FORMAT');
  return kept.join('\n');
}

/**
 * Renders a pack file for the options in force: `-- pack:if` blocks, then `{{name}}`
 * placeholders, whose values must be plain identifiers, never SQL.
 */
export function renderPackSql(fileName: string, text: string, values: Readonly<Record<string, string | boolean>>): string {
  return applyConditions(fileName, text, values).replace(PLACEHOLDER, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new UsageError(`${fileName}: no value for placeholder {{${name}}}; set migrations.options.${name} in tradeledger.yaml`, 'PACK_OPTION');
    const text = String(value);
    if (!IDENTIFIER.test(text))
      throw new UsageError(`migrations.options.${name} = '${text}' is not a plain identifier (letters, digits, _ and .)`, 'PACK_OPTION');
    return text;
  });
}

function packMigrations(
  name: string,
  values: Readonly<Record<string, string | boolean>>,
  former: Readonly<Record<string, readonly string[]>> = {},
): Migration[] {
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), name, 'migrations');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      // The checksum is the file's, as README says, not the rendering's: turning an option such as
      // track_unrealized_pnl on or off after applying is a configuration change, not an edit (drift).
      const earlier = former[file];
      return {
        ...parseMigration(file, renderPackSql(file, text, values)),
        checksum: migrationChecksum(text),
        ...(earlier === undefined ? {} : { formerChecksums: earlier }),
      };
    });
}

/** A built-in pack's definition (its schema facts), loaded on demand; an unknown name is a UsageError listing the packs. */
export async function packDefinition(name: string): Promise<PackDefinition> {
  const loader = PACKS[name];
  if (loader === undefined) {
    const names = packNames();
    throw new UsageError(`unknown pack '${name}': ${names.length === 0 ? 'no packs are built in yet' : `choose one of ${names.join(', ')}`}`, 'UNKNOWN_PACK');
  }
  return loader();
}

/** A built-in pack as a migration source, with options applied over its defaults. */
export async function packSource(name: string, options: Readonly<Record<string, string | boolean>> = {}): Promise<MigrationSource> {
  const pack = await packDefinition(name);
  const values = { ...pack.defaults, ...options };
  return {
    label: `pack:${name}`,
    migrations: packMigrations(name, values, pack.formerChecksums),
    dialects: pack.dialects,
    ...(pack.verify === undefined ? {} : { verify: pack.verify }),
    ...(pack.baseline === undefined ? {} : { baseline: pack.baseline }),
    ...(pack.repair === undefined ? {} : { repair: pack.repair }),
  };
}
