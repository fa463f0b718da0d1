import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { cli } from '../helpers/cli.ts';

describe('tradeledger demo', () => {
  let test: TestDatabase;
  before(async () => {
    test = await createTestDatabase('pglite');
  });
  after(async () => test.cleanup());

  it('walks every runbook step on an empty database and ends with no blocking anomaly, exit 0', async () => {
    const run = await cli('demo', '--db', test.url);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    for (const step of [
      'Schema: bot-ledger up to the base version',
      'Phase A: snapshot',
      'Phase A: backfill dry run',
      'Phase B: non-blocking guardrails',
      'Phase C: backfill',
      'Recon §5: dry run',
      'Recon §6: go / no-go',
      'Recon §7: apply',
      'Recon §8: post-fix validation',
      'Recon §9: rollback, then apply again',
      'Phase D: validate the guardrails',
      'Final report',
    ]) {
      assert.ok(run.stdout.includes(step), `missing step: ${step}`);
    }
    assert.match(run.stdout, /§5 check: BFILL rows in orders = 0/);
    assert.match(run.stdout, /convalidated=true[\s\S]*convalidated=true[\s\S]*convalidated=true[\s\S]*convalidated=true[\s\S]*convalidated=true/);
    assert.match(run.stdout, /0 blocking anomalies; all five guardrails validated/);
  });

  it('refuses a database that is not empty (exit 3) and writes nothing', async () => {
    const run = await cli('demo', '--db', test.url);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /is not empty/);
  });
});
