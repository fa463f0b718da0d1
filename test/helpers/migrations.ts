import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/open.ts';
import type { Dialect } from '../../src/db/port.ts';
import { readHistory } from '../../src/migrate/history.ts';
import type { PlanContext } from '../../src/migrate/planner.ts';
import { engineSettings, type EngineSettings } from '../../src/migrate/settings.ts';

/** A planner context for unit tests: an existing, complete history and nothing adopted, with `overrides`. */
export function planContext(dialect: Dialect, overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    dialect,
    historyExists: true,
    historyMissingColumns: [],
    invalidIndexes: new Set(),
    adopted: [],
    settings: { lockTimeoutMs: 2000, statementTimeoutMs: 600_000, appliedBy: 'tester@host' },
    ...overrides,
  };
}

/** The engine's default settings (no configuration file, no environment) without backups, with `overrides`. */
export function testSettings(overrides: Partial<EngineSettings> = {}): EngineSettings {
  return { ...engineSettings(loadConfig({ env: {} }).config), createBackup: false, ...overrides };
}

/** Each schema_version row as [version, success, error_message], opening and closing the database around the read. */
export async function historyOf(url: string): Promise<[number, boolean, string | null][]> {
  const db = await openDatabase(url);
  try {
    return (await readHistory(db)).rows.map((row) => [row.version, row.success, row.errorMessage]);
  } finally {
    await db.close();
  }
}

/** Writes `files` (name → text) into `dir/migrations` and returns that folder. */
export function writeMigrations(dir: string, files: Readonly<Record<string, string>>, folder = 'migrations'): string {
  const path = join(dir, folder);
  mkdirSync(path, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text);
  return path;
}

/** Three small migrations that run unchanged on PostgreSQL, PGlite and SQLite, and pass squawk. */
export const PORTABLE_MIGRATIONS: Readonly<Record<string, string>> = {
  '001_create_accounts.sql': [
    '-- migrate:up',
    'CREATE TABLE accounts (',
    '    id BIGINT PRIMARY KEY,',
    '    name TEXT NOT NULL',
    ');',
    'CREATE INDEX idx_accounts_name ON accounts (name);',
    '',
    '-- migrate:down',
    'DROP INDEX idx_accounts_name;',
    'DROP TABLE accounts;',
    '',
  ].join('\n'),
  '002_create_trades.sql': [
    '-- migrate:up',
    'CREATE TABLE trades (',
    '    id BIGINT PRIMARY KEY,',
    '    account_id BIGINT NOT NULL REFERENCES accounts (id),',
    '    quantity NUMERIC NOT NULL',
    ');',
    '',
    '-- migrate:down',
    'DROP TABLE trades;',
    '',
  ].join('\n'),
  '003_add_account_email.sql': [
    '-- migrate:up',
    'ALTER TABLE accounts ADD COLUMN email TEXT;',
    '-- migrate:down',
    'ALTER TABLE accounts DROP COLUMN email;',
    '',
  ].join('\n'),
};
