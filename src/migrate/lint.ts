import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { canonicalRule, isLockRule, RULES_THE_RUNNER_SATISFIES, severityOf } from './lint-policy.ts';
import type { Migration } from './migration.ts';
import { loadPostgresParser, parsePostgresScript } from './pg-statements.ts';
import { statementTables, TablesCreated } from './run-tables.ts';

export { RULES_THE_RUNNER_SATISFIES } from './lint-policy.ts';

/** One squawk finding, with the line in the migration file. */
export interface LintFinding {
  readonly version: number;
  readonly fileName: string;
  /** 1-based line in the migration file. */
  readonly line: number;
  readonly rule: string;
  /** squawk's own level (`Warning`, `Error`). */
  readonly level: string;
  /** Ours: `blocking` stops `migrate up` (unless --allow-unsafe lets the rule through); `warning` is only printed. */
  readonly severity: 'blocking' | 'warning';
  readonly message: string;
  readonly help: string | null;
}

/** Where squawk's settings come from, besides ours, and what the files are linted as. */
export interface LintOptions {
  /** The folder to look for `.squawk.toml` from, upwards, as squawk itself does (default: the working directory). */
  readonly cwd?: string;
  /**
   * `true` (up): the files run together, in this order, so a table one creates is new to the later
   * ones. `false` (migrate lint over a folder): each file on its own, since an earlier file may
   * have been applied long ago and its tables be busy now.
   */
  readonly oneRun?: boolean;
}

/**
 * The squawk binary: the platform package squawk-cli ships (`@squawk-cli/<os>-<cpu>`). We depend on
 * the one for the machines we run on; elsewhere `npm install squawk-cli` brings the right one.
 */
export function squawkBinary(): string {
  const require = createRequire(import.meta.url);
  const name = process.platform === 'win32' ? 'squawk.exe' : 'squawk';
  try {
    return require.resolve(`@squawk-cli/${process.platform}-${process.arch}/bin/${name}`);
  } catch {
    throw new UsageError(
      `squawk has no binary installed for ${process.platform}-${process.arch}: run 'npm install squawk-cli' to lint, or pass --allow-unsafe to apply without linting`,
      'SQUAWK_MISSING',
    );
  }
}

/** The `.squawk.toml` squawk would use from `cwd`: the nearest one in it or a folder above it. */
export function findSquawkConfig(cwd: string): string | null {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, '.squawk.toml');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

interface SquawkJsonRow {
  readonly file: string;
  readonly line: number;
  readonly level: string;
  readonly message: string;
  readonly help: string | null;
  readonly rule_name: string;
}

/** The comment squawk reads as "this file is not wrapped in a transaction", whatever --assume-in-transaction says. */
const NOT_IN_TRANSACTION = '-- squawk-disable-assume-in-transaction';

/**
 * The file squawk reads for a migration: its up section at the lines it has in the migration file
 * (squawk's lines are then the file's), the down section left out, and the no-transaction marker
 * on the first line for a `-- migrate:no-transaction` file.
 */
function squawkText(migration: Migration): string {
  const padding = Array.from({ length: migration.upLine - 1 }, () => '');
  if (!migration.transactional) padding[0] = NOT_IN_TRANSACTION;
  return `${[...padding, migration.up].join('\n')}\n`;
}

function runSquawk(dir: string, files: readonly string[], config: string | null): Promise<SquawkJsonRow[]> {
  // No --exclude or --include: they would replace .squawk.toml's excluded_rules and included_rules.
  // We know which files run in a transaction, so that is ours (the marker above, and this flag).
  const args = ['--reporter', 'json', '--assume-in-transaction', ...(config === null ? [] : ['--config', config]), ...files];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(squawkBinary(), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // squawk exits 1 when it found something; its JSON is on stdout either way.
      const text = stdout.trim();
      if (text.startsWith('[')) {
        resolvePromise(JSON.parse(text) as SquawkJsonRow[]);
      } else if (code === 0) {
        resolvePromise([]);
      } else if (/configuration error/i.test(stderr)) {
        reject(new UsageError(`squawk cannot use ${config}: ${stderr.trim()} — fix that file`, 'SQUAWK_CONFIG'));
      } else {
        reject(new Error(`squawk failed (exit ${code}): ${stderr.trim() || text}`));
      }
    });
  });
}

