import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.ts';
import type { Migration } from './migration.ts';

/** One squawk finding, with the line in the migration file. */
export interface LintFinding {
  readonly version: number;
  readonly fileName: string;
  /** 1-based line in the migration file. */
  readonly line: number;
  readonly rule: string;
  readonly level: string;
  readonly message: string;
  readonly help: string | null;
}

/**
 * Rules the runner already satisfies: it sets lock_timeout and statement_timeout itself before
 * every migration, so asking each file to set them would only add noise.
 */
export const RULES_THE_RUNNER_SATISFIES = ['require-lock-timeout', 'require-statement-timeout'] as const;

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

interface SquawkJsonRow {
  readonly line: number;
  readonly level: string;
  readonly message: string;
  readonly help: string | null;
  readonly rule_name: string;
}

function runSquawk(sql: string, fileName: string, inTransaction: boolean): Promise<SquawkJsonRow[]> {
  const args = ['--reporter', 'json', '--stdin-filepath', fileName];
  for (const rule of RULES_THE_RUNNER_SATISFIES) args.push('--exclude', rule);
  if (inTransaction) args.push('--assume-in-transaction');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(squawkBinary(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
      } else {
        reject(new Error(`squawk failed on ${fileName} (exit ${code}): ${stderr.trim() || text}`));
      }
    });
    child.stdin.end(sql);
  });
}

/** Runs squawk on each migration's up section; line numbers point into the migration file. */
export async function lintMigrations(migrations: readonly Migration[]): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  for (const migration of migrations) {
    const rows = await runSquawk(migration.up, migration.fileName, migration.transactional);
    for (const row of rows) {
      findings.push({
        version: migration.version,
        fileName: migration.fileName,
        line: migration.upLine + row.line,
        rule: row.rule_name,
        level: row.level,
        message: row.message,
        help: row.help,
      });
    }
  }
  return findings;
}

/** One line per finding: `file:line rule: message (help)`. */
export function formatFinding(finding: LintFinding): string {
  const help = finding.help === null ? '' : ` (${finding.help})`;
  return `${finding.fileName}:${finding.line} ${finding.rule}: ${finding.message}${help}`;
}
