import type { Database } from '../db/port.ts';
import { CheckFailedError, SafetyError, isTradeledgerError } from '../errors.ts';
import { backupBeforeMigration } from './backup.ts';
import { EarlyLint, formatFinding, type LintFinding } from './lint.ts';
import { isAllowed, type AllowUnsafe } from './lint-policy.ts';
import { assertConsistent, planningParses, planUp, sectionOrigin, type Plan } from './planner.ts';
import { applyRepairs, planRepairs, type RepairRecord } from './repair.ts';
import { runPlan, type RunEvent, type StepResult } from './run-plan.ts';
import type { EngineSettings } from './settings.ts';
import type { MigrationSource } from './source.ts';
import { readHistory } from './history.ts';
import type { Migration } from './migration.ts';
import { loadPostgresParser, parsePostgresScript } from './pg-statements.ts';
import { assertPlanParses } from './plan-check.ts';
import { MIGRATION_LOCK, readMigrationState } from './state.ts';
import { verifyDatabase, type VerifyReport } from './verify.ts';

/** Options for `migrate up`. */
export interface UpOptions {
  readonly to?: number | undefined;
  /** Apply migrations that squawk's blocking rules flag: all of them (`true`), or those of the rules named. */
  readonly allowUnsafe?: AllowUnsafe;
  /** Asked before anything is written; a false answer refuses (exit 3). */
  readonly confirm?: ((plan: Plan) => Promise<boolean>) | undefined;
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
  /** Told squawk's findings (warnings, allowed blocking ones) once they pass, before anything runs. */
  readonly onLint?: ((findings: readonly LintFinding[]) => void) | undefined;
  /** Let a repair drop what the configuration turned off (risk-state's optional table). */
  readonly allowDataLoss?: boolean;
  /** Told how long each part of the run took once it ends (the benchmark reports them); nothing is printed. */
  readonly onPhase?: ((phase: UpPhase) => void) | undefined;
}

/**
 * One part of a `migrate up` run and its wall time: `backup` (the SQLite copy and its
 * integrity_check), `migrate` (the plan's steps with their history writes, then repairs) and `verify`
 * (the post-migration checks). Taking the lock, reading the state, planning and linting come before them.
 */
export interface UpPhase {
  readonly phase: 'backup' | 'migrate' | 'verify';
  readonly elapsedMs: number;
}

/** Runs one part of `up`, telling `onPhase` how long it took; without a listener, nothing is timed. */
async function phase<T>(name: UpPhase['phase'], onPhase: UpOptions['onPhase'], work: () => Promise<T>): Promise<T> {
  if (onPhase === undefined) return work();
  const started = performance.now();
  const result = await work();
  onPhase({ phase: name, elapsedMs: performance.now() - started });
  return result;
}

/** What `migrate up` did. */
export interface UpResult {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly StepResult[];
  /** Applied migrations whose invalid (or missing) indexes were built again; their versions stay applied. */
  readonly rebuilt: readonly StepResult[];
  /** The SQLite backup taken first, when there was one. */
  readonly backup: string | null;
  /** What the schema lacked at its version and `up` added, recorded in schema_repairs (src/migrate/repair.ts). */
  readonly repaired: readonly RepairRecord[];
  /** squawk's findings on what was applied: warnings, and blocking findings --allow-unsafe let through. */
  readonly lint: readonly LintFinding[];
  readonly verify: VerifyReport | null;
}

/** squawk's findings on the pending files, and whether they include a syntax error of every pending file (see assertParses). */
interface PendingLint {
  readonly findings: readonly LintFinding[];
  readonly readEverySyntax: boolean;
}

async function lintPending(plan: Plan, allowUnsafe: AllowUnsafe, early: EarlyLint): Promise<PendingLint> {
  try {
    // One squawk run over every pending file, in the order they run (a table created by an earlier
    // one is new to the later ones). A rebuild runs an applied migration's own statement again: it
    // was linted when it was applied.
    const findings = await early.findings(plan.steps.filter((step) => step.rebuild === undefined).map((step) => step.migration));
    return { findings, readEverySyntax: early.readsEverySyntax() };
  } catch (error) {
    // --allow-unsafe alone applies whatever squawk would say, so a machine without squawk can still apply.
    if (allowUnsafe === true && isTradeledgerError(error) && error.code === 'SQUAWK_MISSING') return { findings: [], readEverySyntax: false };
    throw error;
  }
}

/**
 * The migrations an `up` will probably apply, read without the lock: squawk starts on them while
 * the lock is taken and the plan made under it. A guess only: the plan decides, and a pending
 * migration the guess missed is linted then (EarlyLint.findings).
 */
async function probablyPending(db: Database, source: MigrationSource, settings: EngineSettings, to: number | undefined): Promise<Migration[]> {
  let applied = new Set<number>();
  try {
    const history = await readHistory(db, settings.plan.historyTable);
    applied = new Set(history.rows.filter((row) => row.success).map((row) => row.version));
  } catch {
    // The plan under the lock reads it again and reports what is wrong.
  }
  return source.migrations.filter((migration) => !applied.has(migration.version) && (to === undefined || migration.version <= to));
}

/**
 * A plain transactional file is planned unparsed (see mayNeedNoTransaction). When squawk finds a
 * syntax error in a pending file, PostgreSQL's own parser reads it, and its refusal (exit 2, with
 * the line) comes before anything runs, as when every file was parsed. When PostgreSQL's parser
 * accepts the file, squawk's finding stays and blocks as an unknown rule does. When squawk did not
 * read every file's syntax (not installed under --allow-unsafe, or a `.squawk.toml` that may
 * exclude a file or the rule), every unparsed section is parsed, as `migrate plan` does.
 */
