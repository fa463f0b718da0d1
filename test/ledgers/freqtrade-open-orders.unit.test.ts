import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import { parseCcxtDump } from '../../src/evidence/ccxt-dump.ts';
import { decideFreqtrade } from '../../src/ledgers/freqtrade/decide.ts';
import { matchFills } from '../../src/ledgers/freqtrade/match.ts';
import type { FtOrder } from '../../src/ledgers/freqtrade/rows.ts';
import { ftTrade } from './freqtrade-trade.ts';

const d = (v: string | number) => new Decimal(v);

const trade = ftTrade({ amount: d(2), stakeAmount: d(200) });

function order(fields: Partial<FtOrder> & { id: number; orderId: string; ftOrderSide: string }): FtOrder {
  return {
    ftTradeId: 1,
    ftPair: 'ETH/USDT',
    ftIsOpen: false,
    ftAmount: d(2),
    ftPrice: d(100),
    status: 'closed',
    price: d(100),
    average: d(100),
    stopPrice: null,
    amount: d(2),
    filled: d(2),
    ftFeeBase: null,
    fundingFee: d(0),
    orderFilledDate: '2026-01-01 00:00:00.000000',
    ...fields,
  };
}

describe('a ghost trade with an order still open in the database is not closed', () => {
  // The exchange sold the 2 ETH by hand; the database still has the bot's DCA buy (or a stoploss) working.
  const { dump } = parseCcxtDump(
    JSON.stringify({
      trades: [{ id: 'f1', order: 'manual', symbol: 'ETH/USDT', side: 'sell', price: '110', amount: '2', timestamp: Date.parse('2026-01-01T01:00:00Z') }],
      balance: { total: { ETH: '0' } },
    }),
  );
  const decide = (orders: FtOrder[]) =>
    decideFreqtrade({
      trade,
      orders,
      match: matchFills(trade, dump.trades, new Set(orders.map((o) => o.orderId))),
      exchangeQty: d(0),
      flags: { dustAbsQty: d(0), dustRelPct: d(0) },
    });

  it('goes when every order of the trade is settled', () => {
    assert.equal(decide([order({ id: 1, orderId: 'entry', ftOrderSide: 'buy' })]).go, true);
  });

  it('refuses while an entry or a stoploss order is open in the database: closed over it, the trade would carry an open order freqtrade still fills or settles', () => {
    for (const open of [
      order({ id: 2, orderId: 'dca', ftOrderSide: 'buy', ftIsOpen: true, status: 'open', filled: d(0) }),
      order({ id: 2, orderId: 'sl', ftOrderSide: 'stoploss', ftIsOpen: true, status: 'open', filled: d(0), average: null }),
    ]) {
      const decision = decide([order({ id: 1, orderId: 'entry', ftOrderSide: 'buy' }), open]);
      assert.equal(decision.go, false, open.orderId);
      assert.deepEqual(
        decision.failed.map((f) => f.reason),
        ['open_order_in_database'],
      );
      assert.match(decision.failed[0]?.detail ?? '', new RegExp(`${open.orderId}.*ft_is_open = 1`));
      assert.equal(decision.close, null);
    }
  });
});
