import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import { parseCcxtDump } from '../../src/evidence/ccxt-dump.ts';
import { decideFreqtrade } from '../../src/ledgers/freqtrade/decide.ts';
import { groupFills, matchFills } from '../../src/ledgers/freqtrade/match.ts';
import type { FtOrder } from '../../src/ledgers/freqtrade/rows.ts';
import { ftTrade } from './freqtrade-trade.ts';

const d = (v: string | number) => new Decimal(v);
const at = Date.parse('2026-01-01T01:00:00Z');

/** A sell fill of ETH/USDT for the ccxt dump, with `extra` (fee, fees) over it. */
const fill = (id: string, order: string, price: string, amount: string, extra: Record<string, unknown> = {}) => ({
  id,
  order,
  symbol: 'ETH/USDT',
  side: 'sell',
  price,
  amount,
  cost: String(Number(price) * Number(amount)),
  timestamp: at,
  ...extra,
});
const fees = (text: string) => parseCcxtDump(text).dump.trades.map((t) => t.fees.map((f) => `${f.cost.toFixed()} ${f.currency} ${f.rate?.toFixed() ?? '-'}`));

describe('the ccxt dump reader: fee and fees', () => {
  it("reads ccxt's fees list when the fill has one (fee is then only its reduction, or a part), summing each currency", () => {
    const text = JSON.stringify({
      trades: [
        fill('a', 'x', '100', '1', {
          fee: { cost: '0.05', currency: 'USDT', rate: '0.0005' },
          fees: [
            { cost: '0.05', currency: 'USDT', rate: '0.0005' },
            { cost: '0.03', currency: 'USDT', rate: '0.0003' },
            { cost: '0.001', currency: 'BNB' },
          ],
        }),
      ],
    });
    assert.deepEqual(parseCcxtDump(text).problems, []);
    assert.deepEqual(fees(text), [['0.08 USDT 0.0008', '0.001 BNB -']]);
  });

  it('reads the one fee when the fees list is missing, empty or only placeholders (as freqtrade prefers it); a placeholder fee is none', () => {
    const text = JSON.stringify({
      trades: [
        fill('a', 'x', '100', '1', { fee: { cost: '0.1', currency: 'USDT', rate: '0.001' } }),
        fill('b', 'x', '100', '1', { fee: { cost: '0.1', currency: 'USDT' }, fees: [] }),
        fill('c', 'x', '100', '1', { fee: { cost: null, currency: null }, fees: [{ cost: '0', currency: null }] }),
        fill('d', 'x', '100', '1', { fee: { cost: '0.0002', currency: 'BNB', rate: '0.00075' }, fees: [{ cost: null, currency: null }] }),
        fill('e', 'x', '100', '1', { fees: [] }),
      ],
    });
    assert.deepEqual(parseCcxtDump(text).problems, []);
    assert.deepEqual(fees(text), [['0.1 USDT 0.001'], ['0.1 USDT -'], [], ['0.0002 BNB 0.00075'], []]);
  });

  it('refuses a fee without its currency and a fee given as a JSON number, located in the list', () => {
    const { problems } = parseCcxtDump(
      JSON.stringify({ trades: [fill('a', 'x', '100', '1', { fees: [{ cost: '0.1' }, { cost: 0.2, currency: 'USDT' }, 'x'] })] }),
      'dump.json',
    );
    assert.deepEqual(problems, [
      'dump.json trades[0].fees[0].currency is missing: a fee of 0.1 needs its currency',
      'dump.json trades[0].fees[1].cost is the JSON number 0.2: export numbers as strings (exchange.number = String in ccxt)',
      'dump.json trades[0].fees[2] is not a fee structure',
    ]);
  });

  it("sums an order's fees per currency over its fills; a rate is the currency's fee over the order's cost", () => {
    const { dump } = parseCcxtDump(
      JSON.stringify({
        trades: [
          fill('a', 'x', '100', '3', { fees: [{ cost: '0.15', currency: 'USDT', rate: '0.0005' }] }),
          fill('b', 'x', '110', '1', {
            fees: [
              { cost: '0.055', currency: 'USDT', rate: '0.0005' },
              { cost: '0.0001', currency: 'BNB', rate: '0.0002' },
            ],
          }),
        ],
      }),
    );
    const [order] = groupFills(dump.trades);
    // Order cost 300 + 110 = 410: USDT at 0.0005 on all of it (0.205 in all); BNB at 0.0002 on 110 of it (0.022 of the 410).
    assert.deepEqual(
      order?.fees.map((f) => [f.currency, f.cost.toFixed(), f.rate?.toFixed(), f.rate?.times(410).toDecimalPlaces(15).toFixed()]),
      [
        ['USDT', '0.205', '0.0005', '0.205'],
        ['BNB', '0.0001', order?.fees[1]?.rate?.toFixed(), '0.022'],
      ],
    );
  });
});