async function assertParses(plan: Plan, lint: PendingLint, dialect: Database['dialect']): Promise<void> {
  if (!lint.readEverySyntax) return assertPlanParses(plan, dialect);
  const flagged = new Set(lint.findings.filter((finding) => finding.rule === 'syntax-error').map((finding) => finding.fileName));
  if (flagged.size === 0) return;
  await loadPostgresParser();
  for (const step of plan.steps) {
    if (step.direction === 'up' && flagged.has(step.migration.fileName)) parsePostgresScript(step.migration.up, sectionOrigin(step.migration, 'up'));
  }
}

/** Refuses (exit 3) when a blocking finding is not let through by --allow-unsafe; warnings never refuse. */
function assertLintAllows(lint: readonly LintFinding[], allowUnsafe: AllowUnsafe): void {
  const blocked = lint.filter((finding) => finding.severity === 'blocking' && !isAllowed(allowUnsafe, finding.rule));
  if (blocked.length === 0) return;
  const first = blocked[0]!;
  const rules = [...new Set(blocked.map((finding) => finding.rule))].join(',');
  const warnings = lint.filter((finding) => finding.severity === 'warning').map((finding) => `warning: ${formatFinding(finding)}`);
  throw new SafetyError(
    `squawk: ${first.fileName} line ${first.line} (${first.rule}): ${first.message} — fix the migration, or pass --allow-unsafe ${rules} to apply it anyway${blocked.length > 1 ? ` (${blocked.length} blocking findings, listed below)` : ''}`,
    'UNSAFE_MIGRATION',
    [...blocked.map((finding) => `blocks: ${formatFinding(finding)}`), ...warnings],
  );
}

/**
 * Applies pending migrations under the migration lock: lint (PostgreSQL), confirm, back up
 * (SQLite files), run, verify. Killed halfway: see `runPlan`; the lock goes with the process.
 */
export async function migrateUp(db: Database, source: MigrationSource, settings: EngineSettings, options: UpOptions = {}): Promise<UpResult> {
  let early: Promise<EarlyLint> | null = null;
  if (db.dialect === 'postgres') {
    // Both overlap taking the lock: the parser the plan needs (when it parses), and squawk over the
    // likely pending files. The guess needs a second session (PGlite has one, which the locked work may be using).
    if (source.migrations.some(planningParses)) loadPostgresParser().catch(() => undefined);
    early = db.capabilities.concurrentSessions
      ? probablyPending(db, source, settings, options.to).then((migrations) => EarlyLint.start(migrations))
      : Promise.resolve(EarlyLint.start([]));
  }
  try {
    return await lockedUp(db, source, settings, options, early);
  } finally {
    // Waits for squawk and its temporary files; an early run that failed never hides the outcome of the locked one.
    await (await early?.catch(() => null))?.settled();
  }
}

function lockedUp(db: Database, source: MigrationSource, settings: EngineSettings, options: UpOptions, early: Promise<EarlyLint> | null): Promise<UpResult> {
  return db.withLock(MIGRATION_LOCK, { waitMs: settings.lockWaitMs }, async () => {
    // The guess's read (a few ms) holds the pool's connection: reading the state after it keeps
    // that connection busy, where reading beside it would open another, which takes longer.
    await early?.catch(() => null);
    const state = await readMigrationState(db, source, settings.plan);
    assertConsistent(state.status, source.label);
    const plan = planUp(state.status, state.context, options.to);
    const repairNow = plan.steps.length === 0 ? await planRepairs(db, source, plan.to, settings.packOptions, options.allowDataLoss === true) : [];
    if (plan.steps.length === 0 && repairNow.length === 0)
      return { from: plan.from, to: plan.to, applied: [], rebuilt: [], repaired: [], backup: null, lint: [], verify: null };
    const allowUnsafe = options.allowUnsafe ?? false;
    const pending = early === null ? { findings: [], readEverySyntax: true } : await lintPending(plan, allowUnsafe, await early);
    await assertParses(plan, pending, db.dialect);
    const lint = pending.findings;
    assertLintAllows(lint, allowUnsafe);
    if (lint.length > 0) options.onLint?.(lint);
    if (options.confirm !== undefined && !(await options.confirm(plan))) {
      throw new SafetyError('migration not confirmed; nothing was applied', 'NOT_CONFIRMED');
    }
    const file = db.file;
    const backup =
      file !== undefined && settings.createBackup ? await phase('backup', options.onPhase, () => backupBeforeMigration(file, plan.to, settings.backup)) : null;
    const { results, repaired } = await phase('migrate', options.onPhase, async () => {
      const results = await runPlan(db, plan, settings.retry, options.onEvent);
      const repairs = plan.steps.length === 0 ? repairNow : await planRepairs(db, source, plan.to, settings.packOptions, options.allowDataLoss === true);
      return { results, repaired: await applyRepairs(db, repairs, plan.to, settings.plan.appliedBy) };
    });
    const applied = results.filter((result) => result.rebuilt === undefined);
    const rebuilt = results.filter((result) => result.rebuilt !== undefined);
    let verify: VerifyReport | null = null;
    if (settings.verifyAfter && source.verify !== undefined) {
      verify = await phase('verify', options.onPhase, () => verifyDatabase(db, source, settings.packOptions, settings.plan.historyTable));
      if (!verify.ok) {
        const failed = verify.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`);
        const restore = backup === null ? '' : `; to go back, run 'tradeledger migrate restore ${backup}'`;
        throw new CheckFailedError(`migrated to version ${plan.to} but verification failed: ${failed.join('; ')}${restore}`, 'VERIFY_FAILED', failed);
      }
    }
    return { from: plan.from, to: plan.to, applied, rebuilt, repaired, backup, lint, verify };
  });
}