/**
 * The statements of each migration (in run order) that a lock rule need not guard: those on a table
 * created earlier in the same run, which nobody else can be using yet. Keyed by file, then 1-based line.
 */
function exemptLines(migrations: readonly Migration[], oneRun: boolean): Map<string, Set<number>> {
  let created = new TablesCreated();
  const exempt = new Map<string, Set<number>>();
  for (const migration of migrations) {
    if (!oneRun) created = new TablesCreated();
    const lines = new Set<number>();
    const statements = parsePostgresScript(migration.up, { fileName: migration.fileName, line: migration.upLine });
    let previousEnd = -1;
    for (const statement of statements) {
      const tables = statementTables(statement);
      if (tables.length > 0 && tables.every((table) => created.has(table))) {
        // The comments above a statement belong to it: squawk may point at any of its lines.
        for (let line = previousEnd + 1; line <= statement.lastLine; line++) lines.add(migration.upLine + line);
      }
      created.record(statement);
      previousEnd = statement.lastLine;
    }
    exempt.set(migration.fileName, lines);
  }
  return exempt;
}

/** The most SQL (bytes) squawk's files may hold in a memory folder. */
export const MEMORY_SCRATCH_LIMIT = 4 * 1024 * 1024;

/**
 * Where squawk's files go: a memory-backed folder when there is one (XDG_RUNTIME_DIR, /dev/shm),
 * since they are read once and deleted, and creating a hundred files on a busy disk's journal took
 * ~100 ms where memory took ~3 ms; TMPDIR, when set, is honoured as the user's choice. Above
 * MEMORY_SCRATCH_LIMIT bytes of SQL the disk is used: /dev/shm is often small (64 MB in Docker).
 */
export function squawkScratchRoot(env: NodeJS.ProcessEnv = process.env, bytes = 0): string {
  if ((env['TMPDIR'] === undefined || env['TMPDIR'] === '') && bytes <= MEMORY_SCRATCH_LIMIT) {
    for (const candidate of [env['XDG_RUNTIME_DIR'], process.platform === 'linux' ? '/dev/shm' : undefined]) {
      if (candidate === undefined || candidate === '') continue;
      try {
        if (!statSync(candidate).isDirectory()) continue;
        accessSync(candidate, constants.W_OK | constants.X_OK);
        return candidate;
      } catch {
        // Missing or not ours to write: the next one.
      }
    }
  }
  return tmpdir();
}

