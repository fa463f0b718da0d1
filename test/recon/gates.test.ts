// The reconciliation gates live in the library (issue 11): dry run and the master switch make the
// apply function refuse, whoever calls it, and a refusal writes nothing; `recon plan` with the
// switch off exits 3; a command offers only the flags it honours; --evidence-file means file evidence.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { isTradeledgerError } from '../../src/errors.ts';
import { applyBatch } from '../../src/recon/apply-batch.ts';
import { runReconCycle } from '../../src/recon/cycle.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { plannedLedger, reconLedger, tableDeps } from './fixture.ts';

const LOOKBACK = ['--lookback-hours', String(3650 * 24)];

/** Everything a refusal must leave alone: the backfill orders and the audit trail. */
async function written(db: Database): Promise<{ bfill: number; audit: number }> {
  const [row] = await db.query<{ bfill: string; audit: string }>(
    `SELECT (SELECT count(*) FROM orders WHERE order_id LIKE 'BFILL-%') AS bfill, (SELECT count(*) FROM reconciliation_backfill_audit) AS audit`,
  );
  return { bfill: Number(row!.bfill), audit: Number(row!.audit) };
}

function refusedWith(code: string) {
  return (error: unknown) => isTradeledgerError(error) && error.exitCode === 3 && error.code === code;
}

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`reconciliation gates in the library on ${kind}`, () => {
    let test: TestDatabase;
    let db: Database;
    let batchId: string;
    before(async () => {
      ({ test, db, batchId } = await plannedLedger(kind));
    });
    after(async () => {
      await db?.close();
      await test?.cleanup();
    });

    it('applyBatch refuses in a dry run and with the master switch off, and writes nothing', async () => {
      const before = await written(db);
      await assert.rejects(applyBatch(db, await tableDeps(db, { dryRun: true }), batchId), refusedWith('DRY_RUN'));
      await assert.rejects(applyBatch(db, await tableDeps(db, { enabled: false }), batchId), refusedWith('DISABLED'));
      assert.deepEqual(await written(db), before);
    });

    it('runReconCycle refuses a plan or an apply with the switch off, and an apply in dry run; a plain cycle then does nothing', async () => {
      const before = await written(db);
      await assert.rejects(runReconCycle(db, await tableDeps(db, { enabled: false }), { mode: 'plan' }), refusedWith('DISABLED'));
      await assert.rejects(runReconCycle(db, await tableDeps(db, { enabled: false }), { mode: 'apply' }), refusedWith('DISABLED'));
      await assert.rejects(runReconCycle(db, await tableDeps(db, { dryRun: true }), { mode: 'apply' }), refusedWith('DRY_RUN'));
      const idle = await runReconCycle(db, await tableDeps(db, { enabled: false }));
      assert.equal(idle.disabled, true);
      assert.deepEqual(await written(db), before);
    });
  });
}

describe('reconciliation gates on the command line (PGlite)', () => {
  let test: TestDatabase;
  before(async () => {
    test = await reconLedger('pglite');
  });
  after(async () => {
    await test?.cleanup();
  });

  async function counts(): Promise<{ bfill: number; audit: number }> {
    const db = await openDatabase(test.url);
    try {
      return await written(db);
    } finally {
      await db.close();
    }
  }

  it('recon plan with the master switch off exits 3 and writes nothing', async () => {
    const before = await counts();
    const plan = await cli('recon', 'plan', '--db', test.url, ...LOOKBACK);
    assert.equal(plan.code, 3, plan.stdout + plan.stderr);
    assert.match(plan.stderr, /disabled \(ENABLE_RECON_EXIT_BACKFILL=false\).*--enable/);
    assert.deepEqual(await counts(), before);
  });

  it('recon apply --batch in a dry run exits 3 and inserts nothing, whether the dry run comes from the environment or the file', async () => {
    const plan = await cli('recon', 'plan', '--enable', '--db', test.url, ...LOOKBACK, '--json');
    assert.equal(plan.code, 0, plan.stderr);
    const batchId = (JSON.parse(plan.stdout) as { batchId: string }).batchId;
    const before = await counts();
    const config = join(test.dir, 'dry-run.yaml');
    writeFileSync(config, 'recon:\n  enabled: true\n  dry_run: true\n');
    for (const args of [['--enable'], ['--config', config]]) {
      const apply = await cli('recon', 'apply', '--batch', batchId, '--db', test.url, ...LOOKBACK, ...args);
      assert.equal(apply.code, 3, apply.stdout + apply.stderr);
      assert.match(apply.stderr, /dry run is on .*--no-dry-run/);
    }
    assert.deepEqual(await counts(), before);
    const applied = await cli('recon', 'apply', '--batch', batchId, '--enable', '--no-dry-run', '--db', test.url, ...LOOKBACK);
    assert.equal(applied.code, 0, applied.stderr);
    assert.ok((await counts()).bfill > 0, 'with dry run off it applies');
  });

  it('offers --dry-run only where it is honoured: not on plan or apply', async () => {
    for (const command of ['plan', 'apply']) {
      const run = await cli('recon', command, '--dry-run', '--enable', '--batch', 'RBF-x', '--db', test.url);
      assert.equal(run.code, 2, `${command}: ${run.stderr}`);
      assert.match(run.stderr, /unknown option '--dry-run'/);
    }
  });

  it('--evidence-file means file evidence, and contradicts another --evidence', async () => {
    const file = join(test.dir, 'evidence.json');
    writeFileSync(file, JSON.stringify({ fills: [], positions: [] }));
    const run = await cli('recon', 'run', '--enable', '--evidence-file', file, '--db', test.url, ...LOOKBACK, '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { audit: { reason: string; evidence: { gates?: { reason: string; detail: string }[] } }[] };
    // An empty file shows no exchange position: every lifecycle is refused for lack of evidence, not judged on the tables.
    assert.ok(result.audit.length > 0);
    for (const row of result.audit) {
      assert.ok(
        row.evidence.gates?.some((gate) => gate.reason === 'evidence_incomplete' && /no exchange position observed/.test(gate.detail)),
        JSON.stringify(row),
      );
    }
    const both = await cli('recon', 'run', '--enable', '--evidence', 'table', '--evidence-file', file, '--db', test.url);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--evidence-file goes with --evidence file/);
  });

  it('--dust-rel-pct above 0.01 is refused (exit 2) unless --allow-wide-dust; the threshold each decision used is shown', async () => {
    const wide = await cli('recon', 'run', '--enable', '--dust-rel-pct', '1', '--db', test.url, ...LOOKBACK);
    assert.equal(wide.code, 2, wide.stderr);
    assert.match(wide.stderr, /above 0\.01.*--allow-wide-dust/);
    const allowed = await cli('recon', 'run', '--enable', '--dust-rel-pct', '1', '--allow-wide-dust', '--db', test.url, ...LOOKBACK);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /dust_threshold/);
    const audit = await cli('recon', 'audit', '--db', test.url, '--json');
    const rows = JSON.parse(audit.stdout) as { decision: string; dustThreshold: string | null }[];
    assert.ok(
      rows.filter((r) => r.decision === 'DRY_RUN').every((r) => r.dustThreshold !== null),
      'every dry-run row records its threshold',
    );
  });
});
