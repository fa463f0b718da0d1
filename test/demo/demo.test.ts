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
      'Phase A: snapshot (lifecycle snapshot; docs/runbooks/trade-lifecycle-integrity.md)',
      'Phase A: backfill dry run (lifecycle backfill; docs/runbooks/trade-lifecycle-integrity.md)',
      'Phase B: non-blocking guardrails (migrate up: 007; docs/runbooks/trade-lifecycle-integrity.md)',
      'Phase C: backfill (lifecycle backfill --apply), then the report (docs/runbooks/trade-lifecycle-integrity.md)',
      'Recon §5: dry run (ENABLE_RECON_EXIT_BACKFILL=true, DRY_RUN=true; docs/runbooks/reconciliation-exit-backfill.md)',
      'Recon §6: go / no-go (docs/runbooks/reconciliation-exit-backfill.md)',
      'Recon §7: apply (plan, then apply --batch; docs/runbooks/reconciliation-exit-backfill.md)',
      'Recon §8: post-fix validation (recon verify; docs/runbooks/reconciliation-exit-backfill.md)',
      'Recon §9: rollback, then apply again (docs/runbooks/reconciliation-exit-backfill.md)',
      'Phase D: validate the guardrails (lifecycle tighten; docs/runbooks/trade-lifecycle-integrity.md)',
      'Final report',
    ]) {
      assert.ok(run.stdout.includes(step), `missing step: ${step}`);
    }
    // docs/runbooks/reconciliation-exit-backfill.md §5: a dry run inserts no BFILL- order.
    assert.match(run.stdout, /§5 check: BFILL rows in orders = 0/);
    assert.match(run.stdout, /convalidated=true[\s\S]*convalidated=true[\s\S]*convalidated=true[\s\S]*convalidated=true[\s\S]*convalidated=true/);
    assert.match(run.stdout, /0 blocking anomalies; all five guardrails validated/);
  });

  it('refuses a database that is not empty (exit 3) and writes nothing', async () => {
    // A ledger of its own that already holds the bot-ledger schema, rather than the one the demo above filled.
    const ledger = await createTestDatabase('pglite');
    try {
      const up = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', ledger.url);
      assert.equal(up.code, 0, up.stderr);
      const run = await cli('demo', '--db', ledger.url);
      assert.equal(run.code, 3);
      assert.match(run.stderr, /is not empty/);
    } finally {
      await ledger.cleanup();
    }
  });
});