/** The trade's entry: 3 ETH bought at 100. */
const entry: FtOrder = {
  id: 1,
  ftTradeId: 1,
  ftOrderSide: 'buy',
  ftPair: 'ETH/USDT',
  ftIsOpen: false,
  ftAmount: d(3),
  ftPrice: d(100),
  orderId: 'e1',
  status: 'closed',
  price: d(100),
  average: d(100),
  stopPrice: null,
  amount: d(3),
  filled: d(3),
  ftFeeBase: null,
  fundingFee: d(0),
  orderFilledDate: '2026-01-01 00:00:00.000000',
};

/** Closes ftTrade() (3 ETH long at 100, fee_open and fee_close estimate 0.001) from one exit order of `fills`. */
function close(fills: unknown[]) {
  const { dump, problems } = parseCcxtDump(JSON.stringify({ trades: fills, balance: { total: { ETH: '0' } } }));
  assert.deepEqual(problems, []);
  return decideFreqtrade({
    trade: ftTrade(),
    orders: [entry],
    match: matchFills(ftTrade(), dump.trades, new Set(['e1'])),
    exchangeQty: d(0),
    flags: { dustAbsQty: d('0.001'), dustRelPct: d('0.002') },
  });
}

const OPEN_VALUE = 3 * 100 * 1.001; // 300.3

