import type { Database } from '../db/port.ts';
import { SafetyError, UsageError } from '../errors.ts';
import { migrateDown, type DownResult } from '../migrate/down.ts';
import type { EngineSettings } from '../migrate/settings.ts';
import { readMigrationState } from '../migrate/state.ts';
import { GUARDRAILS } from '../packs/bot-ledger/tables.ts';
import { packSource } from '../packs/registry.ts';
import { lifecycleReport } from './report.ts';
import { shortTransaction, type ShortTransactionSettings } from './short-transaction.ts';

/** The bot-ledger migration that adds the guardrails. */
export const GUARDRAIL_VERSION = 7;

/** One guardrail's state. */
export interface GuardrailState {
  readonly table: string;
  readonly name: string;
  readonly convalidated: boolean;
  /** Rows that would fail the constraint now. */
  readonly violations: number;
}

/** What `lifecycle tighten` found and did. */
export interface TightenResult {
  readonly blockers: readonly string[];
  readonly forced: boolean;
  readonly constraints: readonly GuardrailState[];
}

async function guardrailDefinitions(db: Database): Promise<Map<string, { definition: string; convalidated: boolean }>> {
  const rows = await db.query<{ conname: string; def: string; convalidated: boolean }>(
    `SELECT conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conname = ANY ($1::text[])`,
    [GUARDRAILS.map((g) => g.name)],
  );
  return new Map(rows.map((row) => [row.conname, { definition: row.def, convalidated: row.convalidated }]));
}

/** Counts the rows that fail each guardrail, using the constraint's own definition from the catalog. */
export async function guardrailStates(db: Database): Promise<GuardrailState[]> {
  const definitions = await guardrailDefinitions(db);
  const missing = GUARDRAILS.filter((g) => !definitions.has(g.name)).map((g) => g.name);
  if (missing.length > 0) {
    throw new UsageError(
      `the guardrail constraints are not in place (${missing.join(', ')}): apply bot-ledger migration 007 first with 'migrate up --pack bot-ledger'`,
      'NO_GUARDRAILS',
    );
  }
  const states: GuardrailState[] = [];
  for (const guardrail of GUARDRAILS) {
    const { definition, convalidated } = definitions.get(guardrail.name)!;
    // A CHECK fails only when its expression is false (NULL passes), exactly as VALIDATE will judge it.
    const expression = /^CHECK \((.*)\)( NOT VALID)?$/s.exec(definition)?.[1];
    if (expression === undefined) throw new Error(`unexpected definition of ${guardrail.name}: ${definition}`);
    const rows = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${guardrail.table} WHERE (${expression}) IS FALSE`);
    states.push({ table: guardrail.table, name: guardrail.name, convalidated, violations: Number(rows[0]!.n) });
  }
  return states;
}

/**
 * docs/runbooks/trade-lifecycle-integrity.md Phase D's go/no-go: refuses (exit 3, listing the
 * blockers) while a row would violate a guardrail or a missing_entry_order / orphan_exit remains,
 * unless `force`; then runs VALIDATE CONSTRAINT for each, which takes SHARE UPDATE EXCLUSIVE and so never blocks inserts or updates.
 */
export async function tighten(db: Database, settings: ShortTransactionSettings, force = false): Promise<TightenResult> {
  const before = await guardrailStates(db);
  const blockers = before.filter((g) => g.violations > 0).map((g) => `${g.name}: ${g.violations} row(s) would violate it`);
  const report = await lifecycleReport(db, undefined, { gentle: true });
  for (const kind of ['missing_entry_order', 'orphan_exit'] as const) {
    const found = report.anomalies.filter((a) => a.kind === kind);
    if (found.length > 0)
      blockers.push(
        `${kind}: ${found.length} (first: profile ${found[0]!.profileId}, ${found[0]!.rows
          .map((r) => `${r.table} ${r.key}`)
          .slice(0, 3)
          .join(', ')})`,
      );
  }
  if (blockers.length > 0 && !force) {
    throw new SafetyError(
      `not validating: ${blockers.length} blocker(s) remain; fix them (lifecycle backfill --apply, lifecycle report) or pass --force`,
      'NO_GO',
      blockers,
    );
  }
  for (const guardrail of GUARDRAILS) {
    await shortTransaction(db, settings, (tx) => tx.exec(`ALTER TABLE ${guardrail.table} VALIDATE CONSTRAINT ${guardrail.name}`));
  }
  return { blockers, forced: force && blockers.length > 0, constraints: await guardrailStates(db) };
}

/**
 * The rollback plan of docs/runbooks/trade-lifecycle-integrity.md: drops the five guardrails and
 * keeps the indexes, by rolling back bot-ledger migration 007 through the engine so that
 * schema_version stays true.
 */
export async function loosen(db: Database, settings: EngineSettings): Promise<DownResult> {
  const source = await packSource('bot-ledger', settings.packOptions);
  const state = await readMigrationState(db, source, settings.plan);
  if (state.status.current < GUARDRAIL_VERSION) {
    return { from: state.status.current, to: state.status.current, reverted: [], backup: null };
  }
  if (state.status.current > GUARDRAIL_VERSION) {
    throw new UsageError(
      `the database is at bot-ledger version ${state.status.current}; roll back to ${GUARDRAIL_VERSION} first with 'migrate down --pack bot-ledger --to ${GUARDRAIL_VERSION}'`,
      'BAD_TARGET',
    );
  }
  return migrateDown(db, source, settings, { to: GUARDRAIL_VERSION - 1 });
}
