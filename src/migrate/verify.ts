import type { Database } from '../db/port.ts';
import { integrityOf } from '../db/sqlite-integrity.ts';
import { errorMessage } from '../errors.ts';
import { readHistory } from './history.ts';
import type { MigrationSource } from './source.ts';
import { findIndexRebuilds } from './state.ts';
import { computeStatus, describeSource } from './status.ts';

/** One verification check and what it found. */
export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The result of `migrate verify`. */
export interface VerifyReport {
  readonly version: number;
  readonly ok: boolean;
  readonly checks: readonly VerifyCheck[];
}

/**
 * Checks the history against the source (nothing failed, drifted or unknown, no index of an applied
 * migration invalid or missing after an interrupted rebuild), runs
 * `PRAGMA integrity_check` on SQLite, then the pack's own checks of what the schema must hold.
 */
export async function verifyDatabase(
  db: Database,
  source: MigrationSource,
  options: Readonly<Record<string, string | boolean>>,
  historyTable?: string,
): Promise<VerifyReport> {
  const history = await readHistory(db, historyTable);
  const status = computeStatus(source.migrations, history.rows, source.label);
  const checks: VerifyCheck[] = [];
  const problems = [
    ...status.failed.map((row) => `version ${row.version} failed: ${row.errorMessage ?? 'no message'}`),
    ...status.drifted.map((d) => `version ${d.migration.version} edited after it was applied`),
    ...status.otherSource.map((d) => `version ${d.migration.version} applied from ${describeSource(d.row.source!)}`),
    ...status.unknown.map((row) => `version ${row.version} applied but not in ${source.label}`),
    ...(await findIndexRebuilds(db, source.migrations, history.rows)).map(
      (rebuild) => `index ${rebuild.index} of version ${rebuild.migration.version} is ${rebuild.state}: \`migrate up\` builds it again`,
    ),
  ];
  checks.push({
    name: 'history',
    ok: problems.length === 0,
    detail: problems.length === 0 ? `at version ${status.current} of ${status.latest}, ${status.pending.length} pending` : problems.join('; '),
  });
  // Its result goes to the pack's checks too: on a big file it is most of a verify's time (a second
  // run doubled the post-migration verify of a 1 M-row risk-state file, issue 16).
  let integrity: string | undefined;
  if (db.dialect === 'sqlite') {
    integrity = await integrityOf(db);
    checks.push({
      name: 'integrity_check',
      ok: integrity === 'ok',
      detail: integrity === 'ok' ? integrity : `${integrity}: restore a backup (tradeledger migrate restore) or recover it with sqlite3's .recover`,
    });
  }
  if (source.verify !== undefined) {
    let failures: readonly string[];
    try {
      failures = await source.verify(db, { version: status.current, options, ...(integrity === undefined ? {} : { integrity }) });
    } catch (error) {
      failures = [`the checks could not run: ${errorMessage(error)}`];
    }
    checks.push({
      name: `${source.label} checks`,
      ok: failures.length === 0,
      detail: failures.length === 0 ? 'schema matches the specification' : failures.join('; '),
    });
  }
  return { version: status.current, ok: checks.every((check) => check.ok), checks };
}
