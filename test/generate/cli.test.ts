import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { baseLedger } from './ledger.ts';

describe('tradeledger generate (command line)', () => {
  const made: TestDatabase[] = [];
  const track = (test: TestDatabase) => {
    made.push(test);
    return test;
  };
  after(async () => {
    for (const test of made) await test.cleanup();
  });

  it('prints a summary, and a progress line at every tenth when stderr is not a terminal', async () => {
    const test = track(await baseLedger('pglite'));
    const run = await cli('generate', '--profiles', '5', '--orders', '400', '--seed', 'cli', '--db', test.url);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^orders\s+400$/m);
    assert.match(run.stdout, /injected anomalies at rate 0\.01/);
    const tenths = run.stderr.split('\n').filter((line) => line.startsWith('generate: '));
    assert.equal(tenths.length, 10, run.stderr);
    assert.match(tenths[9]!, /^generate: 100 % \(400\/400 orders, \d+ rows\)$/);
  });

  it('--expected prints what the tools must find, as JSON', async () => {
    const test = track(await baseLedger('pglite'));
    const run = await cli('generate', '--profiles', '4', '--orders', '600', '--anomaly-rate', '0.2', '--seed', 'x', '--db', test.url, '--expected');
    assert.equal(run.code, 0, run.stderr);
    const expected = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(expected), ['anomalies', 'injections', 'backfill', 'recon']);
    assert.ok(expected.anomalies.length > 0);
    assert.equal(expected.recon.now, '2026-02-01T00:00:00.000Z');
    const lifecycle = await cli('lifecycle', 'report', '--db', test.url, '--json');
    assert.equal(JSON.parse(lifecycle.stdout).anomalies.length, expected.anomalies.length);
  });

  describe('on a ledger with migration 007 in place', () => {
    let test: TestDatabase;
    before(async () => {
      test = track(await baseLedger('pglite', '7'));
    });

    it('refuses to inject anomalies the guardrails would reject, and writes nothing', async () => {
      const run = await cli('generate', '--orders', '300', '--db', test.url);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /has bot-ledger 007's guardrails \(chk_orders_action_lifecycle, .*\).*--anomaly-rate 0/);
      const report = await cli('lifecycle', 'report', '--db', test.url, '--json');
      assert.equal(JSON.parse(report.stdout).profiles.length, 0);
    });

    it('with --anomaly-rate 0 writes a clean ledger: no anomaly, and the guardrails validate', async () => {
      const run = await cli('generate', '--profiles', '6', '--orders', '1500', '--anomaly-rate', '0', '--db', test.url, '--json');
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout).summary;
      assert.equal(summary.injected, 0);
      assert.ok(summary.openLifecycles > 0);
      const report = await cli('lifecycle', 'report', '--db', test.url, '--json');
      assert.equal(report.code, 0, report.stdout);
      assert.deepEqual(JSON.parse(report.stdout).anomalies, []);
      const tighten = await cli('lifecycle', 'tighten', '--db', test.url);
      assert.equal(tighten.code, 0, tighten.stderr);
    });
  });

  it('bad values are one-line usage errors naming the flag and a good value; nothing is written', async () => {
    const test = track(await baseLedger('pglite'));
    const cases: [string[], RegExp][] = [
      [['--profiles', '0'], /--profiles '0' is not a whole number from 1 to .*: pass e\.g\. --profiles 20/],
      [['--orders', '1.5'], /--orders '1\.5' is not a whole number/],
      [['--anomaly-rate', '1.5'], /--anomaly-rate '1\.5' is not a fraction from 0 to 1/],
      [['--anomaly-rate', '0.0000001'], /at most 6 decimals/],
      [['--end-at', 'yesterday'], /--end-at 'yesterday' is not an ISO-8601 time: pass e\.g\. --end-at 2026-02-01T00:00:00\.000Z/],
      [['--seed', ' '], /--seed is empty/],
    ];
    for (const [flags, message] of cases) {
      const run = await cli('generate', ...flags, '--db', test.url);
      assert.equal(run.code, 2, flags.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
    const report = await cli('lifecycle', 'report', '--db', test.url, '--json');
    assert.equal(JSON.parse(report.stdout).profiles.length, 0);
    const sqlite = track(await createTestDatabase('sqlite'));
    const wrong = await cli('generate', '--db', sqlite.url);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /is SQLite; .* PostgreSQL bot ledger/);
    const empty = track(await createTestDatabase('pglite'));
    const bare = await cli('generate', '--db', empty.url);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /migrate up --pack bot-ledger/);
  });
});
