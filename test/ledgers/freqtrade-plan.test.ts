import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { dumpTable, freqtradeRows } from '../helpers/freqtrade.ts';
import { CCXT_DUMP, plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`recon plan, then apply --batch, --ledger freqtrade on ${kind}`, () => {
    let test: TestDatabase;
    let evidence: string;
    const base = () => ['--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--json'];
    before(async () => {
      ({ test, evidence } = await plantedFreqtradeDatabase(kind));
    });
    after(async () => test.cleanup());

    it('plan records PENDING_APPLY rows and touches no freqtrade row; apply re-checks the evidence hash per trade', async () => {
      const db = await openDatabase(test.url);
      const before = await freqtradeRows(db);
      await db.close();
      const plan = await cli('recon', 'plan', ...base(), '--enable');
      assert.equal(plan.code, 0, plan.stderr);
      const planned = JSON.parse(plan.stdout) as { batchId: string; counts: Record<string, number> };
      assert.deepEqual(planned.counts, { PENDING_APPLY: 2, NO_GO: 3 });
      const mid = await openDatabase(test.url);
      assert.deepEqual([await dumpTable(mid, 'trades'), await dumpTable(mid, 'orders')], before);
      await mid.close();

      // The SOL buy-back now shows a different price: trade 3's plan no longer holds, trade 2's does.
      const changed = structuredClone(CCXT_DUMP);
      const sol = changed.trades.find((t) => t.order === 'x3');
      if (sol !== undefined) sol.price = '141';
      writeFileSync(evidence, JSON.stringify(changed));
      const apply = await cli('recon', 'apply', ...base(), '--enable', '--no-dry-run', '--batch', planned.batchId);
      assert.equal(apply.code, 0, apply.stderr);
      const applied = JSON.parse(apply.stdout) as { decisions: { tradeId: number; decision: string; reason: string | null }[] };
      assert.deepEqual(
        applied.decisions.map((d) => `${d.tradeId}:${d.decision}:${d.reason}`),
        ['2:APPLIED:null', '3:NO_GO:evidence_changed_since_plan'],
      );
      // Applying the batch again closes nothing twice: trade 2 is closed, trade 3's evidence still differs.
      const orders = async () => {
        const check = await openDatabase(test.url);
        const rows = await dumpTable(check, 'orders');
        await check.close();
        return rows;
      };
      const ordersAfter = await orders();
      const again = await cli('recon', 'apply', ...base(), '--enable', '--no-dry-run', '--batch', planned.batchId);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout).counts, { NO_GO: 1 });
      assert.deepEqual(await orders(), ordersAfter);
      const unknown = await cli('recon', 'apply', ...base(), '--enable', '--no-dry-run', '--batch', 'FT-nope');
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no batch FT-nope in the audit/);
    });
  });
}
