import { readFileSync } from 'node:fs';

/** Reconciliation's own tables (its audit trail and cycle state), as migration 006 creates them. */
export const RECON_OWN_TABLES = ['reconciliation_backfill_audit', 'recon_open_lifecycles', 'recon_cycle_state'] as const;

const MIGRATION_006 = new URL('./migrations/006_create_audit_tables.sql', import.meta.url);
const CREATE = /^CREATE (TABLE|INDEX) (\w+)(?: ON (\w+))?/;

/**
 * Migration 006's DDL for reconciliation's own tables and their indexes, made in `schema` and
 * re-runnable (IF NOT EXISTS): for a ledger that is not this pack's (a custom mapping), whose
 * reconciliation still needs these tables, with 006's very columns and constraints. Read from the
 * migration file itself, so there is one definition; 006's up section has no dollar quoting, so
 * its statements end at a `;` at the end of a line.
 */
export function reconTablesSql(schema: string): string {
  const text = readFileSync(MIGRATION_006, 'utf8');
  const up = text.slice(text.indexOf('-- migrate:up') + '-- migrate:up'.length, text.indexOf('-- migrate:down'));
  const own = new Set<string>(RECON_OWN_TABLES);
  const statements = up
    .split(/;\s*\n/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
  const kept: string[] = [];
  for (const statement of statements) {
    const match = CREATE.exec(statement);
    if (match === null) throw new Error(`bot-ledger 006: unexpected statement ${statement.slice(0, 40)}`);
    const [, kind, name, table] = match;
    if (!own.has(kind === 'TABLE' ? name! : table!)) continue;
    kept.push(
      kind === 'TABLE'
        ? statement.replace(CREATE, `CREATE TABLE IF NOT EXISTS ${schema}.${name}`)
        : statement.replace(CREATE, `CREATE INDEX IF NOT EXISTS ${name} ON ${schema}.${table}`),
    );
  }
  return `${kept.join(';\n')};`;
}
