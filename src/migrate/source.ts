import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Database, Dialect } from '../db/port.ts';
import { parseMigration, type Migration } from './migration.ts';

/** A pack's own post-migration checks: each failure is one line naming what is wrong. */
export type VerifyChecks = (db: Database, context: VerifyContext) => Promise<readonly string[]>;

/** What a pack's checks may depend on. */
export interface VerifyContext {
  /** The version the database is at. */
  readonly version: number;
  /** Options from tradeledger.yaml that change what a pack creates (risk-state's optional table). */
  readonly options: PackOptions;
  /**
   * SQLite: what `PRAGMA integrity_check` returned ('ok' or its problems) when the caller has just
   * run it (verifyDatabase does), so that a pack's checks need not read the whole file a second time.
   */
  readonly integrity?: string;
}

/** What a source's repair may depend on: the verify context and whether data may be dropped. */
export interface RepairContext extends VerifyContext {
  readonly allowDataLoss: boolean;
}

/** SQL that brings an applied schema back to what its source declares (a missing column or index, an optional table turned on), and why. */
export interface RepairStep {
  readonly description: string;
  readonly sql: string;
}

/** Pack options that change the SQL a migration runs (substituted into `{{name}}` placeholders). */
export type PackOptions = Readonly<Record<string, string | boolean>>;

/** Where migrations come from: a built-in pack or a user folder. */
export interface MigrationSource {
  /** `pack:<name>` or `dir:<path>`, for messages. */
  readonly label: string;
  readonly migrations: readonly Migration[];
  /** The dialects the source's SQL is written for; `undefined` means any. */
  readonly dialects?: readonly Dialect[];
  readonly verify?: VerifyChecks;
  /**
   * The version an existing schema with no history table is at (0: empty), so that a database
   * made before tradeledger is adopted instead of migrated twice; throws when it is unrecognised.
   */
  readonly baseline?: (db: Database) => Promise<number>;
  /** The steps `migrate up` runs, recorded in schema_repairs, when the schema at its version lacks what the source declares. */
  readonly repair?: (db: Database, context: RepairContext) => Promise<readonly RepairStep[]>;
}

/**
 * The text of one entry named like a migration; a folder, a link that leads nowhere or a file this
 * user may not read is a usage error naming it, never a migration silently left out.
 */
function readMigrationText(path: string, name: string, dir: string): string {
  let kind: string;
  try {
    const stats = statSync(path);
    if (stats.isFile()) return readFileSync(path, 'utf8');
    kind = stats.isDirectory() ? 'is a folder, not a file' : 'is not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    kind =
      code === 'ENOENT' || code === 'ELOOP'
        ? 'is a link that leads nowhere'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : `cannot be read (${code ?? String(error)})`;
  }
  throw new UsageError(`'${name}' in migration folder '${dir}' ${kind}: fix or remove it (every *.sql entry there is read as a migration)`, 'MIGRATION_FILE');
}

/** Reads and parses every `*.sql` file in `dir`; two files with one version, or a bad file, is a usage error. */
export function loadMigrationFiles(dir: string, label: string): Migration[] {
  const path = resolve(dir);
  let names: string[];
  try {
    if (!statSync(path).isDirectory())
      throw new UsageError(`migration folder '${dir}' is a file, not a folder: pass the folder that holds NNN_description.sql files`, 'MIGRATION_DIR');
    names = readdirSync(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`migration folder '${dir}' does not exist: create it or pass --dir with the folder that holds your migrations`, 'MIGRATION_DIR');
  }
  const migrations = names
    .filter((name) => name.endsWith('.sql'))
    .map((name) => parseMigration(name, readMigrationText(join(path, name), name, dir)))
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    const previous = migrations[i - 1]!;
    const migration = migrations[i]!;
    if (previous.version === migration.version) {
      throw new UsageError(
        `${label}: '${previous.fileName}' and '${migration.fileName}' both have version ${migration.version}: renumber one of them`,
        'MIGRATION_DUPLICATE',
      );
    }
  }
  if (migrations.length === 0) throw new UsageError(`${label}: no NNN_description.sql files in '${dir}'`, 'MIGRATION_DIR');
  return migrations;
}

/** A user folder of migrations (`--dir`). */
export function directorySource(dir: string): MigrationSource {
  const label = `dir:${dir}`;
  return { label, migrations: loadMigrationFiles(dir, label) };
}
