import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import { ftDate } from '../../src/ledgers/freqtrade/decide.ts';
import { cli } from '../helpers/cli.ts';
import { ExchangeSimulator } from '../helpers/exchange-simulator.ts';
import { createFreqtradeDatabase, insertRow, orderRow, tradeRow } from '../helpers/freqtrade.ts';
import type { TestDatabase } from '../helpers/databases.ts';

describe('recon --ledger freqtrade with live ccxt evidence (a simulated Binance)', () => {
  let sim: ExchangeSimulator;
  let test: TestDatabase;
  let config: string;
  // The ghost opened two hours before the run, so that the exchange is asked for a short span.
  const openMs = Math.floor(Date.now() / 1000) * 1000 - 2 * 3_600_000;
  before(async () => {
    sim = await ExchangeSimulator.start();
    sim.trades.push(
      { market: 'spot', symbol: 'ETHUSDT', id: 1, orderId: 2002, side: 'BUY', qty: '0.5', price: '3000', time: openMs + 1000 },
      { market: 'spot', symbol: 'ETHUSDT', id: 2, orderId: 900, side: 'SELL', qty: '0.3', price: '3100', time: openMs + 3_600_000 },
      { market: 'spot', symbol: 'ETHUSDT', id: 3, orderId: 900, side: 'SELL', qty: '0.2', price: '3110', time: openMs + 3_600_500 },
    );
    sim.balances.set('ETH', { free: '0.00000000', locked: '0.00000000' });
    const made = await createFreqtradeDatabase('sqlite');
    test = made.test;
    await insertRow(made.db, 'trades', tradeRow({ id: 2, pair: 'ETH/USDT', amount: 0.5, open_rate: 3000, stake_amount: 1500, open_date: ftDate(openMs) }));
    await insertRow(
      made.db,
      'orders',
      orderRow({ id: 1, ft_trade_id: 2, ft_pair: 'ETH/USDT', order_id: '2002', ft_order_side: 'buy', amount: 0.5, price: 3000 }),
    );
    await made.db.close();
    config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        ledger: 'freqtrade',
        database: { url: test.url },
        recon: { evidence: { source: 'ccxt', exchange: 'binance', profile: 'freqtrade', options: sim.ccxtOptions() } },
      }),
    );
  });
  after(async () => {
    await sim.close();
    await test.cleanup();
  });

  it('closes the ghost from fetchMyTrades and the spot balance; without fees the trade keeps its fee_close estimate', async () => {
    const run = await cli('recon', 'run', '--config', config, '--enable', '--no-dry-run', '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { decisions: { tradeId: number; decision: string; reason: string | null; exitOrderIds: string[] }[] };
    assert.deepEqual(
      result.decisions.map((d) => `${d.tradeId}:${d.decision}:${d.reason}:${d.exitOrderIds.join(',')}`),
      ['2:APPLIED:null:900'],
    );
    const db = await openDatabase(test.url);
    const [t2] = await db.query<Record<string, unknown>>('SELECT is_open, close_rate, close_profit_abs, fee_close_cost FROM trades WHERE id = 2');
    await db.close();
    // 0.5 × 3104 × (1 − 0.001) − 0.5 × 3000 × (1 + 0.001)
    assert.deepEqual([t2?.['is_open'], Number(t2?.['close_rate']), Number(t2?.['close_profit_abs']), t2?.['fee_close_cost']], [0, 3104, 48.948, null]);
  });
});
