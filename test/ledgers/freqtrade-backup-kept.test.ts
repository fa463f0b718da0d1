import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { CCXT_DUMP, plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

/** trades.is_open of trade `id` in a SQLite file. */
function isOpen(file: string, id: number): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare('SELECT is_open FROM trades WHERE id = ?').get(id) as { is_open: number }).is_open;
  } finally {
    db.close();
  }
}

describe('the backup taken before an apply is never overwritten by a later one', () => {
  let test: TestDatabase;
  let evidence: string;
  const base = () => ['--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--json'];
  before(async () => {
    ({ test, evidence } = await plantedFreqtradeDatabase('sqlite'));
  });
  after(async () => test.cleanup());

  it('applying a planned batch a second time keeps the first backup, which still holds the trades before the batch', async () => {
    const plan = await cli('recon', 'plan', ...base(), '--enable');
    assert.equal(plan.code, 0, plan.stderr);
    const { batchId } = JSON.parse(plan.stdout) as { batchId: string };
    // Trade 3's evidence changes after the plan: the first apply closes trade 2 only; the operator applies again.
    const changed = structuredClone(CCXT_DUMP);
    const sol = changed.trades.find((t) => t.order === 'x3');
    if (sol !== undefined) sol.price = '141';
    writeFileSync(evidence, JSON.stringify(changed));
    const first = await cli('recon', 'apply', ...base(), '--enable', '--no-dry-run', '--batch', batchId);
    assert.equal(first.code, 0, first.stderr);
    const firstBackup = JSON.parse(first.stdout).backup as string;
    assert.equal(isOpen(firstBackup, 2), 1, 'the first backup holds trade 2 still open');
    const second = await cli('recon', 'apply', ...base(), '--enable', '--no-dry-run', '--batch', batchId);
    assert.equal(second.code, 0, second.stderr);
    const secondBackup = JSON.parse(second.stdout).backup as string;
    assert.notEqual(secondBackup, firstBackup);
    assert.equal(isOpen(firstBackup, 2), 1, 'the first backup still holds the state before the batch');
    assert.equal(isOpen(secondBackup, 2), 0);
  });

  it('an apply refused because the batch has nothing left open (exit 3) writes no backup either', async () => {
    writeFileSync(evidence, JSON.stringify(CCXT_DUMP));
    const plan = await cli('recon', 'plan', ...base(), '--enable');
    assert.equal(plan.code, 0, plan.stderr);
    const { batchId } = JSON.parse(plan.stdout) as { batchId: string };
    const first = await cli('recon', 'apply', ...base(), '--enable', '--no-dry-run', '--batch', batchId);
    assert.equal(first.code, 0, first.stderr);
    const backups = () => readdirSync(test.dir).filter((name) => name.endsWith('.bak'));
    const before = backups();
    const again = await cli('recon', 'apply', ...base(), '--enable', '--no-dry-run', '--batch', batchId);
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /has no trade left open to apply: nothing was written/);
    assert.deepEqual(backups(), before);
  });
});
