import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blankTradeId, malformedTradeId, LIFECYCLE_INJECTIONS, STREAM_END_INJECTIONS } from '../../src/generate/injections.ts';
import { AnomalyScheduler, apportion, lifecycleSizes, streamBudgets } from '../../src/generate/plan.ts';
import { Prng, seedOf } from '../../src/generate/prng.ts';
import { formatUnits, splitUnits } from '../../src/generate/units.ts';
import { isBlankTradeId, isMalformedTradeId } from '../../src/lifecycle/blank.ts';

describe('generate: exact quantities', () => {
  it('formats whole units as decimals with a fixed number of places', () => {
    assert.deepEqual(
      [formatUnits(12345n, 4), formatUnits(5n, 3), formatUnits(0n, 2), formatUnits(-5n, 2), formatUnits(7n, 0), formatUnits(100000n, 5)],
      ['1.2345', '0.005', '0.00', '-0.05', '7', '1.00000'],
    );
  });
  it('splits a quantity into positive parts that add up to it exactly', () => {
    const rng = new Prng(3);
    for (let total = 1n; total <= 60n; total++) {
      for (let parts = 1; parts <= 5; parts++) {
        const split = splitUnits(rng, total, parts);
        assert.equal(
          split.reduce((a, b) => a + b, 0n),
          total,
        );
        assert.equal(split.length, Math.min(parts, Number(total)));
        assert.ok(
          split.every((p) => p >= 1n),
          `${total}/${parts}: ${split.join(',')}`,
        );
      }
    }
  });
});

describe('generate: budgets', () => {
  it('apportions a total exactly, in proportion to the weights', () => {
    assert.deepEqual(apportion(10, [1, 1, 3]), [2, 2, 6]);
    assert.deepEqual(apportion(11, [1, 1, 3]), [3, 2, 6]);
    assert.deepEqual(apportion(7, [2, 2]), [4, 3]);
    assert.equal(
      apportion(1_000_003, [1, 4, 2, 3]).reduce((a, b) => a + b, 0),
      1_000_003,
    );
  });
  it('sizes lifecycles of 3 to 9 rows that add up to the stream budget exactly', () => {
    const rng = new Prng(5);
    for (let budget = 1; budget <= 300; budget++) {
      const sizes = lifecycleSizes(rng, budget);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        budget,
      );
      if (budget >= 3)
        assert.ok(
          sizes.every((s) => s >= 3 && s <= 9),
          `${budget}: ${sizes.join(',')}`,
        );
      else assert.deepEqual(sizes, [budget]);
    }
  });
  it('gives every stream at least 3 rows, and all of the budget', () => {
    const rng = new Prng(8);
    for (let budget = 1; budget <= 200; budget++) {
      const streams = streamBudgets(rng, budget);
      assert.equal(
        streams.reduce((a, b) => a + b, 0),
        budget,
      );
      assert.ok(streams.length >= 1 && streams.length <= 6);
      if (budget >= 3) assert.ok(streams.every((s) => s >= 3));
    }
  });
});

describe('generate: the anomaly scheduler', () => {
  it('triggers exactly one in 1/R lifecycles, and every kind once in twelve triggers', () => {
    const scheduler = new AnomalyScheduler(new Prng(1), 250_000);
    for (let i = 0; i < 48; i++) scheduler.tick();
    assert.equal(scheduler.triggered, 12);
    const kinds: string[] = [];
    for (let kind = scheduler.takeLifecycle(() => true); kind !== null; kind = scheduler.takeLifecycle(() => true)) kinds.push(kind);
    for (let kind = scheduler.takeStreamEnd(() => true); kind !== null; kind = scheduler.takeStreamEnd(() => true)) kinds.push(kind);
    assert.deepEqual(kinds.sort(), [...LIFECYCLE_INJECTIONS, ...STREAM_END_INJECTIONS].sort());
  });
  it('keeps a kind that does not fit for the next place it fits', () => {
    const scheduler = new AnomalyScheduler(new Prng(2), 1_000_000);
    for (let i = 0; i < 12; i++) scheduler.tick();
    assert.equal(
      scheduler.takeLifecycle((kind) => kind === 'orphan_exit'),
      'orphan_exit',
    );
    assert.equal(
      scheduler.takeLifecycle((kind) => kind === 'orphan_exit'),
      null,
    );
    assert.equal(scheduler.unplaced, 11);
  });
  it('with rate 0 never triggers', () => {
    const scheduler = new AnomalyScheduler(new Prng(2), 0);
    for (let i = 0; i < 10_000; i++) scheduler.tick();
    assert.equal(scheduler.triggered, 0);
  });
});

describe('generate: seeded randomness and injected ids', () => {
  it('the same seed gives the same sequence; another seed or salt another one', () => {
    const draw = (seed: number) =>
      Array.from(
        { length: 5 },
        (
          (rng) => () =>
            rng.uint32()
        )(new Prng(seed)),
      );
    assert.deepEqual(draw(seedOf('a')), draw(seedOf('a')));
    assert.notDeepEqual(draw(seedOf('a')), draw(seedOf('b')));
    assert.notEqual(seedOf('a', 1), seedOf('a', 2));
  });
  it("blank ids are blank by the pack's rule, all different, and none starts with a byte-order mark", () => {
    const blanks = Array.from({ length: 40 }, (_, n) => blankTradeId(n));
    assert.ok(blanks.every(isBlankTradeId));
    assert.equal(new Set(blanks).size, blanks.length);
    assert.ok(blanks.every((b) => !b.startsWith('\ufeff')));
    assert.ok(blanks.some((b) => b.includes('\u00a0')) && blanks.some((b) => b.includes('\ufeff')) && blanks.includes(''));
  });
  it('malformed ids are present, not blank, not TRD-…, and all different', () => {
    const ids = Array.from({ length: 40 }, (_, n) => malformedTradeId(n, 'ab12cd34'));
    assert.ok(ids.every(isMalformedTradeId), ids.join(' | '));
    assert.equal(new Set(ids).size, ids.length);
  });
});
