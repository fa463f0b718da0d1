// Dust has a ceiling: no setting makes a remainder above 1 % of the open quantity "dust", and a
// relative setting above 1 % is refused unless it is asked for by name (issue 11, item 5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import { reconSchema } from '../../src/config/recon-schema.ts';
import { decide, dustThreshold } from '../../src/recon/decide.ts';
import { reconFlags, type ReconFlags } from '../../src/recon/flags.ts';
import { isTradeledgerError } from '../../src/errors.ts';

const BASE: ReconFlags = {
  enabled: true,
  dryRun: false,
  requirePause: true,
  dustAbsQty: new Decimal('0.001'),
  dustRelPct: new Decimal('0.002'),
  lookbackMs: 72 * 3_600_000,
  mismatchThrottleMs: 300_000,
};
const AT = new Date('2026-03-01T00:00:00.000Z');

/** The reported case: 85 217 of 170 434 covered by evidence, the rest uncovered. */
function halfCovered(flags: ReconFlags) {
  return decide({
    lifecycle: {
      profileId: 'p1',
      symbol: 'BTC',
      tradeId: 'TRD-1',
      entryQty: new Decimal('170434'),
      exitQty: new Decimal(0),
      openQty: new Decimal('170434'),
      entrySide: 'buy',
      firstEntryAt: AT,
      lastFillAt: AT,
    },
    paused: true,
    exchangePosition: new Decimal(0),
    pendingBlockers: [],
    evidenceComplete: true,
    evidenceProblems: [],
    allocations: [
      { exchangeOrderId: 'X1', quantity: new Decimal('85217'), price: new Decimal('1'), filledAt: AT, clientOrderId: null, exchangeTradeIds: ['t1'] },
    ],
    flags,
  });
}

describe('the dust ceiling', () => {
  for (const [label, flags] of [
    ['--dust-rel-pct 1', { ...BASE, dustRelPct: new Decimal('1') }],
    ['--dust-abs-qty 99999999', { ...BASE, dustAbsQty: new Decimal('99999999') }],
  ] as const) {
    it(`${label} does not close half a lifecycle as dust`, () => {
      const decision = halfCovered(flags);
      assert.equal(decision.go, false);
      assert.equal(decision.failed[0]?.reason, 'missing_fill_evidence_for_large_remainder');
      assert.equal(decision.dustQty.toString(), '0');
      assert.equal(decision.threshold.toString(), '1704.34', 'the threshold used is 1 % of the open quantity');
      assert.equal(
        decision.rows.some((row) => row.kind === 'dust'),
        false,
      );
    });
  }

  it('keeps the configured threshold where it is below 1 % of the open quantity', () => {
    assert.equal(dustThreshold(new Decimal('2'), BASE).toString(), '0.004');
    assert.equal(dustThreshold(new Decimal('0.05'), BASE).toString(), '0.0005', 'an absolute 0.001 would be 2 % of 0.05');
  });

  it('refuses a relative setting above 1 % (exit 2) unless allow_wide_dust is set', () => {
    const wide = reconSchema.parse({ dust_rel_pct: '0.05' });
    assert.throws(
      () => reconFlags(wide),
      (error) => isTradeledgerError(error) && error.exitCode === 2 && /above 0\.01.*--allow-wide-dust/.test(error.message),
    );
    assert.equal(reconFlags(reconSchema.parse({ dust_rel_pct: '0.01' })).dustRelPct.toString(), '0.01');
    const allowed = reconFlags(reconSchema.parse({ dust_rel_pct: '0.05', allow_wide_dust: true }));
    assert.equal(allowed.dustRelPct.toString(), '0.05');
    assert.equal(dustThreshold(new Decimal('100'), allowed).toString(), '1', 'allowed, and still capped at 1 %');
  });
});
