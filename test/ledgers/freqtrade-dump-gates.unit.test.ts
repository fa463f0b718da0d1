import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import { parseCcxtDump } from '../../src/evidence/ccxt-dump.ts';
import { dumpEvidence } from '../../src/ledgers/freqtrade/evidence.ts';
import type { FtTrade } from '../../src/ledgers/freqtrade/rows.ts';

// A futures short on SOL, as the exchange-flat gate reads it.
const futuresTrade = { pair: 'SOL/USDT:USDT', tradingMode: 'futures', baseCurrency: 'SOL', isShort: true, contractSize: new Decimal(1) } as FtTrade;

describe('ccxt dump: the exchange-flat gate needs positions it was given', () => {
  it('a dump with a balance but no positions list does not say a futures position is flat', () => {
    const { dump, problems } = parseCcxtDump(JSON.stringify({ trades: [], balance: { total: { USDT: '2000' } } }));
    assert.deepEqual(problems, []);
    // fetchBalance says nothing about open contracts: the position is unknown, not 0.
    assert.equal(dumpEvidence(dump).exchangeQty(futuresTrade), null);
  });

  it('an empty positions list (fetchPositions returned nothing) vouches for a flat position', () => {
    const { dump } = parseCcxtDump(JSON.stringify({ trades: [], positions: [] }));
    assert.equal(dumpEvidence(dump).exchangeQty(futuresTrade)?.toFixed(), '0');
  });

  it('a position without its contracts is a problem, not a flat position', () => {
    const { problems } = parseCcxtDump(JSON.stringify({ trades: [], positions: [{ symbol: 'SOL/USDT:USDT', side: 'short', contractSize: '1' }] }));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /positions\[0\]\.contracts/);
  });

  it('a fill priced 0 is a problem: it would close the trade at 0', () => {
    const fill = { id: 'f1', order: 'o1', symbol: 'ETH/USDT', side: 'sell', timestamp: 1768204800000, price: '0', amount: '0.5' };
    const { problems } = parseCcxtDump(JSON.stringify({ trades: [fill], balance: { total: { ETH: '0' } } }));
    assert.deepEqual(problems, ['evidence trades[0].price must be above 0']);
  });
});
