import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import { parseCcxtDump } from '../../src/evidence/ccxt-dump.ts';
import { decideFreqtrade } from '../../src/ledgers/freqtrade/decide.ts';
import { matchFills } from '../../src/ledgers/freqtrade/match.ts';
import { recalcFromOrders } from '../../src/ledgers/freqtrade/profit.ts';
import type { FtOrder } from '../../src/ledgers/freqtrade/rows.ts';
import { ftTrade } from './freqtrade-trade.ts';

const d = (v: string | number) => new Decimal(v);

function order(fields: Partial<FtOrder> & { id: number; ftOrderSide: string; filled: Decimal; average: Decimal }): FtOrder {
  return {
    ftTradeId: 1,
    ftPair: 'ETH/USDT',
    ftIsOpen: false,
    ftAmount: fields.filled,
    ftPrice: fields.average,
    orderId: `o${fields.id}`,
    status: 'closed',
    price: fields.average,
    stopPrice: null,
    amount: fields.filled,
    ftFeeBase: null,
    fundingFee: d(0),
    orderFilledDate: '2026-01-01 00:00:00.000000',
    ...fields,
  };
}

describe("freqtrade's recalc_trade_from_orders, in decimals", () => {
  it('averages two entries (DCA), takes a partial exit at that average, and closes with the sum of both exits', () => {
    const orders = [
      order({ id: 1, ftOrderSide: 'buy', filled: d(1), average: d(100) }),
      order({ id: 2, ftOrderSide: 'buy', filled: d(2), average: d(130) }),
      order({ id: 3, ftOrderSide: 'sell', filled: d(1), average: d(140) }),
      order({ id: 4, ftOrderSide: 'sell', filled: d(2), average: d(150) }),
    ];
    const figures = recalcFromOrders(ftTrade(), orders, true);
    // By hand: average entry (100 + 260) / 3 = 120; stake with fees 100·1.001 + 260·1.001 = 360.36.
    const avg = 120;
    const exit1 = 1 * 140 * 0.999 - 1 * avg * 1.001; // 19.74
    const exit2 = 2 * 150 * 0.999 - 2 * avg * 1.001; // 59.46
    assert.equal(figures.closeProfitAbs.toNumber(), Number((exit1 + exit2).toFixed(8)));
    assert.equal(figures.realizedProfit.toNumber(), Number((exit1 + exit2).toFixed(8)));
    assert.ok(Math.abs(figures.closeProfit.toNumber() - (exit1 + exit2) / 360.36) < 1e-15);
    assert.equal(figures.maxStakeAmount.toNumber(), 360);
    assert.ok(figures.remainingAmount.isZero());
  });

  it("disagrees with the SQL cheat sheet's template for a short, which prices it as a long", () => {
    const short = ftTrade({ isShort: true, tradingMode: 'futures', leverage: d(2), amount: d(1) });
    const orders = [order({ id: 1, ftOrderSide: 'sell', filled: d(1), average: d(100) }), order({ id: 2, ftOrderSide: 'buy', filled: d(1), average: d(90) })];
    const figures = recalcFromOrders(short, orders, true);
    // A short that bought back 10 lower made money: 100·0.999 − 90·1.001 = 9.81.
    assert.equal(figures.closeProfitAbs.toNumber(), 9.81);
    // freqtrade's SQL cheat sheet template (www.freqtrade.io/en/stable/sql_cheatsheet), amount * close_rate * (1 - fee_close) - amount * open_rate * (1 - fee_open),
    // would have written 89.91 − 99.9 = −9.99 for this trade: a loss.
    assert.notEqual(figures.closeProfitAbs.toNumber(), -9.99);
    assert.ok(Math.abs(figures.closeProfit.toNumber() - (9.81 / 99.9) * 2) < 1e-15);
  });
});

