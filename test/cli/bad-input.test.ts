import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { PORTABLE_MIGRATIONS, writeMigrations } from '../helpers/migrations.ts';
import { cli, runBinary, type CliRun } from '../helpers/cli.ts';

/** Every file under `dir` with a hash of its content, so that any write shows. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'dir';
  }
  return out;
}

/** Exit 2, nothing on stdout, and exactly one error line on stderr, matching `pattern`. */
function assertOneUsageLine(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit code (stderr: ${run.stderr})`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  // Commander may add its own hint after the error ("(Did you mean up?)"): a hint, not a second error.
  const lines = run.stderr.split('\n').filter((line) => line !== '' && !/^\(Did you mean .+\?\)$/.test(line));
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^(tradeledger: |error: )/);
  assert.match(lines[0]!, pattern);
}

const UP = PORTABLE_MIGRATIONS['001_create_accounts.sql']!;

describe('bad input: one line, exit 2, nothing written', () => {
  let test: TestDatabase;
  let file: string;
  let good: string;
  let cases: string;
  before(async () => {
    test = await createTestDatabase('sqlite');
    file = join(test.dir, 'state.db');
    good = writeMigrations(test.dir, PORTABLE_MIGRATIONS, 'good');
    cases = join(test.dir, 'cases');
    mkdirSync(cases);
  });
  after(() => test.cleanup());

  /** Runs `argv` against a database file that does not exist yet, and checks that nothing at all was written. */
  async function refused(argv: readonly string[], pattern: RegExp): Promise<void> {
    const before = listing(test.dir);
    const run = await cli(...argv);
    assertOneUsageLine(run, pattern);
    assert.equal(existsSync(file), false, 'no database file was created');
    assert.deepEqual(listing(test.dir), before, 'no file was written');
  }

  /** A folder of its own holding `files`. */
  function folder(name: string, files: Readonly<Record<string, string>>): string {
    return writeMigrations(cases, files, name);
  }

  it('an unknown flag', async () => {
    await refused(['migrate', 'up', '--db', test.url, '--dir', good, '--bogus'], /unknown option '--bogus'/);
  });

  it('an unknown command', async () => {
    await refused(['migrate', 'upp', '--db', test.url, '--dir', good], /unknown command 'upp'/);
  });

  it('a malformed database URL', async () => {
    await refused(
      ['migrate', 'up', '--db', 'mysql://x', '--dir', good],
      /malformed database URL 'mysql:\/\/x'.*use pglite:<dir>, postgres:\/\/.* or sqlite:<file>/,
    );
    await refused(['migrate', 'up', '--db', 'pglite:', '--dir', good], /malformed database URL 'pglite:': pglite: needs a directory/);
    await refused(['migrate', 'up', '--db', 'sqlite:', '--dir', good], /malformed database URL 'sqlite:': sqlite: needs a file path/);
    await refused(['migrate', 'status', '--db', 'postgres://', '--dir', good], /malformed database URL 'postgres:\/\/'/);
  });

  it('a --dir that does not exist, is a file, or holds no migrations', async () => {
    await refused(['migrate', 'up', '--db', test.url, '--dir', join(test.dir, 'nowhere')], /migration folder '.*nowhere' does not exist/);
    await refused(['migrate', 'up', '--db', test.url, '--dir', join(good, '001_create_accounts.sql')], /is a file, not a folder/);
    await refused(['migrate', 'up', '--db', test.url, '--dir', folder('empty', { 'README.md': 'notes' })], /no NNN_description\.sql files/);
  });

  it('a file with no -- migrate:up line', async () => {
    const dir = folder('no-up', { '001_create.sql': 'CREATE TABLE a (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE a;\n' });
    await refused(['migrate', 'up', '--db', test.url, '--dir', dir], /'001_create\.sql' has no '-- migrate:up' line/);
  });

  it('two files with one version', async () => {
    const dir = folder('duplicate', { '001_a.sql': UP, '001_b.sql': UP });
    await refused(['migrate', 'up', '--db', test.url, '--dir', dir], /'001_a\.sql' and '001_b\.sql' both have version 1: renumber one/);
  });

  it('a file whose name does not start with a version number', async () => {
    const dir = folder('badly-named', { '001_create_accounts.sql': UP, 'create_trades.sql': UP });
    await refused(['migrate', 'up', '--db', test.url, '--dir', dir], /'create_trades\.sql' does not start with a version number: rename it/);
  });

  it('an unknown -- migrate: directive', async () => {
    const dir = folder('directive', { '001_a.sql': `-- migrate:no-transactions\n${UP}` });
    await refused(['migrate', 'up', '--db', test.url, '--dir', dir], /'001_a\.sql' line 1: unknown directive '-- migrate:no-transactions'/);
  });

  it('a version that is not a whole number', async () => {
    await refused(['migrate', 'up', '--db', test.url, '--dir', good, '--to', 'abc'], /'--to <version>' argument 'abc' is invalid.*not a whole number/);
    await refused(['migrate', 'down', '--db', test.url, '--dir', good, '--steps', '-1'], /--steps/);
    await refused(['migrate', 'stamp', 'two', '--db', test.url, '--dir', good], /'two' is not a whole number/);
  });

  it('a duration that is not one', async () => {
    await refused(['migrate', 'up', '--db', test.url, '--dir', good, '--lock-wait', 'soon'], /'soon' is not a duration/);
  });

  it('both --pack and --dir, or neither', async () => {
    await refused(['migrate', 'up', '--db', test.url, '--dir', good, '--pack', 'risk-state'], /either --pack or --dir, not both/);
    const empty = join(cases, 'empty.yaml');
    writeFileSync(empty, '');
    await refused(['migrate', 'up', '--db', test.url, '--config', empty], /no migrations named: pass --pack NAME or --dir PATH/);
  });

  it('an unknown pack', async () => {
    await refused(['migrate', 'up', '--db', test.url, '--pack', 'no-such-pack'], /unknown pack 'no-such-pack': choose one of .*risk-state/);
  });

  it('down with both --steps and --to', async () => {
    await refused(['migrate', 'down', '--db', test.url, '--dir', good, '--steps', '1', '--to', '0'], /either --steps or --to, not both/);
  });

  it('a tradeledger.yaml with an unknown key names the key path', async () => {
    const config = join(cases, 'unknown-key.yaml');
    writeFileSync(config, 'database:\n  backup:\n    max_backup: 3\n');
    await refused(['migrate', 'up', '--db', test.url, '--dir', good, '--config', config], /database\.backup\.max_backup: is not a known setting/);
  });

  it('a tradeledger.yaml with a bad value names the key', async () => {
    const config = join(cases, 'bad-value.yaml');
    writeFileSync(config, 'database:\n  backup:\n    retention_days: -1\n');
    await refused(['migrate', 'up', '--db', test.url, '--dir', good, '--config', config], /database\.backup\.retention_days: /);
    writeFileSync(config, 'database:\n  migration:\n    lock_timeout: soon\n');
    await refused(['migrate', 'up', '--db', test.url, '--dir', good, '--config', config], /database\.migration\.lock_timeout: expected a duration/);
  });

  it('a --config file that is missing or not YAML', async () => {
    await refused(
      ['migrate', 'up', '--db', test.url, '--dir', good, '--config', join(cases, 'absent.yaml')],
      /configuration file '.*absent\.yaml' cannot be read/,
    );
    const config = join(cases, 'broken.yaml');
    writeFileSync(config, 'database: [unclosed\n');
    await refused(['migrate', 'up', '--db', test.url, '--dir', good, '--config', config], /is not valid YAML/);
  });

  it('a malformed environment variable names the variable (the real binary)', async () => {
    const before = listing(test.dir);
    const run = await runBinary(['migrate', 'up', '--db', test.url, '--dir', good], { cwd: cases, env: { TRADELEDGER_LOCK_WAIT: 'soon' } });
    assertOneUsageLine(run, /^tradeledger: environment variable TRADELEDGER_LOCK_WAIT='soon' is not a duration/);
    const bool = await runBinary(['migrate', 'up', '--db', test.url, '--dir', good], { cwd: cases, env: { TRADELEDGER_CREATE_BACKUP: 'maybe' } });
    assertOneUsageLine(bool, /^tradeledger: environment variable TRADELEDGER_CREATE_BACKUP='maybe' is not a boolean/);
    assert.equal(existsSync(file), false);
    assert.deepEqual(listing(test.dir), before);
  });

  it('leaves an existing database byte for byte as it was', async () => {
    const existing = join(test.dir, 'existing', 'state.db');
    const url = `sqlite:${existing}`;
    assert.equal((await cli('migrate', 'up', '--db', url, '--dir', good, '--no-backup')).code, 0);
    const before = listing(test.dir);
    const duplicate = folder('duplicate-again', { ...PORTABLE_MIGRATIONS, '003_other.sql': UP });
    const after = listing(test.dir);
    for (const argv of [
      ['migrate', 'up', '--db', url, '--dir', duplicate],
      ['migrate', 'down', '--db', url, '--dir', good, '--to', 'x'],
      ['migrate', 'up', '--db', url, '--dir', good, '--pack', 'risk-state'],
    ]) {
      const run = await cli(...argv);
      assert.equal(run.code, 2, run.stderr);
    }
    assert.deepEqual(listing(test.dir), after);
    assert.notDeepEqual(before, after, 'the listing sees new files');
    const db = new DatabaseSync(existing, { readOnly: true });
    assert.deepEqual(
      db
        .prepare('SELECT version FROM schema_version ORDER BY version')
        .all()
        .map((r) => r['version']),
      [1, 2, 3],
    );
    db.close();
  });
});

describe('the good path prints what it promises', () => {
  let test: TestDatabase;
  before(async () => (test = await createTestDatabase('sqlite')));
  after(() => test.cleanup());

  it('--help on migrate up exits 0 and describes its flags', async () => {
    const run = await cli('migrate', 'up', '--help');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Usage: tradeledger migrate up \[options\]/);
    for (const flag of ['--db <url>', '--dir <path>', '--pack <name>', '--to <version>', '--lock-wait <duration>', '--no-backup', '--json'])
      assert.ok(run.stdout.includes(flag), flag);
    assert.equal(existsSync(join(test.dir, 'state.db')), false);
  });

  it('migrate up --json prints one parseable JSON document', async () => {
    const dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
    const run = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { from: number; to: number; applied: { version: number; direction: string }[]; backup: string | null };
    assert.equal(result.from, 0);
    assert.equal(result.to, 3);
    assert.deepEqual(
      result.applied.map((s) => [s.version, s.direction]),
      [
        [1, 'up'],
        [2, 'up'],
        [3, 'up'],
      ],
    );
    assert.ok(result.backup !== null && existsSync(result.backup));
    const again = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--json');
    assert.deepEqual(JSON.parse(again.stdout), { from: 3, to: 3, applied: [], rebuilt: [], repaired: [], backup: null, lint: [], verify: null });
  });
});