describe('the close fee of a ghost trade from a fee list', () => {
  it('several currencies: each valued in the quote currency (a third one by its own rate), fee_close their sum over the cost', () => {
    const decision = close([
      fill('a', 'x', '110', '2', {
        fees: [
          { cost: '0.11', currency: 'USDT', rate: '0.0005' },
          { cost: '0.0002', currency: 'BNB', rate: '0.00025' },
        ],
      }),
      fill('b', 'x', '113', '1', {
        fees: [
          { cost: '0.0565', currency: 'USDT', rate: '0.0005' },
          { cost: '0.0001', currency: 'BNB', rate: '0.00025' },
        ],
      }),
    ]);
    // Cost 220 + 113 = 333, average 111; USDT 0.1665, BNB worth 0.00025 × 333 = 0.08325: 0.24975 USDT, a rate of 0.00075.
    const c = decision.close;
    assert.ok(c !== null, decision.failed.map((f) => f.detail).join('; '));
    assert.deepEqual([c.feeCloseCost?.toNumber(), c.feeCloseCurrency, c.feeClose.toNumber()], [0.24975, 'USDT', 0.00075]);
    const profit = 3 * 111 * (1 - 0.00075) - OPEN_VALUE; // 332.75025 − 300.3
    assert.ok(Math.abs(c.closeProfitAbs.toNumber() - profit) < 1e-9, `${c.closeProfitAbs} is not ${profit}`);
    assert.ok(Math.abs(c.closeProfit.toNumber() - profit / OPEN_VALUE) < 1e-12);
    assert.match(decision.notes.join(';'), /exit fee 0\.1665 USDT \+ 0\.0003 BNB valued as 0\.24975 USDT/);
  });

  it('base and quote without rates: the base part at the average price, and off the amount (ft_fee_base)', () => {
    const decision = close([
      fill('a', 'x', '111', '3', {
        fees: [
          { cost: '0.2', currency: 'USDT' },
          { cost: '0.001', currency: 'ETH' },
        ],
      }),
    ]);
    const rate = Number(((0.2 + 0.001 * 111) / 333).toFixed(8)); // freqtrade rounds a rate it computes to 8 places
    const c = decision.close;
    assert.ok(c !== null, decision.failed.map((f) => f.detail).join('; '));
    assert.deepEqual([c.feeCloseCost?.toNumber(), c.feeCloseCurrency, c.feeClose.toNumber()], [0.311, 'USDT', rate]);
    assert.equal(decision.orders[0]?.feeBase?.toNumber(), 0.001);
    // recalc_trade_from_orders: the exit counts its amount after the base fee; the 0.001 left is dust written off.
    const amount = 3 - 0.001;
    const profit = amount * 111 * (1 - rate) - amount * 100 * 1.001;
    assert.ok(Math.abs(c.closeProfitAbs.toNumber() - profit) < 1e-8, `${c.closeProfitAbs} is not ${profit}`);
    assert.equal(decision.dustQty.toNumber(), 0.001);
  });

  it('a third currency without a rate cannot be valued: the fee_close estimate stays, and the audit says why', () => {
    const several = close([
      fill('a', 'x', '111', '3', {
        fees: [
          { cost: '0.2', currency: 'USDT' },
          { cost: '0.001', currency: 'BNB' },
        ],
      }),
    ]);
    assert.deepEqual([several.close?.feeClose.toNumber(), several.close?.feeCloseCost, several.close?.feeCloseCurrency], [0.001, null, null]);
    assert.match(several.notes.join(';'), /a part has no rate and no price here, so fee_close stays 0\.001/);
    // One currency alone: freqtrade's update_fee records its cost and currency and keeps the rate it had.
    const alone = close([fill('a', 'x', '111', '3', { fees: [{ cost: '0.001', currency: 'BNB' }] })]);
    assert.deepEqual([alone.close?.feeClose.toNumber(), alone.close?.feeCloseCost?.toNumber(), alone.close?.feeCloseCurrency], [0.001, 0.001, 'BNB']);
  });

  it('one currency in several parts is one fee; a rate of 2 % or more is refused, as freqtrade refuses it', () => {
    const parts = close([
      fill('a', 'x', '111', '3', {
        fees: [
          { cost: '0.2', currency: 'USDT' },
          { cost: '0.133', currency: 'USDT' },
        ],
      }),
    ]);
    assert.deepEqual([parts.close?.feeCloseCost?.toNumber(), parts.close?.feeCloseCurrency, parts.close?.feeClose.toNumber()], [0.333, 'USDT', 0.001]);
    const high = close([fill('a', 'x', '111', '3', { fees: [{ cost: '6.66', currency: 'USDT' }] })]);
    assert.deepEqual([high.close?.feeClose.toNumber(), high.close?.feeCloseCost, high.close?.feeCloseCurrency], [0.001, null, null]);
    assert.match(high.notes.join(';'), /a rate of 0\.02 \(2 % or more\): freqtrade rejects it/);
  });

  it('a fill with an empty fees list beside its fee closes with that fee, not the estimate', () => {
    const decision = close([fill('a', 'x', '111', '3', { fee: { cost: '0.1665', currency: 'USDT', rate: '0.0005' }, fees: [] })]);
    assert.deepEqual(
      [decision.close?.feeCloseCost?.toNumber(), decision.close?.feeCloseCurrency, decision.close?.feeClose.toNumber()],
      [0.1665, 'USDT', 0.0005],
    );
  });
});