describe('matching exchange fills to a freqtrade trade', () => {
  const dump = parseCcxtDump(
    JSON.stringify({
      trades: [
        { id: 't0', order: 'early', symbol: 'ETH/USDT', side: 'sell', price: '90', amount: '3', timestamp: Date.parse('2025-12-31T23:59:49Z') },
        { id: 't1', order: 'edge', symbol: 'ETH/USDT', side: 'sell', price: '110', amount: '1', timestamp: Date.parse('2025-12-31T23:59:50Z') },
        { id: 't2', order: 'known', symbol: 'ETH/USDT', side: 'sell', price: '110', amount: '1', timestamp: Date.parse('2026-01-01T01:00:00Z') },
        { id: 't3', order: 'x', symbol: 'ETH/USDT', side: 'sell', price: '120', amount: '1', timestamp: Date.parse('2026-01-01T02:00:00Z') },
        { id: 't4', order: 'x', symbol: 'ETH/USDT', side: 'sell', price: '130', amount: '1', timestamp: Date.parse('2026-01-01T02:00:01Z') },
        { id: 't5', order: 'other', symbol: 'BTC/USDT', side: 'sell', price: '1', amount: '1', timestamp: Date.parse('2026-01-01T02:00:00Z') },
      ],
      balance: { total: { ETH: '0' } },
    }),
  );

  it('takes the pair, from open_date − 10 s, grouped by order id, skipping orders the database has', () => {
    assert.deepEqual(dump.problems, []);
    const match = matchFills(ftTrade(), dump.dump.trades, new Set(['known']));
    assert.deepEqual(
      match.exits.map((o) => `${o.orderId}:${o.filled.toFixed()}@${o.average.toFixed()}`),
      ['edge:1@110', 'x:2@125'],
    );
    const decision = decideFreqtrade({ trade: ftTrade({ amount: d(3) }), orders: [], match, exchangeQty: d(0), flags: { dustAbsQty: d(0), dustRelPct: d(0) } });
    assert.equal(decision.go, true);
    assert.equal(decision.close?.closeRate.toNumber(), 125);
    assert.equal(decision.close?.closeDate, '2026-01-01 02:00:01.000000');
  });

  it('refuses a remainder above the dust threshold and an exchange that is not flat', () => {
    const match = matchFills(ftTrade(), dump.dump.trades, new Set(['known', 'edge']));
    const decision = decideFreqtrade({
      trade: ftTrade({ amount: d(3) }),
      orders: [],
      match,
      exchangeQty: d('0.5'),
      flags: { dustAbsQty: d('0.001'), dustRelPct: d(0) },
    });
    assert.deepEqual(
      decision.failed.map((f) => f.reason),
      ['exchange_not_flat', 'missing_fill_evidence_for_large_remainder'],
    );
    assert.equal(decision.close, null);
  });
});

describe('a ghost whose exit order the database knows, still open', () => {
  it('is a no-go that says to let freqtrade update the order itself', () => {
    const { dump } = parseCcxtDump(
      JSON.stringify({
        trades: [{ id: 't1', order: 'k', symbol: 'ETH/USDT', side: 'sell', price: '110', amount: '3', timestamp: Date.parse('2026-01-01T01:00:00Z') }],
        balance: { total: { ETH: '0' } },
      }),
    );
    const match = matchFills(ftTrade(), dump.trades, new Set(['k']), new Set(['k']));
    assert.deepEqual(match.exits, []);
    const decision = decideFreqtrade({ trade: ftTrade(), orders: [], match, exchangeQty: d(0), flags: { dustAbsQty: d(0), dustRelPct: d(0) } });
    assert.deepEqual(
      decision.failed.map((f) => f.reason),
      ['open_order_in_database', 'missing_fill_evidence_for_large_remainder'],
    );
    assert.match(decision.failed[0]?.detail ?? '', /order\(s\) k filled on the exchange are still open in the database/);
  });
});

describe('the ccxt dump reader', () => {
  it('refuses JSON numbers, naming the field and the ccxt setting, and lists every problem', () => {
    const { problems } = parseCcxtDump(
      JSON.stringify({
        trades: [
          { id: 'a', order: 'o', symbol: 'ETH/USDT', side: 'sell', price: 0.1, amount: '1', timestamp: 1 },
          { id: 'b', order: '', symbol: 'ETH/USDT', side: 'short', price: '1', amount: '-1', timestamp: 'x' },
        ],
      }),
      'dump.json',
    );
    assert.deepEqual(problems, [
      'dump.json trades[0].price is the JSON number 0.1: export numbers as strings (exchange.number = String in ccxt)',
      'dump.json trades[1].order is missing: every fill needs its exchange order id',
      'dump.json trades[1].side is "short", not buy or sell',
      'dump.json trades[1].timestamp is "x", not milliseconds since 1970',
      'dump.json trades[1].amount must be above 0',
    ]);
  });

  it('reads positions as signed base quantities and the balance totals', () => {
    const { dump, problems } = parseCcxtDump(
      JSON.stringify({
        trades: [],
        positions: [{ symbol: 'SOL/USDT:USDT', side: 'short', contracts: '3', contractSize: '10' }],
        balance: { total: { SOL: '0.5' } },
      }),
    );
    assert.deepEqual(problems, []);
    assert.equal(dump.positions[0]?.quantity.toFixed(), '-30');
    assert.equal(dump.balanceTotal?.get('SOL')?.toFixed(), '0.5');
  });

  it('refuses a file that is not a dump', () => {
    assert.match(parseCcxtDump('{"fills": []}').problems[0] ?? '', /not a ccxt dump/);
    assert.match(parseCcxtDump('nope').problems[0] ?? '', /not JSON/);
  });
});
