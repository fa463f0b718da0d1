import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { dumpTable } from '../helpers/freqtrade.ts';
import { CCXT_DUMP, plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

describe('recon apply --ledger freqtrade re-checks the fees a plan was reviewed with', () => {
  let test: TestDatabase;
  let evidence: string;
  const base = () => ['--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--json', '--enable'];
  const trade = async (id: number) => {
    const db = await openDatabase(test.url);
    const rows = (await dumpTable(db, 'trades')) as Record<string, unknown>[];
    const orders = ((await dumpTable(db, 'orders')) as Record<string, unknown>[]).filter((o) => o['ft_trade_id'] === id);
    await db.close();
    return { trade: rows.find((r) => r['id'] === id), orders };
  };
  before(async () => {
    ({ test, evidence } = await plantedFreqtradeDatabase('sqlite'));
  });
  after(async () => test.cleanup());

  it('a dump regenerated with another fee for a planned trade is evidence_changed_since_plan: nothing written for it', async () => {
    // Fees written differently but equal (0.930 for 0.93) are the same evidence.
    const same = structuredClone(CCXT_DUMP);
    const x2a = same.trades.find((t) => t.id === 'f-x2a');
    if (x2a !== undefined) x2a.fee = { cost: '0.930', currency: 'USDT', rate: '0.0010' };
    writeFileSync(evidence, JSON.stringify(same));
    const plan = await cli('recon', 'plan', ...base());
    assert.equal(plan.code, 0, plan.stderr);
    const { batchId, counts } = JSON.parse(plan.stdout) as { batchId: string; counts: Record<string, number> };
    assert.deepEqual(counts, { PENDING_APPLY: 2, NO_GO: 3 });
    const before3 = await trade(3);

    // Only the fee of trade 3's buy-back differs (0.84 USDT at 0.06 % where the plan saw 0.7 at 0.05 %).
    const changed = structuredClone(CCXT_DUMP);
    const x3 = changed.trades.find((t) => t.id === 'f-x3');
    assert.ok(x3 !== undefined);
    x3.fee = { cost: '0.84', currency: 'USDT', rate: '0.0006' };
    writeFileSync(evidence, JSON.stringify(changed));
    const apply = await cli('recon', 'apply', ...base(), '--no-dry-run', '--batch', batchId);
    assert.equal(apply.code, 0, apply.stderr);
    const applied = JSON.parse(apply.stdout) as { decisions: { tradeId: number; decision: string; reason: string | null }[] };
    assert.deepEqual(
      applied.decisions.map((d) => `${d.tradeId}:${d.decision}:${d.reason}`),
      ['2:APPLIED:null', '3:NO_GO:evidence_changed_since_plan'],
    );
    assert.deepEqual(await trade(3), before3);
  });
});
