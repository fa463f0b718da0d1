// The lint policy's rule lists against the squawk binary we ship, and --allow-unsafe parsing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { UsageError } from '../../src/errors.ts';
import { squawkBinary } from '../../src/migrate/lint.ts';
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
