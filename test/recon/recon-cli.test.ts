import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { cli, runBinary } from '../helpers/cli.ts';
import { loadReconFixture } from './fixture.ts';

describe('recon from the command line', () => {
  let test: TestDatabase;
  // The fixture's fills are in January 2026.
  const env = { RECON_EXIT_BACKFILL_LOOKBACK_HOURS: '87600' };
  before(async () => {
    test = await createTestDatabase('postgres');
    assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url)).code, 0);
    const db = await openDatabase(test.url);
    await loadReconFixture(db);
    await db.close();
  });
  after(async () => test.cleanup());

  // docs/runbooks/reconciliation-exit-backfill.md §1
  it('detect prints the §1 open lifecycles', async () => {
    const run = await cli('recon', 'detect', '--db', test.url, '--profile', 'p1', '--json');
    assert.equal(run.code, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as { tradeId: string; openQty: string }[];
    assert.deepEqual(
      rows.map((r) => `${r.tradeId}=${r.openQty}`).sort(),
      ['TRD-a=1', 'TRD-b1=1', 'TRD-b=2', 'TRD-d1=2.0', 'TRD-e1=1', 'TRD-g1=1.0', 'TRD-l1=10', 'TRD-n1=5'].sort(),
    );
    assert.equal(rows.length, 8);
  });

  it('is off by default and dry-run by default once enabled', async () => {
    const off = await runBinary(['recon', 'run', '--db', test.url], { env });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /disabled \(ENABLE_RECON_EXIT_BACKFILL=false\)/);
    const dry = await runBinary(['recon', 'run', '--db', test.url, '--json'], { env: { ...env, ENABLE_RECON_EXIT_BACKFILL: 'true' } });
    assert.equal(dry.code, 0, dry.stderr);
    const result = JSON.parse(dry.stdout);
    assert.equal(result.mode, 'dry-run');
    assert.ok(result.counts.DRY_RUN > 0);
    assert.match(dry.stderr, /mismatch: profile p1 BTC: ledger open 1, exchange 0/);
  });

  it('a malformed flag value is an error naming the variable, never a silent default', async () => {
    const bad = await runBinary(['recon', 'run', '--db', test.url], { env: { ENABLE_RECON_EXIT_BACKFILL: 'true', RECON_EXIT_BACKFILL_DUST_ABS_QTY: '0,001' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /RECON_EXIT_BACKFILL_DUST_ABS_QTY='0,001'/);
    const flag = await cli('recon', 'run', '--db', test.url, '--enable', '--dust-rel-pct', 'lots');
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--dust-rel-pct 'lots'/);
  });

  it('run with dry-run off applies; verify, audit and rollback follow the runbook', async () => {
    const applied = await runBinary(['recon', 'run', '--db', test.url, '--enable', '--no-dry-run', '--json'], { env });
    assert.equal(applied.code, 0, applied.stderr);
    const result = JSON.parse(applied.stdout);
    assert.equal(result.counts.APPLIED, 7);
    const verify = await cli('recon', 'verify', '--db', test.url, '--profile', 'p1', '--json');
    assert.equal(verify.code, 1, 'lifecycles that were refused stay open');
    assert.deepEqual(
      JSON.parse(verify.stdout)
        .stillOpen.map((l: { tradeId: string }) => l.tradeId)
        .sort(),
      ['TRD-b1', 'TRD-e1', 'TRD-l1', 'TRD-n1'],
    );
    const audit = await cli('recon', 'audit', '--db', test.url, '--batch', result.batchId, '--json');
    assert.equal(JSON.parse(audit.stdout).length, result.audit.length);
    const rollback = await cli('recon', 'rollback', '--db', test.url, '--batch', result.batchId);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /7 backfill order\(s\) canceled/);
    const missing = await cli('recon', 'rollback', '--db', test.url);
    assert.equal(missing.code, 2);
  });
});
