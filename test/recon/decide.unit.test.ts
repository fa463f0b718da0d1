import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { decide, dustThreshold, type DecisionInput } from '../../src/recon/decide.ts';
import { allocateEvidence } from '../../src/recon/allocate.ts';
import { backfillOrderId } from '../../src/recon/backfill-id.ts';
import type { ReconFlags } from '../../src/recon/flags.ts';
import type { OpenLifecycle } from '../../src/recon/lifecycle.ts';
import type { EvidenceFill } from '../../src/evidence/port.ts';

const FLAGS: ReconFlags = {
  enabled: true,
  dryRun: false,
  requirePause: true,
  dustAbsQty: new Decimal('0.001'),
  dustRelPct: new Decimal('0.002'),
  lookbackMs: 72 * 3_600_000,
  mismatchThrottleMs: 300_000,
};

const T0 = new Date('2026-03-01T00:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

function lifecycle(open: string, overrides: Partial<OpenLifecycle> = {}): OpenLifecycle {
  return {
    profileId: 'p1',
    symbol: 'BTC',
    tradeId: 'TRD-1',
    entryQty: new Decimal(open),
    exitQty: new Decimal(0),
    openQty: new Decimal(open),
    entrySide: 'buy',
    firstEntryAt: minutes(0),
    lastFillAt: minutes(0),
    ...overrides,
  };
}

function fill(order: string, quantity: string, at: number, overrides: Partial<EvidenceFill> = {}): EvidenceFill {
  return {
    profileId: 'p1',
    symbol: 'BTC',
    exchangeOrderId: order,
    exchangeTradeId: `${order}-t${at}`,
    clientOrderId: null,
    side: 'sell',
    quantity: new Decimal(quantity),
    price: new Decimal('100'),
    filledAt: minutes(at),
    ...overrides,
  };
}

function input(l: OpenLifecycle, fills: readonly EvidenceFill[], overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    lifecycle: l,
    paused: true,
    exchangePosition: new Decimal(0),
    pendingBlockers: [],
    evidenceComplete: true,
    evidenceProblems: [],
    allocations: allocateEvidence([l], fills).get(l.tradeId) ?? [],
    flags: FLAGS,
    ...overrides,
  };
}

describe('dust threshold', () => {
  it('is max(dust_abs_qty, open_qty × dust_rel_pct), exactly, and never above 1 % of open_qty', () => {
    assert.equal(dustThreshold(new Decimal('0.1'), FLAGS).toString(), '0.001'); // 0.0002 < 0.001
    assert.equal(dustThreshold(new Decimal('0.5'), FLAGS).toString(), '0.001'); // equal: 0.001
    assert.equal(dustThreshold(new Decimal('2'), FLAGS).toString(), '0.004');
    assert.equal(dustThreshold(new Decimal('0.3'), { dustAbsQty: new Decimal(0), dustRelPct: new Decimal('0.005') }).toString(), '0.0015');
    // A relative setting of 10 % is held to the 1 % ceiling.
    assert.equal(dustThreshold(new Decimal('0.3'), { dustAbsQty: new Decimal(0), dustRelPct: new Decimal('0.1') }).toString(), '0.003');
  });
});

describe('decide: the remainder at the threshold and one unit either side', () => {
  // open 2, threshold 0.004; evidence covers 2 - remainder.
  const cases: [remainder: string, go: boolean][] = [
    ['0.003999999', true],
    ['0.004', true],
    ['0.004000001', false],
    ['0', true],
  ];
  for (const [remainder, go] of cases) {
    it(`remainder ${remainder} → ${go ? 'GO' : 'NO_GO'}`, () => {
      const l = lifecycle('2');
      const covered = new Decimal(2).minus(remainder).toString();
      const decision = decide(input(l, [fill('X1', covered, 5)]));
      assert.equal(decision.go, go);
      assert.equal(decision.remainder.toString(), new Decimal(remainder).toString());
      if (go) {
        assert.equal(decision.rows.reduce((sum, r) => sum.plus(r.quantity), new Decimal(0)).toString(), '2', 'rows close exactly the open quantity');
        assert.equal(decision.rows.length, remainder === '0' ? 1 : 2);
      } else {
        assert.equal(decision.failed[0]!.reason, 'missing_fill_evidence_for_large_remainder');
      }
    });
  }
  it('the absolute floor applies to small positions: open 0.1, remainder 0.001 closes, 0.0010001 does not', () => {
    assert.equal(decide(input(lifecycle('0.1'), [fill('X1', '0.099', 5)])).go, true);
    assert.equal(decide(input(lifecycle('0.1'), [fill('X1', '0.0989999', 5)])).go, false);
  });
  it('with no evidence at all, nothing closes: a whole open quantity is never dust, however small', () => {
    // dust_abs_qty 0.001 alone would call all of 0.0005 dust; the 1 % ceiling does not.
    const tiny = decide(input(lifecycle('0.0005'), []));
    assert.equal(tiny.go, false);
    assert.equal(tiny.failed[0]!.reason, 'missing_fill_evidence_for_large_remainder');
    assert.deepEqual(tiny.rows, []);
    assert.equal(decide(input(lifecycle('1'), [])).failed[0]!.reason, 'missing_fill_evidence_for_large_remainder');
  });
  it('evidence above the open quantity closes exactly the open quantity', () => {
    const decision = decide(input(lifecycle('1'), [fill('X1', '3', 5)]));
    assert.equal(decision.filledQty.toString(), '1');
    assert.deepEqual(
      decision.rows.map((r) => r.quantity.toString()),
      ['1'],
    );
  });
});

