import { createHash } from 'node:crypto';
import { UsageError } from '../errors.ts';
import { stripComments } from './split-statements.ts';

/** One versioned migration, parsed from `NNN_description.sql` (or dbmate's `20240115093000_name.sql`). */
export interface Migration {
  readonly version: number;
  /** The file name, as recorded in `schema_version.migration_script`. */
  readonly fileName: string;
  /** Human description: the file name's words, or a `-- migrate:description` line. */
  readonly description: string;
  readonly up: string;
  /** The 1-based line in the file where the up section's SQL starts, for lint messages. */
  readonly upLine: number;
  /**
   * The down section, or null when the file has none (the migration cannot be rolled back). An
   * empty string is a down section with no SQL (dbmate's template): rolling back runs nothing.
   */
  readonly down: string | null;
  /** False for `-- migrate:no-transaction` or dbmate's `-- migrate:up transaction:false` (PostgreSQL `CREATE INDEX CONCURRENTLY`). */
  readonly transactional: boolean;
  /** dbmate's `-- migrate:down transaction:false`: the down section alone runs outside a transaction; absent means as `transactional`. */
  readonly downTransactional?: boolean;
  /** SQLite: run with foreign keys off and `PRAGMA foreign_key_check` before commit. */
  readonly disableForeignKeys: boolean;
  /** sha256 of the file with line endings normalised to `\n`. */
  readonly checksum: string;
  /** Checksums of earlier texts of this file whose up section made the same schema (a pack that edited comments or its down section): not drift. */
  readonly formerChecksums?: readonly string[];
}

// Any name that starts with digits, as dbmate reads them: 001_x.sql, 20240115093000_x.sql, 3-x.sql.
const FILE_NAME = /^(\d+)(.*)\.sql$/;
const DIRECTIVE = /^--\s*migrate:([a-z-]+)\s*(.*)$/;

/** Line endings normalised so that a checkout on Windows has the same checksum. */
export function normaliseLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** sha256 (hex) of a migration file's text with line endings normalised. */
export function migrationChecksum(text: string): string {
  return createHash('sha256').update(normaliseLineEndings(text), 'utf8').digest('hex');
}

/** The version a migration file name carries, or null when the name does not start with digits. */
export function versionOfFileName(fileName: string): number | null {
  const match = FILE_NAME.exec(fileName);
  return match === null ? null : Number.parseInt(match[1]!, 10);
}

/** The largest version tradeledger stores: exact in JavaScript and within schema_version's BIGINT. */
export const MAX_VERSION = Number.MAX_SAFE_INTEGER;

/** A section line's options, dbmate's `transaction:false`: true, false, or undefined when not given. */
function sectionTransaction(fileName: string, line: number, rest: string): boolean | undefined {
  let transaction: boolean | undefined;
  for (const option of rest
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '')) {
    const match = /^transaction:(true|false)$/.exec(option);
    if (match === null) {
      throw new UsageError(
        `migration file '${fileName}' line ${line}: unknown option '${option}' on a section line; the one option is transaction:false (or transaction:true)`,
        'MIGRATION_FORMAT',
      );
    }
    transaction = match[1] === 'true';
  }
  return transaction;
}

/** Parses one migration file; a file that breaks the format is a usage error naming it and the fix. */
export function parseMigration(fileName: string, text: string): Migration {
  const match = FILE_NAME.exec(fileName);
  if (match === null) {
    throw new UsageError(
      `migration file '${fileName}' does not start with a version number: rename it, e.g. 001_create_orders.sql or 20240115093000_create_orders.sql`,
      'MIGRATION_NAME',
    );
  }
  const version = Number.parseInt(match[1]!, 10);
  if (version < 1) throw new UsageError(`migration file '${fileName}': versions start at 1; renumber it`, 'MIGRATION_NAME');
  if (version > MAX_VERSION) {
    throw new UsageError(
      `migration file '${fileName}': version ${match[1]} has more digits than a version may (at most ${MAX_VERSION}); shorten it`,
      'MIGRATION_NAME',
    );
  }
  const normalised = normaliseLineEndings(text);
  const sections: Record<'up' | 'down', string[] | undefined> = { up: undefined, down: undefined };
  let upStart = 0;
  let strayLine: number | undefined;
  let current: 'up' | 'down' | undefined;
  let transactional = true;
  let downTransactional: boolean | undefined;
  let disableForeignKeys = false;
  let description = match[2]!.replace(/[_-]+/g, ' ').trim() || match[1]!;
  const lines = normalised.split('\n');
  lines.forEach((line, index) => {
    const directive = DIRECTIVE.exec(line.trim());
    if (directive === null) {
      if (current !== undefined) sections[current]!.push(line);
      else if (strayLine === undefined && stripComments(line).trim() !== '') strayLine = index + 1;
      return;
    }
    const [, name, rest] = directive;
    switch (name) {
      case 'up':
      case 'down':
        if (sections[name] !== undefined) {
          throw new UsageError(`migration file '${fileName}' line ${index + 1}: a second '-- migrate:${name}' section; keep one`, 'MIGRATION_FORMAT');
        }
        sections[name] = [];
        current = name;
        if (name === 'up') upStart = index + 2;
        {
          const transaction = sectionTransaction(fileName, index + 1, rest!);
          // dbmate's options are per section: `-- migrate:up transaction:false` leaves the down in a transaction.
          if (transaction !== undefined && name === 'up') {
            transactional = transaction;
            downTransactional ??= true;
          }
          if (name === 'down') downTransactional = transaction ?? downTransactional;
        }
        return;
      case 'no-transaction':
        transactional = false;
        return;
      case 'disable-foreign-keys':
        disableForeignKeys = true;
        return;
      case 'description':
        if (rest!.trim() === '')
          throw new UsageError(`migration file '${fileName}' line ${index + 1}: '-- migrate:description' needs text`, 'MIGRATION_FORMAT');
        description = rest!.trim();
        return;
      default:
        throw new UsageError(
          `migration file '${fileName}' line ${index + 1}: unknown directive '-- migrate:${name}'; use up, down, no-transaction, disable-foreign-keys or description`,
          'MIGRATION_FORMAT',
        );
    }
  });
  if (sections.up === undefined) {
    throw new UsageError(`migration file '${fileName}' has no '-- migrate:up' line: put one above the SQL that applies it`, 'MIGRATION_FORMAT');
  }
  if (strayLine !== undefined) {
    throw new UsageError(
      `migration file '${fileName}' line ${strayLine}: SQL above '-- migrate:up' would never run; move it into the up section`,
      'MIGRATION_FORMAT',
    );
  }
  const up = sections.up.join('\n').trim();
  const leadingBlankLines = sections.up.findIndex((line) => line.trim() !== '');
  if (up === '') throw new UsageError(`migration file '${fileName}': the '-- migrate:up' section is empty`, 'MIGRATION_FORMAT');
  const down = sections.down === undefined ? null : sections.down.join('\n').trim();
  return {
    version,
    fileName,
    description,
    up,
    upLine: upStart + Math.max(0, leadingBlankLines),
    down,
    transactional,
    ...(downTransactional === undefined ? {} : { downTransactional }),
    disableForeignKeys,
    checksum: migrationChecksum(text),
  };
}