/** squawk's rows for the up sections of `migrations`, from one run over temporary files. */
async function squawkRows(migrations: readonly Migration[], cwd: string): Promise<SquawkJsonRow[]> {
  const texts = migrations.map((migration) => squawkText(migration));
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const dir = await mkdtemp(join(squawkScratchRoot(process.env, bytes), 'tradeledger-squawk-'));
  try {
    // Named as the migrations are, so that .squawk.toml's excluded_paths patterns match their names.
    await Promise.all(migrations.map((migration, i) => writeFile(join(dir, migration.fileName), texts[i]!)));
    return await runSquawk(
      dir,
      migrations.map((migration) => migration.fileName),
      findSquawkConfig(cwd),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * squawk's rows as findings for `migrations` (in run order); rows for files not among them are
 * skipped. The same-run exemption is computed over `migrations` only, and only when a lock rule
 * was reported: it parses every script, which costs a parser load and V8 compiling it further.
 */
async function findingsFrom(rows: readonly SquawkJsonRow[], migrations: readonly Migration[], oneRun: boolean): Promise<LintFinding[]> {
  const byName = new Map(migrations.map((migration) => [migration.fileName, migration]));
  const kept = rows.filter((row) => byName.has(row.file) && !RULES_THE_RUNNER_SATISFIES.includes(canonicalRule(row.rule_name)));
  let exempt = new Map<string, Set<number>>();
  if (kept.some((row) => isLockRule(canonicalRule(row.rule_name)))) {
    await loadPostgresParser();
    exempt = exemptLines(migrations, oneRun);
  }
  const findings: LintFinding[] = [];
  for (const row of kept) {
    const migration = byName.get(row.file)!;
    const rule = canonicalRule(row.rule_name);
    const line = row.line + 1;
    if (isLockRule(rule) && exempt.get(migration.fileName)?.has(line) === true) continue;
    findings.push({
      version: migration.version,
      fileName: migration.fileName,
      line,
      rule,
      level: row.level,
      severity: severityOf(rule),
      message: row.message,
      help: row.help,
    });
  }
  return findings.sort((a, b) => a.version - b.version || a.line - b.line);
}

function checkReported(rows: readonly SquawkJsonRow[], migrations: readonly Migration[]): SquawkJsonRow[] {
  const names = new Set(migrations.map((migration) => migration.fileName));
  for (const row of rows) if (!names.has(row.file)) throw new Error(`squawk reported a file it was not given: ${row.file}`);
  return [...rows];
}

/**
 * Runs squawk once over the up sections of `migrations`, given in the order they run. Lock rules
 * do not flag statements on a table created earlier in the same run (see `oneRun`); the runner's own timeout
 * rules are dropped; `.squawk.toml` (found as squawk finds it) keeps its excluded and included rules
 * and pg_version. Each finding says whether it blocks (see lint-policy.ts).
 */
export async function lintMigrations(migrations: readonly Migration[], options: LintOptions = {}): Promise<LintFinding[]> {
  if (migrations.length === 0) return [];
  squawkBinary(); // a missing binary is said before anything else is done
  const rows = checkReported(await squawkRows(migrations, options.cwd ?? process.cwd()), migrations);
  return findingsFrom(rows, migrations, options.oneRun ?? true);
}

/**
 * squawk started over migrations that are probably pending, before the migration lock is taken and
 * the plan is made, so that it runs while the process connects and reads the history. A file's rows
 * do not depend on the other files given; what does (the same-run exemption) is computed when the
 * pending migrations are known. Its failure is kept for `findings` (never an unhandled rejection).
 */
export class EarlyLint {
  private readonly covered: ReadonlySet<Migration>;
  private readonly rows: Promise<SquawkJsonRow[]>;
  private readonly cwd: string;

  private constructor(migrations: readonly Migration[], cwd: string) {
    this.covered = new Set(migrations);
    this.cwd = cwd;
    this.rows = (async () => {
      if (migrations.length === 0) return [];
      squawkBinary();
      return checkReported(await squawkRows(migrations, cwd), migrations);
    })();
    this.rows.catch(() => undefined);
  }

  /** Starts squawk over `migrations` (none: nothing is started). */
  static start(migrations: readonly Migration[], options: Pick<LintOptions, 'cwd'> = {}): EarlyLint {
    return new EarlyLint(migrations, options.cwd ?? process.cwd());
  }

  /**
   * The findings `lintMigrations(pending)` gives, from this run when it covered every pending
   * migration (the same objects), else from a run of its own over `pending`.
   */
  async findings(pending: readonly Migration[]): Promise<LintFinding[]> {
    if (pending.length === 0) return [];
    if (!pending.every((migration) => this.covered.has(migration))) {
      await this.settled();
      return lintMigrations(pending, { cwd: this.cwd });
    }
    return findingsFrom(await this.rows, pending, true);
  }

  /**
   * True when squawk reports a syntax error in every file it is given: no `.squawk.toml` applies,
   * which could exclude a file (excluded_paths) or the syntax-error rule itself.
   */
  readsEverySyntax(): boolean {
    return findSquawkConfig(this.cwd) === null;
  }

  /** Resolves once the run has ended, however it ended (its temporary files are gone by then). */
  async settled(): Promise<void> {
    await this.rows.catch(() => undefined);
  }
}

/** One line per finding: `file:line rule: message (help)`. */
export function formatFinding(finding: LintFinding): string {
  const help = finding.help === null ? '' : ` (${finding.help})`;
  return `${finding.fileName}:${finding.line} ${finding.rule}: ${finding.message}${help}`;
}
