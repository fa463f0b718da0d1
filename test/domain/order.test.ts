import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createOrder, OrderSide, OrderState, OrderType, type OrderInput } from '../../src/domain/order.ts';
import { expectInvalid } from './expect-invalid.ts';

const NOW = new Date('2025-10-22T15:00:00Z');

const LIMIT_ORDER: OrderInput = {
  id: 1,
  accountId: 123,
  contractId: 'CON.F.US.MNQ.U25',
  type: OrderType.LIMIT,
  side: OrderSide.BUY,
  size: '2',
  state: OrderState.WORKING,
  limitPrice: '21000.25',
  createdAt: '2025-10-22T14:30:00Z',
};

function order(overrides: Partial<Record<keyof OrderInput, unknown>>) {
  return () => createOrder({ ...LIMIT_ORDER, ...overrides } as OrderInput, NOW);
}

describe('OrderType', () => {
  it('numbers the order types as the specification does, TRAILING_STOP = 5 included', () => {
    assert.deepEqual({ ...OrderType }, { MARKET: 1, LIMIT: 2, STOP: 3, STOP_LIMIT: 4, TRAILING_STOP: 5 });
    assert.equal(OrderType.TRAILING_STOP, 5);
  });
});

describe('createOrder', () => {
  it('accepts a valid LIMIT order and keeps decimals exactly as given', () => {
    const created = createOrder(LIMIT_ORDER, NOW);
    assert.equal(created.limitPrice, '21000.25');
    assert.equal(created.size, '2');
    assert.equal(created.filledSize, '0');
    assert.equal(created.stopPrice, null);
    assert.equal(created.createdAt, '2025-10-22T14:30:00.000Z');
    assert.equal(created.updatedAt, created.createdAt);
  });

  it('accepts a MARKET order with no prices, and fractional sizes', () => {
    const created = createOrder({ ...LIMIT_ORDER, type: OrderType.MARKET, limitPrice: null, size: '0.005' }, NOW);
    assert.equal(created.type, OrderType.MARKET);
    assert.equal(created.size, '0.005');
  });

  it('accepts each priced type with the prices it needs', () => {
    assert.equal(createOrder({ ...LIMIT_ORDER, type: OrderType.STOP, limitPrice: null, stopPrice: '20950' }, NOW).stopPrice, '20950');
    assert.equal(createOrder({ ...LIMIT_ORDER, type: OrderType.STOP_LIMIT, stopPrice: '20950' }, NOW).type, OrderType.STOP_LIMIT);
    assert.equal(createOrder({ ...LIMIT_ORDER, type: OrderType.TRAILING_STOP, limitPrice: null, stopPrice: '20900.5' }, NOW).type, 5);
  });

  it('accepts a partial fill and a fill of the whole size', () => {
    assert.equal(createOrder({ ...LIMIT_ORDER, filledSize: '1', fillPrice: '21000' }, NOW).filledSize, '1');
    assert.equal(createOrder({ ...LIMIT_ORDER, filledSize: '2', state: OrderState.FILLED }, NOW).state, OrderState.FILLED);
  });

  it('rejects a non-positive or non-decimal size, naming size', () => {
    expectInvalid(order({ size: '0' }), 'Order', 'size', /positive/);
    expectInvalid(order({ size: '-1' }), 'Order', 'size', /positive/);
    expectInvalid(order({ size: 2 }), 'Order', 'size', /string/);
    expectInvalid(order({ size: '1e3' }), 'Order', 'size');
    expectInvalid(order({ size: '' }), 'Order', 'size');
  });

  it('rejects an unknown order type, side or state, listing the allowed values', () => {
    expectInvalid(order({ type: 6 }), 'Order', 'type', /1 MARKET.*5 TRAILING_STOP/);
    expectInvalid(order({ type: 0 }), 'Order', 'type');
    expectInvalid(order({ type: '2' }), 'Order', 'type');
    expectInvalid(order({ side: 'buy' }), 'Order', 'side', /BUY.*SELL/);
    expectInvalid(order({ state: 9 }), 'Order', 'state');
  });

  it('rejects a type without the price it needs, naming the missing price', () => {
    expectInvalid(order({ limitPrice: null }), 'Order', 'limitPrice', /LIMIT orders must have/);
    expectInvalid(order({ type: OrderType.STOP, limitPrice: null }), 'Order', 'stopPrice', /STOP orders/);
    expectInvalid(order({ type: OrderType.STOP_LIMIT }), 'Order', 'stopPrice', /STOP_LIMIT orders/);
    expectInvalid(order({ type: OrderType.STOP_LIMIT, limitPrice: null, stopPrice: '1' }), 'Order', 'limitPrice', /STOP_LIMIT orders/);
    expectInvalid(order({ type: OrderType.TRAILING_STOP, limitPrice: null }), 'Order', 'stopPrice', /TRAILING_STOP orders/);
  });

  it('rejects prices that are not positive decimals, floats included', () => {
    expectInvalid(order({ limitPrice: '0' }), 'Order', 'limitPrice', /positive/);
    expectInvalid(order({ limitPrice: '-21000' }), 'Order', 'limitPrice');
    expectInvalid(order({ limitPrice: 21000.25 }), 'Order', 'limitPrice', /float/);
    expectInvalid(order({ stopPrice: 'abc' }), 'Order', 'stopPrice');
    expectInvalid(order({ fillPrice: '0.00' }), 'Order', 'fillPrice');
  });

  it('rejects a filled size outside 0..size', () => {
    expectInvalid(order({ filledSize: '3' }), 'Order', 'filledSize', /between 0 and the order size 2/);
    expectInvalid(order({ filledSize: '-0.5' }), 'Order', 'filledSize');
    expectInvalid(order({ filledSize: '2.0000001' }), 'Order', 'filledSize');
  });

  it('rejects bad ids, an empty contract and a zone-less time', () => {
    expectInvalid(order({ id: 0 }), 'Order', 'id');
    expectInvalid(order({ id: 1.5 }), 'Order', 'id');
    expectInvalid(order({ accountId: -3 }), 'Order', 'accountId');
    expectInvalid(order({ contractId: '' }), 'Order', 'contractId');
    expectInvalid(order({ contractId: '   ' }), 'Order', 'contractId');
    expectInvalid(order({ createdAt: '2025-10-22 14:30:00' }), 'Order', 'createdAt', /zone/);
    expectInvalid(order({ updatedAt: 'yesterday' }), 'Order', 'updatedAt');
  });
});
