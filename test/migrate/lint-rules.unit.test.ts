// The lint policy's rule lists against the squawk binary we ship, and --allow-unsafe parsing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.ts';
import { lintMigrations, squawkBinary } from '../../src/migrate/lint.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { BLOCKING_RULES, isAllowed, parseAllowUnsafe, RULES_THE_RUNNER_SATISFIES, severityOf, WARNING_RULES } from '../../src/migrate/lint-policy.ts';

describe('lint policy', () => {
  it('names only rules the shipped squawk knows, each in one list', () => {
    const all = [...Object.keys(BLOCKING_RULES), ...WARNING_RULES, ...RULES_THE_RUNNER_SATISFIES];
    assert.equal(new Set(all).size, all.length, 'no rule is in two lists');
    for (const rule of all) {
      const run = spawnSync(squawkBinary(), ['--exclude', rule, '--reporter', 'json'], { input: 'SELECT 1;', encoding: 'utf8' });
      assert.equal(run.status, 0, `squawk does not know ${rule}: ${run.stderr}`);
    }
    const unknown = spawnSync(squawkBinary(), ['--exclude', 'no-such-rule'], { input: 'SELECT 1;', encoding: 'utf8' });
    assert.notEqual(unknown.status, 0, 'squawk refuses a name it does not know, so the check above can fail');
  });

  it('blocks lock, rewrite and data-loss rules and unknown ones; type rules only warn', () => {
    assert.equal(severityOf('require-concurrent-index-creation'), 'blocking');
    assert.equal(severityOf('ban-drop-column'), 'blocking');
    assert.equal(severityOf('prefer-bigint-over-int'), 'warning');
    assert.equal(severityOf('prefer-timestamptz'), 'warning', "squawk's alias");
    assert.equal(severityOf('a-rule-squawk-adds-later'), 'blocking');
  });

  it('parses --allow-unsafe: alone allows all, RULE[,RULE] only those, an unknown name is a usage error', () => {
    assert.equal(parseAllowUnsafe(undefined), false);
    assert.equal(parseAllowUnsafe(true), true);
    const some = parseAllowUnsafe('ban-drop-table, require-concurrent-index-creation');
    assert.deepEqual(some, ['ban-drop-table', 'require-concurrent-index-creation']);
    assert.equal(isAllowed(some, 'ban-drop-table'), true);
    assert.equal(isAllowed(some, 'ban-drop-column'), false);
    assert.equal(isAllowed(true, 'ban-drop-column'), true);
    assert.throws(
      () => parseAllowUnsafe('ban-drop-tables'),
      (error: unknown) => error instanceof UsageError && /'ban-drop-tables' is not a squawk rule/.test(error.message),
    );
  });
});

describe('lintMigrations', () => {
  const file = (name: string, up: string) => parseMigration(name, `-- migrate:up\n${up}\n`);
  const blocking = async (migrations: ReturnType<typeof file>[], oneRun = true) =>
    (await lintMigrations(migrations, { cwd: '/', oneRun })).filter((f) => f.severity === 'blocking').map((f) => `${f.fileName}:${f.line} ${f.rule}`);

  it('exempts from lock rules only statements on tables the same run created, whatever their schema spelling', async () => {
    const first = file('001_new.sql', 'CREATE TABLE public.fills (id BIGINT PRIMARY KEY, venue TEXT);');
    const second = file(
      '002_indexes.sql',
      [
        'CREATE INDEX fills_venue ON fills (venue);',
        '-- an old table: a real lock on a busy table',
        'CREATE INDEX orders_venue ON orders (venue);',
        'DROP INDEX fills_venue;',
      ].join('\n'),
    );
    assert.deepEqual(await blocking([first, second]), ['002_indexes.sql:4 require-concurrent-index-creation']);
    // Linted each on its own (migrate lint), 001's table may be old by the time 002 runs.
    assert.deepEqual(await blocking([first, second], false), [
      '002_indexes.sql:2 require-concurrent-index-creation',
      '002_indexes.sql:4 require-concurrent-index-creation',
      '002_indexes.sql:5 require-concurrent-index-deletion',
    ]);
  });

  it('lints a no-transaction file as one, and never reports the timeout rules the runner satisfies', async () => {
    const noTx = parseMigration(
      '003_index.sql',
      '-- migrate:no-transaction\n-- migrate:up\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_id ON orders (id);\n',
    );
    const findings = await lintMigrations([noTx], { cwd: '/' });
    assert.deepEqual(findings, []);
  });

  it('.squawk.toml: excluded_paths match migration file names; a file squawk cannot read is a usage error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tradeledger-squawk-config-'));
    try {
      const drops = [file('001_drop.sql', 'DROP TABLE fills;'), file('002_drop.sql', 'DROP TABLE orders;')];
      writeFileSync(join(dir, '.squawk.toml'), 'excluded_paths = ["001_*.sql"]\n');
      assert.deepEqual(
        (await lintMigrations(drops, { cwd: dir })).map((f) => `${f.fileName} ${f.rule}`),
        ['002_drop.sql ban-drop-table'],
      );
      writeFileSync(join(dir, '.squawk.toml'), 'excluded_rules = ["no-such-rule"]\n');
      await assert.rejects(
        lintMigrations(drops, { cwd: dir }),
        (error: unknown) => error instanceof UsageError && error.code === 'SQUAWK_CONFIG' && error.message.includes(join(dir, '.squawk.toml')),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
