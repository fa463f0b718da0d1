import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { createFreqtradeDatabase } from '../helpers/freqtrade.ts';
import { EXPECTED_T2, plantFreqtradeScenario } from './freqtrade-fixture.ts';

describe('recon --ledger freqtrade with the bot-ledger evidence file (no fees in it)', () => {
  let test: TestDatabase;
  before(async () => {
    const made = await createFreqtradeDatabase('sqlite');
    test = made.test;
    await plantFreqtradeScenario(made.db, 'sqlite');
    await made.db.close();
  });
  after(async () => test.cleanup());

  it("closes the ghost from fills and positions of profile 'freqtrade', keeping the trade's fee estimate", async () => {
    const file = join(test.dir, 'fills.json');
    const fill = (id: string, quantity: string, price: string, at: string) => ({
      profile_id: 'freqtrade',
      symbol: 'ETH/USDT',
      exchange_order_id: 'x2',
      exchange_trade_id: id,
      side: 'sell',
      quantity,
      price,
      filled_at: at,
    });
    writeFileSync(
      file,
      JSON.stringify({
        fills: [fill('f-x2a', '0.3', '3100', '2026-01-13T10:00:00Z'), fill('f-x2b', '0.2', '3110', '2026-01-13T10:00:05.250Z')],
        positions: [{ profile_id: 'freqtrade', symbol: 'ETH/USDT', quantity: '0', observed_at: '2026-01-14T00:00:00Z' }],
      }),
    );
    const run = await cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence-file', file, '--enable', '--no-dry-run', '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { decisions: { tradeId: number; decision: string; reason: string | null }[] };
    assert.deepEqual(
      result.decisions.map((d) => `${d.tradeId}:${d.decision}:${d.reason}`),
      [
        '2:APPLIED:null',
        '3:NO_GO:exchange_position_unknown',
        '6:NO_GO:exchange_position_unknown',
        '8:NO_GO:exchange_position_unknown',
        '9:NO_GO:exchange_position_unknown',
      ],
    );
    const db = await openDatabase(test.url);
    const [t2] = await db.query<Record<string, unknown>>('SELECT close_profit_abs, fee_close, fee_close_cost FROM trades WHERE id = 2');
    await db.close();
    // The trade's fee_close (0.001) is the rate the dump reported too, so the profit is the same.
    assert.equal(Number(t2?.['close_profit_abs']), EXPECTED_T2.closeProfitAbs);
    assert.equal(t2?.['fee_close_cost'], null);
  });

  it('refuses the table source: a freqtrade database has no exchange_fills (exit 2)', async () => {
    const run = await cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence', 'table', '--enable');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /has no exchange_fills table: give --evidence-file dump\.json/);
  });
});
