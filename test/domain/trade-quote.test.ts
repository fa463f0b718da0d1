import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLOCK_SKEW_MS } from '../../src/domain/fields.ts';
import { createQuote, type QuoteInput } from '../../src/domain/quote.ts';
import { createTrade, type TradeInput } from '../../src/domain/trade.ts';
import { expectInvalid } from './expect-invalid.ts';

const NOW = new Date('2025-10-22T15:00:00Z');

const TRADE: TradeInput = {
  id: 101,
  accountId: 123,
  contractId: 'CON.F.US.MNQ.U25',
  quantity: '2',
  price: '21075.00',
  pnl: '150.00',
  executedAt: '2025-10-22T14:30:00Z',
};
const QUOTE: QuoteInput = { contractId: 'CON.F.US.MNQ.U25', bid: '21000.00', ask: '21000.25', last: '21000.25', timestamp: '2025-10-22T14:59:59.500Z' };

function trade(overrides: Partial<Record<keyof TradeInput, unknown>>) {
  return () => createTrade({ ...TRADE, ...overrides } as TradeInput, NOW);
}

function quote(overrides: Partial<Record<keyof QuoteInput, unknown>>) {
  return () => createQuote({ ...QUOTE, ...overrides } as QuoteInput, NOW);
}

describe('createTrade', () => {
  it('accepts a profitable, a losing and a half-turn trade', () => {
    assert.equal(createTrade(TRADE, NOW).pnl, '150.00');
    assert.equal(createTrade({ ...TRADE, pnl: '-45.50' }, NOW).pnl, '-45.50');
    const halfTurn = createTrade({ ...TRADE, pnl: null }, NOW);
    assert.equal(halfTurn.pnl, null);
    assert.equal(halfTurn.executedAt, '2025-10-22T14:30:00.000Z');
  });

  it('accepts a time a little ahead of this clock (broker clock skew)', () => {
    const slightlyAhead = new Date(NOW.getTime() + CLOCK_SKEW_MS - 1);
    assert.equal(createTrade({ ...TRADE, executedAt: slightlyAhead }, NOW).executedAt, slightlyAhead.toISOString());
  });

  it('rejects a zero, negative or float quantity, naming quantity', () => {
    expectInvalid(trade({ quantity: '0' }), 'Trade', 'quantity', /positive/);
    expectInvalid(trade({ quantity: '-1' }), 'Trade', 'quantity');
    expectInvalid(trade({ quantity: 1 }), 'Trade', 'quantity', /string/);
  });

  it('rejects a price that is not a positive decimal', () => {
    expectInvalid(trade({ price: '-21000' }), 'Trade', 'price', /positive/);
    expectInvalid(trade({ price: '21,000.00' }), 'Trade', 'price');
    expectInvalid(trade({ price: 'NaN' }), 'Trade', 'price');
  });

  it('rejects a P&L that is not a decimal', () => {
    expectInvalid(trade({ pnl: -45.5 }), 'Trade', 'pnl');
    expectInvalid(trade({ pnl: '+45' }), 'Trade', 'pnl');
  });

  it('rejects an execution time in the future, an empty contract and a bad account', () => {
    expectInvalid(trade({ executedAt: '2026-01-01T00:00:00Z' }), 'Trade', 'executedAt', /future/);
    expectInvalid(trade({ executedAt: new Date('invalid') }), 'Trade', 'executedAt');
    expectInvalid(trade({ contractId: '' }), 'Trade', 'contractId');
    expectInvalid(trade({ accountId: 0 }), 'Trade', 'accountId');
  });
});

describe('createQuote', () => {
  it('accepts a normal spread and a locked market (bid = ask)', () => {
    assert.equal(createQuote(QUOTE, NOW).ask, '21000.25');
    assert.equal(createQuote({ ...QUOTE, bid: '5800.50', ask: '5800.5', last: '5800.5' }, NOW).bid, '5800.50');
  });

  it('rejects bid > ask, naming ask, compared as decimals (not as text)', () => {
    expectInvalid(quote({ bid: '21000.25', ask: '21000.00' }), 'Quote', 'ask', /must be >= Quote\.bid 21000\.25/);
    // As text '9.5' > '10.25'; as decimals it is the other way round, and that quote is fine.
    assert.equal(createQuote({ ...QUOTE, bid: '9.5', ask: '10.25', last: '10' }, NOW).ask, '10.25');
    expectInvalid(quote({ bid: '10.25', ask: '9.5' }), 'Quote', 'ask');
  });

  it('rejects each price that is not positive, naming it', () => {
    expectInvalid(quote({ bid: '-21000.00' }), 'Quote', 'bid', /positive/);
    expectInvalid(quote({ ask: '0' }), 'Quote', 'ask', /positive/);
    expectInvalid(quote({ last: '0.0' }), 'Quote', 'last');
    expectInvalid(quote({ last: 21000.25 }), 'Quote', 'last', /float/);
  });

  it('rejects a time in the future and an empty contract', () => {
    expectInvalid(quote({ timestamp: '2026-01-01T00:00:00Z' }), 'Quote', 'timestamp', /future/);
    expectInvalid(quote({ contractId: '' }), 'Quote', 'contractId');
  });
});
