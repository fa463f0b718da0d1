// Pure unit tests of the planner: status against history, and the steps up and down take.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SafetyError, UsageError } from '../../src/errors.ts';
import type { HistoryRow } from '../../src/migrate/history.ts';
import { parseMigration, type Migration } from '../../src/migrate/migration.ts';
import { loadPostgresParser } from '../../src/migrate/pg-statements.ts';
import { assertConsistent, planDown, planUp, renderPlan } from '../../src/migrate/planner.ts';
import { computeStatus } from '../../src/migrate/status.ts';
import { planContext as context } from '../helpers/migrations.ts';

// The planner splits PostgreSQL sections with PostgreSQL's parser, which the CLI loads before planning.
before(() => loadPostgresParser());

function migration(version: number, body = `CREATE TABLE t${version} (id INT);`, options: { down?: string | null; directives?: string } = {}): Migration {
  const down = options.down === undefined ? `DROP TABLE t${version};` : options.down;
  const text = `${options.directives ?? ''}-- migrate:up\n${body}\n${down === null ? '' : `-- migrate:down\n${down}\n`}`;
  return parseMigration(`${String(version).padStart(3, '0')}_step_${version}.sql`, text);
}

function row(m: Migration | number, overrides: Partial<HistoryRow> = {}): HistoryRow {
  const version = typeof m === 'number' ? m : m.version;
  return {
    version,
    appliedAt: '2026-01-01T00:00:00.000Z',
    description: `step ${version}`,
    migrationScript: typeof m === 'number' ? `${version}.sql` : m.fileName,
    rollbackScript: null,
    executionTimeMs: 3,
    success: true,
    errorMessage: null,
    checksum: typeof m === 'number' ? 'f'.repeat(64) : m.checksum,
    appliedBy: 'tester@host',
    ...overrides,
  };
}