describe('decide: each gate has its own NO_GO reason', () => {
  const l = lifecycle('1');
  const covered = [fill('X1', '1', 5)];
  const gates: [string, Partial<DecisionInput>, string][] = [
    ['running profile', { paused: false }, 'profile_not_paused'],
    ['unknown pause state', { paused: null }, 'pause_state_unknown'],
    ['exchange not flat', { exchangePosition: new Decimal('0.5') }, 'exchange_not_flat'],
    ['no position observed', { exchangePosition: null }, 'evidence_incomplete'],
    ['pending blocker', { pendingBlockers: ['o9'] }, 'pending_blocker'],
    ['incomplete evidence', { evidenceComplete: false, evidenceProblems: ['page limit reached'] }, 'evidence_incomplete'],
  ];
  for (const [name, overrides, reason] of gates) {
    it(`${name} → ${reason}`, () => {
      const decision = decide(input(l, covered, overrides));
      assert.equal(decision.go, false);
      assert.deepEqual(
        decision.failed.map((f) => f.reason),
        [reason],
      );
    });
  }
  it('a running profile passes when the pause is not required', () => {
    assert.equal(decide(input(l, covered, { paused: false, flags: { ...FLAGS, requirePause: false } })).go, true);
  });
  it("lists every failing gate, the specification's order first", () => {
    const decision = decide(input(l, [], { paused: false, exchangePosition: new Decimal(1), pendingBlockers: ['o9'], evidenceComplete: false }));
    assert.deepEqual(
      decision.failed.map((f) => f.reason),
      ['profile_not_paused', 'exchange_not_flat', 'pending_blocker', 'evidence_incomplete', 'missing_fill_evidence_for_large_remainder'],
    );
  });
  it('a short position (-0.0) is flat; any other position is not', () => {
    assert.equal(decide(input(l, covered, { exchangePosition: new Decimal('-0') })).go, true);
    assert.equal(decide(input(l, covered, { exchangePosition: new Decimal('-0.00000001') })).failed[0]!.reason, 'exchange_not_flat');
  });
});

describe('decide: deterministic ids and rows', () => {
  it('order_id is BFILL- + md5(profile_id:trade_id:exchange_order_id:filled_at ISO ms)', () => {
    const decision = decide(input(lifecycle('1'), [fill('X1', '0.4', 5), fill('X1', '0.6', 7, { exchangeTradeId: 'second' })]));
    const expected = `BFILL-${createHash('md5').update('p1:TRD-1:X1:2026-03-01T00:07:00.000Z').digest('hex')}`;
    assert.deepEqual(
      decision.rows.map((r) => r.orderId),
      [expected],
    );
    assert.equal(backfillOrderId('p1', 'TRD-1', 'X1', minutes(7)), expected);
    assert.equal(decision.rows[0]!.side, 'sell');
    assert.equal(decision.rows[0]!.quantity.toString(), '1');
  });
  it('the dust row uses exchange_order_id dust and the last fill time, the same on every run', () => {
    const l = lifecycle('1', { lastFillAt: minutes(3) });
    const a = decide(input(l, [fill('X1', '0.9995', 9)]));
    const b = decide(input(l, [fill('X1', '0.9995', 9)]));
    const dust = a.rows.find((r) => r.kind === 'dust')!;
    assert.equal(dust.orderId, backfillOrderId('p1', 'TRD-1', 'dust', minutes(9)));
    assert.equal(dust.quantity.toString(), '0.0005');
    assert.equal(a.evidenceHash, b.evidenceHash);
  });
  it('a short lifecycle closes with buys', () => {
    const decision = decide(input(lifecycle('1', { entrySide: 'sell' }), [fill('X1', '1', 5, { side: 'buy' })]));
    assert.equal(decision.go, true);
    assert.equal(decision.rows[0]!.side, 'buy');
  });
});

describe('allocateEvidence', () => {
  it('gives fills to the oldest open lifecycle first, splitting an order across two', () => {
    const a = lifecycle('1', { tradeId: 'TRD-a', firstEntryAt: minutes(0) });
    const b = lifecycle('2', { tradeId: 'TRD-b', firstEntryAt: minutes(1) });
    const result = allocateEvidence([b, a], [fill('X5', '1.5', 3), fill('X6', '1.5', 4)]);
    assert.deepEqual(
      result.get('TRD-a')!.map((x) => [x.exchangeOrderId, x.quantity.toString()]),
      [['X5', '1']],
    );
    assert.deepEqual(
      result.get('TRD-b')!.map((x) => [x.exchangeOrderId, x.quantity.toString()]),
      [
        ['X5', '0.5'],
        ['X6', '1.5'],
      ],
    );
  });
  it('ignores entry-side fills and fills before the lifecycle opened', () => {
    const l = lifecycle('1', { firstEntryAt: minutes(10) });
    const result = allocateEvidence([l], [fill('B', '1', 11, { side: 'buy' }), fill('OLD', '1', 5)]);
    assert.deepEqual(result.get('TRD-1'), []);
  });
  it('prices an order at its volume-weighted price', () => {
    const result = allocateEvidence(
      [lifecycle('3')],
      [fill('X', '1', 5, { price: new Decimal('100') }), fill('X', '2', 6, { price: new Decimal('103'), exchangeTradeId: 'b' })],
    );
    assert.equal(result.get('TRD-1')![0]!.price!.toString(), '102');
  });
});
