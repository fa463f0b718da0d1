import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.ts';
import { ccxtEvidence } from '../../src/evidence/ccxt.ts';
import type { EvidenceQuery, EvidenceSource } from '../../src/evidence/port.ts';
import { ExchangeSimulator, type SimulatedTrade } from '../helpers/exchange-simulator.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-02-01T00:00:00.000Z');
const WINDOW = { since: new Date(T0), until: new Date(T0 + 60 * HOUR) };

function trade(id: number, time: number, extra: Partial<SimulatedTrade> = {}): SimulatedTrade {
  return { market: 'spot', symbol: 'BTCUSDT', id, orderId: 1000 + id, side: 'SELL', qty: '0.001', price: '60000.01', time, ...extra };
}

describe('ccxt evidence against a simulated Binance', () => {
  let sim: ExchangeSimulator;
  const sources: EvidenceSource[] = [];

  async function source(extra: { pageLimit?: number; maxPages?: number; options?: Record<string, unknown>; profileId?: string } = {}): Promise<EvidenceSource> {
    const opened = await ccxtEvidence({
      exchange: 'binance',
      options: { ...sim.ccxtOptions(), ...(extra.options === undefined ? {} : { options: extra.options }) },
      profileId: extra.profileId ?? 'p1',
      ...(extra.pageLimit === undefined ? {} : { pageLimit: extra.pageLimit }),
      ...(extra.maxPages === undefined ? {} : { maxPages: extra.maxPages }),
    });
    sources.push(opened);
    return opened;
  }

  function query(symbols: string[]): EvidenceQuery {
    return { profileId: 'p1', symbols, ...WINDOW };
  }

  before(async () => {
    sim = await ExchangeSimulator.start();
    sim.trades.push(
      trade(1, T0 - 1, { qty: '5' }), // before the window
      trade(2, T0, { qty: '0.00000001', orderId: 77 }), // on the window's start: inclusive
      trade(3, T0 + 1 * HOUR, { orderId: 77, side: 'BUY' }),
      // Three trades in one millisecond: a page of 4 from the start ends inside them.
      trade(4, T0 + 2 * HOUR),
      trade(5, T0 + 3 * HOUR),
      trade(6, T0 + 3 * HOUR),
      trade(7, T0 + 3 * HOUR),
      // More digits than a float holds: only ccxt's string numbers keep them.
      trade(8, T0 + 30 * HOUR, { qty: '1234567890.123456789' }),
      trade(9, T0 + 50 * HOUR),
      trade(10, T0 + 60 * HOUR), // on the window's end: inclusive
      trade(11, T0 + 60 * HOUR + 1), // after the window
      trade(12, T0 + 5 * HOUR, { symbol: 'ETHUSDT' }),
      trade(13, T0 + 6 * HOUR, { market: 'usdm', side: 'BUY', qty: '0.123' }),
      trade(14, T0 + 100 * HOUR, { market: 'usdm', qty: '0.123' }),
    );
    sim.balances.set('BTC', { free: '0.5', locked: '0.00000001' });
    sim.balances.set('SOL', { free: '0.00000000', locked: '0.00000000' });
    sim.positions.set('BTCUSDT', '0.000');
    sim.positions.set('ETHUSDT', '-1.500');
  });
  afterEach(() => sim.reset());
  after(async () => {
    for (const s of sources) await s.close();
    await sim?.close();
  });

  it('pages through the window and returns every fill exactly once, with exact decimals', async () => {
    const evidence = await (await source({ pageLimit: 4 })).gather(query(['BTC/USDT']));
    assert.deepEqual(evidence.problems, []);
    assert.equal(evidence.complete, true);
    assert.deepEqual(
      evidence.fills.map((f) => `${f.exchangeTradeId}:${f.exchangeOrderId}:${f.side}:${f.quantity.toFixed()}:${f.filledAt.toISOString()}`),
      [
        '2:77:sell:0.00000001:2026-02-01T00:00:00.000Z',
        '3:77:buy:0.001:2026-02-01T01:00:00.000Z',
        '4:1004:sell:0.001:2026-02-01T02:00:00.000Z',
        '5:1005:sell:0.001:2026-02-01T03:00:00.000Z',
        '6:1006:sell:0.001:2026-02-01T03:00:00.000Z',
        '7:1007:sell:0.001:2026-02-01T03:00:00.000Z',
        '8:1008:sell:1234567890.123456789:2026-02-02T06:00:00.000Z',
        '9:1009:sell:0.001:2026-02-03T02:00:00.000Z',
        '10:1010:sell:0.001:2026-02-03T12:00:00.000Z',
      ],
    );
    const first = evidence.fills[0]!;
    assert.equal(first.symbol, 'BTC/USDT');
    assert.equal(first.profileId, 'p1');
    assert.equal(first.price?.toFixed(), '60000.01');
    assert.equal(first.clientOrderId, null);
    // Several pages, each inside the one-day span Binance spot allows (the simulator refuses wider).
    const pages = sim.calls('/api/v3/myTrades');
    assert.ok(pages.length >= 4, `only ${pages.length} pages`);
    for (const page of pages) {
      assert.equal(page.query.get('limit'), '4');
      assert.ok(Number(page.query.get('endTime')) - Number(page.query.get('startTime')) <= 24 * HOUR);
    }
    assert.equal(Number(pages[0]!.query.get('startTime')), T0);
    // The second page starts at the first page's last millisecond, so trade 5 comes twice and is kept once.
    assert.equal(Number(pages[1]!.query.get('startTime')), T0 + 3 * HOUR);
    assert.equal(Number(pages.at(-1)!.query.get('endTime')), T0 + 60 * HOUR);
  });

  it('reports incomplete evidence when the page cap is reached', async () => {
    const evidence = await (await source({ pageLimit: 3, maxPages: 2 })).gather(query(['BTC/USDT']));
    assert.equal(evidence.complete, false);
    assert.equal(evidence.problems.length, 1);
    assert.match(
      evidence.problems[0]!,
      /^binance fetchMyTrades BTC\/USDT: stopped after 2 pages of 3 trades at 2026-02-01T03:00:00\.000Z, before the window's end/,
    );
    assert.equal(sim.calls('/api/v3/myTrades').length, 2);
  });

  it('reports incomplete evidence when a whole page shares one millisecond (it cannot page past it safely)', async () => {
    const evidence = await (await source({ pageLimit: 2 })).gather(query(['BTC/USDT']));
    assert.equal(evidence.complete, false);
    assert.deepEqual(evidence.problems, [
      'binance fetchMyTrades BTC/USDT: a full page of 2 trades all at 2026-02-01T03:00:00.000Z; raise pageLimit so that one page holds them',
    ]);
  });

  it('reports a server error as incomplete evidence carrying the exchange’s message', async () => {
    sim.fail('/api/v3/myTrades', 500, '{"code":-1000,"msg":"simulated outage"}');
    const evidence = await (await source()).gather(query(['BTC/USDT']));
    assert.equal(evidence.complete, false);
    assert.equal(evidence.fills.length, 0);
    assert.match(evidence.problems[0]!, /^binance fetchMyTrades BTC\/USDT failed on page 1 \(from 2026-02-01T00:00:00\.000Z\): .*simulated outage/);
  });

  it('never shows the credentials in a problem line, even when the exchange echoes them', async () => {
    sim.fail('/api/v3/myTrades', 400, '{"code":-2014,"msg":"API-key format invalid: simulated-key (secret simulated-secret)"}');
    const evidence = await (await source()).gather(query(['BTC/USDT']));
    assert.equal(evidence.complete, false);
    assert.match(evidence.problems[0]!, /API-key format invalid: \*\*\* \(secret \*\*\*\)/);
    assert.ok(!evidence.problems.join('\n').includes('simulated-'), evidence.problems.join('\n'));
  });

  it('keeps the pages fetched before a failure but still reports incomplete', async () => {
    sim.fail('/api/v3/myTrades', 500, '{"code":-1000,"msg":"simulated outage"}', 1);
    const evidence = await (await source({ pageLimit: 3 })).gather(query(['BTC/USDT']));
    assert.equal(evidence.complete, false);
    assert.deepEqual(
      evidence.fills.map((f) => f.exchangeTradeId),
      ['2', '3', '4'],
    );
    assert.match(evidence.problems[0]!, /failed on page 2 \(from 2026-02-01T02:00:00\.000Z\): .*simulated outage/);
  });

  it('takes a spot position from the base currency’s total balance; 0 is flat, a missing currency is not observed', async () => {
    const evidence = await (await source()).gather(query(['BTC/USDT', 'SOL/USDT', 'ETH/USDT']));
    assert.equal(evidence.complete, true);
    assert.equal(evidence.positions.get('BTC/USDT')?.quantity.toFixed(), '0.50000001');
    assert.equal(evidence.positions.get('SOL/USDT')?.quantity.isZero(), true);
    assert.equal(evidence.positions.has('ETH/USDT'), false);
    assert.deepEqual(
      evidence.fills.filter((f) => f.symbol === 'ETH/USDT').map((f) => f.exchangeTradeId),
      ['12'],
    );
    assert.equal(sim.calls('/api/v3/account').length, 1);
  });

  it('a failed balance call leaves the positions unobserved and says why, without doubting the fills', async () => {
    sim.fail('/api/v3/account', 500, '{"code":-1001,"msg":"balance unavailable"}');
    const evidence = await (await source()).gather(query(['BTC/USDT']));
    assert.equal(evidence.positions.size, 0);
    assert.equal(evidence.complete, true);
    assert.match(evidence.problems.join('\n'), /^binance fetchBalance failed, no position for BTC\/USDT: .*balance unavailable/);
  });

  it('takes a contract position from fetchPositions and contract fills from the futures endpoint', async () => {
    const evidence = await (await source()).gather(query(['BTC/USDT:USDT', 'ETH/USDT:USDT']));
    assert.equal(evidence.complete, true);
    assert.deepEqual(
      evidence.fills.map((f) => `${f.symbol}:${f.exchangeTradeId}:${f.side}:${f.quantity.toFixed()}`),
      ['BTC/USDT:USDT:13:buy:0.123'],
    );
    // The size of the position, whichever its side.
    assert.equal(evidence.positions.get('ETH/USDT:USDT')?.quantity.toFixed(), '1.5');
    // ccxt's default Binance method lists open positions only, so a flat one is absent: not observed, never flat.
    assert.equal(evidence.positions.has('BTC/USDT:USDT'), false);
    assert.equal(sim.calls('/fapi/v3/positionRisk').length, 1);
    assert.equal(sim.calls('/api/v3/account').length, 0);
  });

  it('observes a flat contract position as 0 where the exchange lists it (Binance’s account method)', async () => {
    const evidence = await (await source({ options: { fetchPositions: 'account' } })).gather(query(['BTC/USDT:USDT', 'ETH/USDT:USDT']));
    assert.equal(evidence.positions.get('BTC/USDT:USDT')?.quantity.isZero(), true);
    assert.equal(evidence.positions.get('ETH/USDT:USDT')?.quantity.toFixed(), '1.5');
    assert.equal(sim.calls('/fapi/v3/account').length, 1);
  });

  it('resolves an unambiguous exchange market id and refuses unknown or ambiguous symbols as incomplete', async () => {
    const evidence = await (await source()).gather(query(['SOLUSDT', 'BTCUSDT', 'NOPE/USDT']));
    assert.equal(evidence.complete, false);
    assert.equal(evidence.positions.get('SOLUSDT')?.quantity.isZero(), true);
    assert.deepEqual(evidence.problems, [
      'BTCUSDT names 2 binance markets (BTC/USDT, BTC/USDT:USDT): use the ccxt symbol in the ledger',
      'NOPE/USDT is not a binance market (ccxt symbols look like BTC/USDT or BTC/USDT:USDT)',
    ]);
  });

  it('gives no evidence for another profile than the credentials’', async () => {
    const evidence = await (await source()).gather({ ...query(['BTC/USDT']), profileId: 'p2' });
    assert.equal(evidence.complete, false);
    assert.deepEqual(evidence.problems, ['the ccxt evidence source holds the credentials of profile p1, not p2 (recon.evidence.profile)']);
    assert.equal(sim.requests.length, 0);
  });

  it('reports a failed market load as incomplete', async () => {
    sim.fail('/api/v3/exchangeInfo', 503, 'Service Unavailable');
    const evidence = await (await source()).gather(query(['BTC/USDT']));
    assert.equal(evidence.complete, false);
    assert.match(evidence.problems[0]!, /^binance loadMarkets failed: /);
  });

  it('refuses an unknown exchange id or bad paging settings at construction', async () => {
    await assert.rejects(
      ccxtEvidence({ exchange: 'nosuchexchange', options: {}, profileId: 'p1' }),
      (error: unknown) => error instanceof UsageError && /recon\.evidence\.exchange 'nosuchexchange' is not a ccxt exchange id/.test(error.message),
    );
    await assert.rejects(ccxtEvidence({ exchange: 'binance', options: {}, profileId: 'p1', maxPages: 0 }), UsageError);
  });
});
