// Issue 11, input hardening on the command line: NUL bytes in text, impossible dates and
// out-of-range durations, passwords in URL errors, output into a closed pipe, and control
// characters and formula prefixes in table and CSV output. Bad input: one line, exit 2, nothing written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/db/open.ts';
import { cli, spawnCli, type CliRun } from '../helpers/cli.ts';
import { createTestDatabase, scratchDir, type TestDatabase } from '../helpers/databases.ts';
import { insertOrders } from '../helpers/ledger-fixture.ts';
import { PORTABLE_MIGRATIONS, writeMigrations } from '../helpers/migrations.ts';
import { watch } from '../helpers/processes.ts';
import { reconLedger } from '../recon/fixture.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/migrations', import.meta.url));

/** Exit 2, nothing on stdout, exactly one line on stderr matching `pattern`. */
function assertOneUsageLine(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit code (stdout: ${run.stdout}; stderr: ${run.stderr})`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^(tradeledger: |error: )/);
  assert.match(lines[0]!, pattern);
}

async function count(url: string, sql: string): Promise<number> {
  const db = await openDatabase(url);
  try {
    return Number((await db.query<{ n: number | string }>(sql))[0]!.n);
  } finally {
    await db.close();
  }
}

describe('NUL bytes in text that reaches SQL: exit 2, nothing written', () => {
  let test: TestDatabase;
  before(async () => {
    test = await reconLedger('pglite');
  });
  after(() => test?.cleanup());

  it('refuses a NUL in --label, --profile, --batch and --revert, naming the flag', async () => {
    const snapshots = await count(test.url, 'SELECT count(*)::int AS n FROM lifecycle_snapshots');
    const cases: [string[], RegExp][] = [
      [['lifecycle', 'snapshot', '--label', 'before\u0000backfill'], /--label .*NUL/],
      [['lifecycle', 'report', '--profile', 'p1\u0000'], /--profile .*NUL/],
      [['lifecycle', 'backfill', '--apply', '--profile', '\u0000p1'], /--profile .*NUL/],
      [['lifecycle', 'backfill', '--revert', 'B\u0000'], /--revert .*NUL/],
      [['recon', 'detect', '--profile', 'p\u00001'], /--profile .*NUL/],
      [['recon', 'audit', '--batch', 'RBF\u0000'], /--batch .*NUL/],
      [['recon', 'rollback', '--batch', 'RBF\u0000'], /--batch .*NUL/],
      [['recon', 'run', '--profile', 'p1\u0000', '--enable', '--no-dry-run'], /--profile .*NUL/],
    ];
    for (const [argv, pattern] of cases) {
      assertOneUsageLine(await cli(...argv, '--db', test.url), pattern);
    }
    assert.equal(await count(test.url, 'SELECT count(*)::int AS n FROM lifecycle_snapshots'), snapshots, 'no snapshot was written');
    assert.equal(await count(test.url, 'SELECT count(*)::int AS n FROM reconciliation_backfill_audit'), 0, 'no audit row was written');
  });

  it('refuses a NUL in a database URL or a configuration value, naming it', async () => {
    const dir = scratchDir('nul-');
    const file = join(dir, 'state\u0000.db');
    assertOneUsageLine(await cli('migrate', 'status', '--dir', EXAMPLES, '--db', `sqlite:${file}`), /--db .*NUL/);
    assert.deepEqual(readdirSync(dir), [], 'no file was created');
    const yaml = join(dir, 'tradeledger.yaml');
    writeFileSync(yaml, 'recon:\n  evidence:\n    profile: "p1\\0"\n');
    assertOneUsageLine(await cli('recon', 'detect', '--db', test.url, '--config', yaml), /recon\.evidence\.profile .*NUL/);
  });
});

describe('impossible dates and out-of-range durations: exit 2, nothing written', () => {
  let test: TestDatabase;
  before(async () => {
    test = await reconLedger('pglite');
  });
  after(() => test?.cleanup());

  it('refuses --end-at 2026-02-30 (no such day) instead of rolling it over into March', async () => {
    const empty = await createTestDatabase('pglite');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--to', '6', '--db', empty.url)).code, 0);
      for (const day of ['2026-02-30T00:00:00Z', '2026-04-31T12:00:00Z', '2025-02-29T00:00:00Z']) {
        assertOneUsageLine(await cli('generate', '--db', empty.url, '--end-at', day, '--orders', '10'), /--end-at '20\d\d-\d\d-\d\dT.*' .*no such day/);
      }
      assert.equal(await count(empty.url, 'SELECT count(*)::int AS n FROM orders'), 0, 'no order was written');
    } finally {
      await empty.cleanup();
    }
  });

  it('refuses a --lookback-hours too large for a date, or not finite', async () => {
    const huge = '9'.repeat(400);
    for (const hours of [huge, '100000000000', '1000000']) {
      assertOneUsageLine(await cli('recon', 'run', '--db', test.url, '--enable', '--lookback-hours', hours), /--lookback-hours .*at most/);
    }
    const yaml = join(test.dir, 'lookback.yaml');
    writeFileSync(yaml, 'recon:\n  lookback_hours: 1000000000000\n');
    assertOneUsageLine(await cli('recon', 'run', '--db', test.url, '--enable', '--config', yaml), /recon\.lookback_hours: .*876000/);
    assert.equal(await count(test.url, 'SELECT count(*)::int AS n FROM reconciliation_backfill_audit'), 0, 'no audit row was written');
  });

  it('refuses durations longer than a timer or PostgreSQL can hold', async () => {
    const sqlite = await createTestDatabase('sqlite');
    const dir = writeMigrations(sqlite.dir, PORTABLE_MIGRATIONS);
    try {
      for (const flag of ['--lock-wait', '--lock-timeout', '--statement-timeout']) {
        assertOneUsageLine(await cli('migrate', 'up', '--dir', dir, '--db', sqlite.url, flag, '9999999h'), new RegExp(`${flag}.*at most`));
      }
      const yaml = join(sqlite.dir, 'timeouts.yaml');
      writeFileSync(yaml, 'database:\n  migration:\n    statement_timeout: 99999999999\n');
      assertOneUsageLine(await cli('migrate', 'up', '--dir', dir, '--db', sqlite.url, '--config', yaml), /database\.migration\.statement_timeout: .*at most/);
      assertOneUsageLine(await cli('serve', '--db', sqlite.url, '--interval', '9999999h'), /--interval .*at most/);
      assert.equal(existsSync(sqlite.url.slice('sqlite:'.length)), false, 'no database file was created');
    } finally {
      await sqlite.cleanup();
    }
  });
});

describe('passwords in database URL errors', () => {
  it('never prints a password holding / # ? (plain or percent-encoded), even when the URL does not parse', async () => {
    const urls = [
      'postgres://alice:s3cr/et@127.0.0.1:1/ledger',
      'postgres://alice:s3cr#et@127.0.0.1:1/ledger',
      'postgres://alice:s3cr?et@127.0.0.1:1/ledger',
      'postgres://alice:12/s3cret@127.0.0.1:1/ledger',
      'postgres://alice:12?s3cret@127.0.0.1:1/ledger',
      'postgres://alice:12#s3cret@127.0.0.1:1/ledger',
      'postgres://alice:s3cr@t/x@127.0.0.1:1/ledger',
      'postgresql:/alice:s3cret@127.0.0.1:1/ledger',
      'mysql://alice:s3cr/et@127.0.0.1/ledger',
    ];
    for (const url of urls) {
      const run = await cli('migrate', 'status', '--dir', EXAMPLES, '--db', url);
      assertOneUsageLine(run, /database URL/);
      assert.doesNotMatch(run.stderr, /s3cr|cret|et@/, `no part of the password of ${url}`);
      assert.match(run.stderr, /alice:\*\*\*/, 'the user stays, the password is masked');
    }
  });

  it('masks a percent-encoded password in a connection error', async () => {
    for (const url of ['postgres://alice:s3cr%2Fet%23%3F@127.0.0.1:1/ledger', 'postgres://alice:s3 cret@127.0.0.1:1/ledger']) {
      const run = await cli('migrate', 'status', '--dir', EXAMPLES, '--db', url);
      assert.equal(run.code, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /s3|cret|%2Fet/);
    }
  });
});

describe('output into a closed pipe (real process)', () => {
  /** Runs the binary with its stdout reader closed before it writes anything. */
  async function closedPipe(argv: readonly string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
    const child = spawnCli(argv, { cwd });
    const watched = watch(child);
    child.stdout!.destroy();
    const { code } = await watched.exited;
    return { code, stderr: watched.stderr() };
  }

  it('ends quietly with its usual exit code, no EPIPE stack trace', async () => {
    const dir = scratchDir('pipe-');
    const help = await closedPipe(['--help'], dir);
    assert.deepEqual(help, { code: 0, stderr: '' });
    // An empty database: status and plan are read-only and never create one (issue 12).
    writeFileSync(join(dir, 'state.db'), '');
    const status = await closedPipe(['migrate', 'status', '--dir', EXAMPLES, '--db', `sqlite:${join(dir, 'state.db')}`], dir);
    assert.deepEqual(status, { code: 0, stderr: '' });
    const plan = await closedPipe(['migrate', 'plan', '--dir', writeMigrations(dir, PORTABLE_MIGRATIONS), '--db', `sqlite:${join(dir, 'state.db')}`], dir);
    assert.deepEqual(plan, { code: 0, stderr: '' });
  });
});

describe('table and CSV output of values that hold control characters or formulas', () => {
  let test: TestDatabase;
  before(async () => {
    test = await reconLedger('pglite');
    const db = await openDatabase(test.url);
    try {
      await insertOrders(db, [
        { id: 'x1', profile: 'evil\u001b[31m', symbol: 'BTC\nfake row', tradeId: 'TRD-x1', at: 1 },
        { id: 'x2', profile: '=HYPERLINK("http://x")', symbol: '+SUM(A1)', action: 'EXIT', tradeId: 'TRD-x2', at: 2 },
        { id: 'x4', profile: '@cmd', symbol: '-0.5', action: 'EXIT', tradeId: 'TRD-x4', at: 2 },
        { id: 'x3', profile: '-2+3', symbol: '\tTAB', action: 'EXIT', tradeId: 'TRD-x3', at: 2 },
      ]);
    } finally {
      await db.close();
    }
  });
  after(() => test?.cleanup());

  it('escapes newlines, tabs and escape sequences in a table', async () => {
    const run = await cli('recon', 'detect', '--db', test.url);
    assert.equal(run.code, 0, run.stderr);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for raw control characters
    assert.doesNotMatch(run.stdout, /[\u0000-\u0009\u000b-\u001f\u007f]/, 'no raw control character');
    assert.match(run.stdout, /evil\\x1b\[31m/);
    assert.match(run.stdout, /BTC\\nfake row/);
    assert.ok(!run.stdout.split('\n').some((line) => line.startsWith('fake row')), 'a value cannot start a row of its own');
  });

  it('prefixes formula cells with a quote in CSV, keeping numbers as they are', async () => {
    const run = await cli('lifecycle', 'report', '--db', test.url, '--format', 'csv');
    assert.equal(run.code, 1, run.stderr); // the fixture's anomalies block validation
    const lines = run.stdout.split('\n');
    assert.ok(
      lines.some((line) => line.includes(`"'=HYPERLINK(""http://x"")"`)),
      run.stdout,
    );
    assert.ok(
      lines.some((line) => line.includes(`'+SUM(A1)`)),
      run.stdout,
    );
    assert.ok(
      lines.some((line) => line.includes(`'@cmd,-0.5,`)),
      'a plain decimal stays a number',
    );
    assert.ok(
      lines.some((line) => line.includes(`'-2+3`) && line.includes(`'\tTAB`)),
      run.stdout,
    );
    assert.ok(!lines.some((line) => /(^|,)[=+@]/.test(line)), 'no cell starts with = + or @');
  });
});