/** Asserts that `fn` throws `type` with `code` and a message matching `pattern`. */
function throwsCode(fn: () => unknown, type: typeof UsageError | typeof SafetyError, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

/** Asserts the pieces appear in `text` in this order. */
function inOrder(text: string, pieces: readonly string[]): void {
  let at = -1;
  for (const piece of pieces) {
    const next = text.indexOf(piece, at + 1);
    assert.ok(next > at, `'${piece}' after position ${at} in:\n${text}`);
    at = next;
  }
}

const [m1, m2, m3] = [migration(1), migration(2), migration(3)];
const ALL = [m1, m2, m3];

describe('computeStatus', () => {
  it('with no history everything is pending', () => {
    const s = computeStatus(ALL, []);
    assert.deepEqual([s.current, s.latest], [0, 3]);
    assert.deepEqual(
      s.pending.map((m) => m.version),
      [1, 2, 3],
    );
    assert.deepEqual([s.applied, s.failed, s.drifted, s.unknown, s.outOfOrder], [[], [], [], [], []]);
    assert.equal(computeStatus([], []).latest, 0);
  });

  it('a failed row is pending and failed, and does not raise the current version', () => {
    const failed = row(m3, { success: false, errorMessage: 'boom' });
    const s = computeStatus(ALL, [row(m1), row(m2), failed]);
    assert.equal(s.current, 2);
    assert.deepEqual(
      s.pending.map((m) => m.version),
      [3],
    );
    assert.deepEqual(s.failed, [failed]);
    assert.deepEqual(
      s.applied.map((r) => r.version),
      [1, 2],
    );
  });

  it('an applied file whose checksum changed is drifted; a row without a checksum is not', () => {
    const s = computeStatus(ALL, [row(m1, { checksum: 'a'.repeat(64) }), row(m2, { checksum: null })]);
    assert.deepEqual(
      s.drifted.map((d) => [d.migration.version, d.row.checksum]),
      [[1, 'a'.repeat(64)]],
    );
    assert.equal(s.current, 2);
  });

  it('an applied version the source lacks is unknown; a pending one below the current version is out of order', () => {
    const s = computeStatus([m1, m2], [row(m1), row(9)]);
    assert.deepEqual(
      s.unknown.map((r) => r.version),
      [9],
    );
    assert.equal(s.current, 9);
    assert.deepEqual(
      s.outOfOrder.map((m) => m.version),
      [2],
    );

    const gap = computeStatus(ALL, [row(m1), row(m3)]);
    assert.deepEqual(
      gap.pending.map((m) => m.version),
      [2],
    );
    assert.deepEqual(
      gap.outOfOrder.map((m) => m.version),
      [2],
    );
    assert.deepEqual(gap.unknown, []);
  });

  it('assertConsistent refuses drift and unknown versions (exit 3) and a backwards version (exit 2)', () => {
    throwsCode(
      () => assertConsistent(computeStatus(ALL, [row(m1, { checksum: 'a'.repeat(64) })]), 'dir:x'),
      SafetyError,
      'DRIFT',
      /migration 1 \(001_step_1\.sql\) was edited after it was applied/,
    );
    throwsCode(
      () => assertConsistent(computeStatus([m1], [row(m1), row(7)]), 'dir:x'),
      SafetyError,
      'UNKNOWN_VERSION',
      /version\(s\) 7 that dir:x does not have/,
    );
    throwsCode(
      () => assertConsistent(computeStatus(ALL, [row(m1), row(m3)]), 'dir:x'),
      UsageError,
      'VERSION_BACKWARDS',
      /002_step_2\.sql has version 2, below the applied version 3/,
    );
    assert.doesNotThrow(() => assertConsistent(computeStatus(ALL, [row(m1)]), 'dir:x'));
  });
});

describe('planUp', () => {
  it('plans every pending migration in one transaction each, with the history written inside it', () => {
    const plan = planUp(computeStatus(ALL, []), context('postgres', { historyExists: false }));
    assert.deepEqual([plan.from, plan.to], [0, 3]);
    assert.deepEqual(
      plan.steps.map((s) => [s.migration.version, s.kind, s.direction]),
      [
        [1, 'transaction', 'up'],
        [2, 'transaction', 'up'],
        [3, 'transaction', 'up'],
      ],
    );
    const [first, second] = plan.steps.map((s) => s.chunks.map((c) => c.sql).join('\n'));
    inOrder(first!, [
      '-- tradeledger: up 001 step 1 (001_step_1.sql)',
      'BEGIN;',
      "SET LOCAL lock_timeout = '2000ms';",
      "SET LOCAL statement_timeout = '600000ms';",
      'CREATE TABLE IF NOT EXISTS schema_version',
      'INSERT INTO schema_version',
      'CREATE TABLE t1 (id INT);',
      'UPDATE schema_version SET execution_time_ms',
      'WHERE version = 1;',
      'COMMIT;',
    ]);
    assert.ok(!second!.includes('CREATE TABLE IF NOT EXISTS schema_version'), 'the history table is created by the first step only');
    assert.deepEqual(plan.steps[0]!.cleanup, ['ROLLBACK']);
    assert.equal(renderPlan(plan), plan.steps.flatMap((s) => s.chunks.map((c) => c.sql)).join('\n'));
  });

  it('on SQLite begins IMMEDIATE and sets no PostgreSQL timeouts', () => {
    const sql = renderPlan(planUp(computeStatus([m1], []), context('sqlite', { historyExists: false })));
    inOrder(sql, ['BEGIN IMMEDIATE;', 'CREATE TABLE IF NOT EXISTS schema_version', "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", 'CREATE TABLE t1', 'COMMIT;']);
    assert.doesNotMatch(sql, /lock_timeout|statement_timeout|SET LOCAL/);
  });

  it('ends a last statement that lacks a semicolon, so the history line does not join it', () => {
    const sql = renderPlan(planUp(computeStatus([migration(1, 'CREATE TABLE t1 (id INT) -- no semicolon')], []), context('postgres')));
    assert.match(sql, /CREATE TABLE t1 \(id INT\) -- no semicolon\n;\nUPDATE schema_version/);
  });

  it('stops at --to, and says where it ends', () => {
    const status = computeStatus(ALL, [row(m1)]);
    const plan = planUp(status, context('postgres'), 2);
    assert.deepEqual([plan.from, plan.to, plan.steps.map((s) => s.migration.version)], [1, 2, [2]]);
    const done = planUp(computeStatus(ALL, [row(m1), row(m2), row(m3)]), context('postgres'));
    assert.deepEqual([done.from, done.to, done.steps], [3, 3, []]);
    assert.deepEqual(planUp(status, context('postgres'), 1).steps, [], '--to the current version is nothing to do');
  });

  it('ends at the highest version it applies when --to falls between versions', () => {
    const sparse = [migration(1), migration(5), migration(10)];
    const plan = planUp(computeStatus(sparse, [row(sparse[0]!)]), context('postgres'), 7);
    assert.deepEqual(
      plan.steps.map((s) => s.migration.version),
      [5],
    );
    assert.equal(plan.to, 5, 'the database will be at 5, not 7');
  });

  it('refuses a --to below the current version or above the latest', () => {
    const status = computeStatus(ALL, [row(m1), row(m2)]);
    throwsCode(() => planUp(status, context('postgres'), 1), UsageError, 'BAD_TARGET', /--to 1 is below the current version 2: use 'migrate down --to 1'/);
    throwsCode(() => planUp(status, context('postgres'), 4), UsageError, 'BAD_TARGET', /--to 4 is above the latest version 3/);
  });

  it('runs -- migrate:no-transaction on SQLite statement by statement, and refuses -- migrate:disable-foreign-keys on PostgreSQL', () => {
    const noTx = migration(1, 'CREATE TABLE t1 (id INT);', { directives: '-- migrate:no-transaction\n' });
    const noFk = migration(1, 'CREATE TABLE t1 (id INT);', { directives: '-- migrate:disable-foreign-keys\n' });
    const steps = planUp(computeStatus([noTx], []), context('sqlite')).steps;
    assert.equal(steps[0]!.kind, 'statements');
    assert.deepEqual(
      steps[0]!.chunks.map((chunk) => chunk.sql.split('\n').at(-1)),
      ['COMMIT;', 'CREATE TABLE t1 (id INT);', steps[0]!.chunks.at(-1)!.sql],
    );
    throwsCode(
      () => planUp(computeStatus([noFk], []), context('postgres')),
      UsageError,
      'MIGRATION_FORMAT',
      /001_step_1\.sql: '-- migrate:disable-foreign-keys' is for SQLite only/,
    );
  });

  it('on SQLite, disable-foreign-keys switches them off around the transaction and checks before the commit', () => {
    const m = migration(1, 'CREATE TABLE t1 (id INT);', { directives: '-- migrate:disable-foreign-keys\n' });
    const [step] = planUp(computeStatus([m], []), context('sqlite')).steps;
    const lastLines = step!.chunks.map((c) => c.sql.split('\n').at(-1)!);
    assert.deepEqual(
      lastLines.map((line, i) => (i === 1 ? line.replace(/^UPDATE schema_version SET .* WHERE version = 1;$/, 'finish') : line)),
      ['PRAGMA foreign_keys = OFF;', 'finish', 'PRAGMA foreign_key_check;', 'COMMIT;', 'PRAGMA foreign_keys = ON;'],
    );
    assert.deepEqual(
      step!.chunks.map((c) => c.expectNoRows === true),
      [false, false, true, false, false],
    );
    assert.ok(!step!.chunks[1]!.sql.includes('COMMIT'), 'the commit waits for the foreign key check');
    assert.match(step!.chunks[1]!.sql, /^-- tradeledger: up 001[^\n]*\nBEGIN IMMEDIATE;/);
    assert.deepEqual(step!.cleanup, ['ROLLBACK', 'PRAGMA foreign_keys = ON']);
  });

  it('runs a no-transaction migration statement by statement, dropping only the indexes left invalid', () => {
    const body = [
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON fills (a);',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_b ON fills (b);',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Idx_C" ON fills (c);',
    ].join('\n');
    const m = migration(1, body, { directives: '-- migrate:no-transaction\n', down: 'DROP INDEX CONCURRENTLY IF EXISTS idx_a;' });
    const clean = planUp(computeStatus([m], []), context('postgres')).steps[0]!;
    assert.equal(clean.kind, 'statements');
    assert.deepEqual(
      clean.chunks.slice(1, -1).map((c) => c.sql),
      body.split('\n'),
    );
    inOrder(clean.chunks[0]!.sql, [
      "SET lock_timeout = '2000ms';",
      "SET statement_timeout = '600000ms';",
      'INSERT INTO schema_version',
      "FALSE, 'in progress: no-transaction migration started",
    ]);
    assert.doesNotMatch(clean.chunks[0]!.sql, /BEGIN|SET LOCAL/);
    inOrder(clean.chunks.at(-1)!.sql, ['UPDATE schema_version SET', 'RESET lock_timeout;', 'RESET statement_timeout;']);
    assert.ok(!renderPlan({ steps: [clean] }).includes('DROP INDEX'));

    const crashed = planUp(computeStatus([m], [row(m, { success: false })]), context('postgres', { invalidIndexes: new Set(['idx_b', 'Idx_C']) })).steps[0]!;
    assert.deepEqual(
      crashed.chunks.slice(1, -1).map((c) => c.sql),
      [
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON fills (a);',
        'DROP INDEX CONCURRENTLY IF EXISTS idx_b;',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_b ON fills (b);',
        'DROP INDEX CONCURRENTLY IF EXISTS "Idx_C";',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Idx_C" ON fills (c);',
      ],
    );
  });

  it('marks each CREATE INDEX CONCURRENTLY for the runner and records the version only after checking its indexes are valid', () => {
    const body = [
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON fills (a);',
      'CREATE TABLE notes (id INT);',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Idx_C" ON fills (c);',
    ].join('\n');
    const m = migration(1, body, { directives: '-- migrate:no-transaction\n', down: 'DROP INDEX CONCURRENTLY IF EXISTS idx_a;' });
    const step = planUp(computeStatus([m], []), context('postgres')).steps[0]!;
    assert.deepEqual(
      step.chunks.map((c) => c.buildsIndex ?? null),
      [null, 'idx_a', null, '"Idx_C"', null],
    );
    const closing = step.chunks.at(-1)!.sql;
    inOrder(closing, [
      'DO $tradeledger$',
      "unnest(ARRAY['idx_a', '\"Idx_C\"'])",
      'WHERE NOT i.indisvalid;',
      "RAISE EXCEPTION 'index % not valid after CREATE INDEX CONCURRENTLY",
      'version 1 is not recorded as applied',
      "USING ERRCODE = '55000'",
      '$tradeledger$;',
      'UPDATE schema_version SET execution_time_ms',
      'RESET lock_timeout;',
    ]);
    // A migration may drop or rename an index it built: only an invalid one stops it, not a missing one.
    assert.doesNotMatch(closing, /LEFT JOIN/);
    const down = planDown(computeStatus([m], [row(m)]), [m], context('postgres'), {}).steps[0]!;
    assert.doesNotMatch(renderPlan({ steps: [down] }), /DO \$tradeledger\$/);
    assert.ok(down.chunks.every((c) => c.buildsIndex === undefined));
    const plain = planUp(computeStatus([migration(1, 'CREATE TABLE t1 (id INT);', { directives: '-- migrate:no-transaction\n' })], []), context('postgres'));
    assert.doesNotMatch(renderPlan(plain), /DO \$tradeledger\$/, 'no check without a concurrent index');
  });

  it('rebuilds invalid or missing indexes of applied migrations first, with their own CREATE, and keeps the version applied', () => {
    const indexes = migration(
      2,
      [
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON fills (a);',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_b ON fills (b);',
        'CREATE INDEX CONCURRENTLY idx_c ON fills (c);',
      ].join('\n'),
      { directives: '-- migrate:no-transaction\n' },
    );
    const status = computeStatus([m1, indexes, m3], [row(m1), row(indexes)]);
    const plan = planUp(
      status,
      context('postgres', {
        rebuilds: [
          { migration: indexes, index: 'idx_a', state: 'invalid' },
          { migration: indexes, index: 'idx_c', state: 'missing' },
        ],
      }),
    );
    assert.deepEqual([plan.from, plan.to], [2, 3], 'a rebuild does not change the version');
    assert.deepEqual(
      plan.steps.map((s) => [s.migration.version, s.kind, s.rebuild ?? null]),
      [
        [2, 'statements', ['idx_a', 'idx_c']],
        [3, 'transaction', null],
      ],
    );
    const rebuild = plan.steps[0]!;
    assert.match(
      rebuild.chunks[0]!.sql,
      /^-- tradeledger: rebuild 002 step 2 \(002_step_2\.sql, no transaction: index idx_a invalid, idx_c missing; the version stays applied\)$/m,
    );
    inOrder(rebuild.chunks[0]!.sql, [
      "SET lock_timeout = '2000ms';",
      "UPDATE schema_version SET error_message = 'rebuilding index idx_a, idx_c: in progress",
      'WHERE version = 2;',
    ]);
    assert.doesNotMatch(rebuild.chunks[0]!.sql, /INSERT INTO schema_version|success/);
    assert.deepEqual(
      rebuild.chunks.slice(1, -1).map((c) => [c.sql, c.buildsIndex ?? null]),
      [
        ['DROP INDEX CONCURRENTLY IF EXISTS idx_a;', null],
        ['CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON fills (a);', 'idx_a'],
        ['DROP INDEX CONCURRENTLY IF EXISTS idx_c;', null],
        ['CREATE INDEX CONCURRENTLY idx_c ON fills (c);', 'idx_c'],
      ],
    );
    inOrder(rebuild.chunks.at(-1)!.sql, [
      "unnest(ARRAY['idx_a', 'idx_c'])",
      'LEFT JOIN pg_index i',
      'WHERE i.indisvalid IS NOT TRUE;',
      "the rebuild of version 2''s indexes is not complete",
      'UPDATE schema_version SET error_message = NULL WHERE version = 2;',
      'RESET lock_timeout;',
      'RESET statement_timeout;',
    ]);
    assert.deepEqual(rebuild.cleanup, ['RESET lock_timeout', 'RESET statement_timeout']);
    assert.ok(renderPlan(plan).includes('DROP INDEX CONCURRENTLY IF EXISTS idx_a;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON fills (a);'));

    // A pending migration that builds the same index rebuilds it itself.
    const again = migration(4, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON fills (a, b);', { directives: '-- migrate:no-transaction\n' });
    const both = planUp(
      computeStatus([m1, indexes, m3, again], [row(m1), row(indexes), row(m3)]),
      context('postgres', { rebuilds: [{ migration: indexes, index: 'idx_a', state: 'invalid' }], invalidIndexes: new Set(['idx_a']) }),
    );
    assert.deepEqual(
      both.steps.map((s) => [s.migration.version, s.rebuild ?? null]),
      [[4, null]],
    );
    assert.match(renderPlan(both), /DROP INDEX CONCURRENTLY IF EXISTS idx_a;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON fills \(a, b\);/);
  });

  it('refuses to plan a migration whose down section is missing only when going down', () => {
    const m = migration(1, 'CREATE TABLE t1 (id INT);', { down: null });
    assert.equal(planUp(computeStatus([m], []), context('postgres')).steps.length, 1);
    throwsCode(
      () => planDown(computeStatus([m], [row(m)]), [m], context('postgres'), {}),
      UsageError,
      'NO_DOWN',
      /migration 1 \(001_step_1\.sql\) has no '-- migrate:down' section, so it cannot be rolled back; add one/,
    );
  });
});

describe('planDown', () => {
  const status = computeStatus(ALL, [row(m1), row(m2), row(m3)]);

  it('undoes the newest migration by default, running its down section and deleting its row', () => {
    const plan = planDown(status, ALL, context('postgres'), {});
    assert.deepEqual([plan.direction, plan.from, plan.to, plan.steps.map((s) => s.migration.version)], ['down', 3, 2, [3]]);
    const sql = renderPlan(plan);
    inOrder(sql, [
      '-- tradeledger: down 003',
      'BEGIN;',
      "SET LOCAL lock_timeout = '2000ms';",
      'DROP TABLE t3;',
      'DELETE FROM schema_version WHERE version = 3;',
      'COMMIT;',
    ]);
    assert.doesNotMatch(sql, /INSERT INTO schema_version|CREATE TABLE IF NOT EXISTS schema_version/);
  });

  it('--steps N and --to N undo newest first', () => {
    const steps = planDown(status, ALL, context('postgres'), { steps: 2 });
    assert.deepEqual([steps.to, steps.steps.map((s) => s.migration.version)], [1, [3, 2]]);
    const to = planDown(status, ALL, context('postgres'), { to: 0 });
    assert.deepEqual([to.to, to.steps.map((s) => s.migration.version)], [0, [3, 2, 1]]);
    const many = planDown(status, ALL, context('postgres'), { steps: 10 });
    assert.deepEqual([many.to, many.steps.length], [0, 3]);
    assert.deepEqual(planDown(status, ALL, context('postgres'), { to: 3 }).steps, []);
    assert.deepEqual(planDown(computeStatus(ALL, []), ALL, context('postgres'), {}).steps, [], 'nothing applied, nothing to undo');
  });

  it('skips versions that failed and were never applied', () => {
    const partly = computeStatus(ALL, [row(m1), row(m2, { success: false })]);
    const plan = planDown(partly, ALL, context('postgres'), {});
    assert.deepEqual([plan.from, plan.to, plan.steps.map((s) => s.migration.version)], [1, 0, [1]]);
  });

  it('refuses a --to above the current version, and an applied version the source lacks', () => {
    throwsCode(
      () => planDown(status, ALL, context('postgres'), { to: 5 }),
      UsageError,
      'BAD_TARGET',
      /--to 5 is above the current version 3: use 'migrate up --to 5'/,
    );
    throwsCode(() => planDown(status, [m1, m2], context('postgres'), {}), SafetyError, 'UNKNOWN_VERSION', /applied version 3 is not in this source/);
  });

  it('on SQLite the down of a disable-foreign-keys migration checks foreign keys too', () => {
    const m = migration(1, 'CREATE TABLE t1 (id INT);', { directives: '-- migrate:disable-foreign-keys\n' });
    const [step] = planDown(computeStatus([m], [row(m)]), [m], context('sqlite'), {}).steps;
    assert.deepEqual(
      step!.chunks.map((c) => c.sql.split('\n').at(-1)),
      ['PRAGMA foreign_keys = OFF;', 'DELETE FROM schema_version WHERE version = 1;', 'PRAGMA foreign_key_check;', 'COMMIT;', 'PRAGMA foreign_keys = ON;'],
    );
  });
});
