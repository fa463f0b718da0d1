import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { CCXT_DUMP, plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

type Row = Record<string, unknown>;

/** CCXT_DUMP with trade 2's exit fills paying part of their fee in USDT and part in BNB, as ccxt's `fees` list gives it. */
const DUMP_WITH_FEES = {
  ...CCXT_DUMP,
  trades: CCXT_DUMP.trades.map((t) => {
    if (t.id === 'f-x2a')
      return {
        ...t,
        // ccxt's `fee` when the list has two currencies is at best a part of it: never read beside `fees`.
        fee: { cost: '0.465', currency: 'USDT', rate: '0.0005' },
        fees: [
          { cost: '0.465', currency: 'USDT', rate: '0.0005' },
          { cost: '0.0006', currency: 'BNB', rate: '0.00025' },
        ],
      };
    if (t.id === 'f-x2b') {
      const { fee: _, ...rest } = t;
      return {
        ...rest,
        fees: [
          { cost: '0.311', currency: 'USDT', rate: '0.0005' },
          { cost: '0.0004', currency: 'BNB', rate: '0.00025' },
        ],
      };
    }
    return t;
  }),
};

/** Trade 2 (0.5 ETH bought at 3000, fee_open 0.001) closed by order x2: 0.3 at 3100 and 0.2 at 3110, computed here by hand. */
const EXPECTED = (() => {
  const cost = 0.3 * 3100 + 0.2 * 3110; // 1552; average 3104
  const usdt = 0.465 + 0.311; // 0.776
  const bnbInUsdt = 0.00025 * cost; // 0.388: BNB's own rate on the order's cost
  const feeCloseCost = usdt + bnbInUsdt; // 1.164
  const feeClose = feeCloseCost / cost; // 0.00075
  const openValue = 0.5 * 3000 * 1.001; // 1501.5
  const profit = 0.5 * 3104 * (1 - feeClose) - openValue; // 1550.836 − 1501.5 = 49.336
  return { feeCloseCost, feeClose, profit, closeProfit: profit / openValue };
})();

function near(actual: unknown, expected: number, what: string): void {
  const value = Number(actual);
  assert.ok(Math.abs(value - expected) <= Math.abs(expected) * 1e-12 + 1e-12, `${what}: ${value} is not ${expected}`);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`a freqtrade close from a ccxt fee list, on ${kind}`, () => {
    let test: TestDatabase;
    let evidence: string;
    before(async () => {
      ({ test, evidence } = await plantedFreqtradeDatabase(kind));
      writeFileSync(evidence, JSON.stringify(DUMP_WITH_FEES));
    });
    after(async () => test.cleanup());

    it('writes the close fee and the profit from every fee the fills paid, valued in the quote currency', async () => {
      const run = await cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--enable', '--no-dry-run', '--json');
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { decisions: { tradeId: number; decision: string; detail: string | null }[] };
      const t2 = result.decisions.find((d) => d.tradeId === 2);
      assert.equal(t2?.decision, 'APPLIED');
      assert.match(t2?.detail ?? '', /exit fee 0\.776 USDT \+ 0\.001 BNB valued as 1\.164 USDT/);
      const db = await openDatabase(test.url);
      try {
        const [row] = await db.query<Row>(
          'SELECT fee_close, fee_close_cost, fee_close_currency, close_profit_abs, realized_profit, close_profit, close_rate FROM trades WHERE id = 2',
        );
        near(row?.['fee_close'], EXPECTED.feeClose, 'fee_close');
        near(row?.['fee_close_cost'], EXPECTED.feeCloseCost, 'fee_close_cost');
        assert.equal(row?.['fee_close_currency'], 'USDT');
        near(row?.['close_rate'], 3104, 'close_rate');
        near(row?.['close_profit_abs'], EXPECTED.profit, 'close_profit_abs');
        near(row?.['realized_profit'], EXPECTED.profit, 'realized_profit');
        near(row?.['close_profit'], EXPECTED.closeProfit, 'close_profit');
        const [x2] = await db.query<Row>("SELECT ft_fee_base FROM orders WHERE order_id = 'x2'");
        assert.equal(x2?.['ft_fee_base'], null, 'no fee in ETH: nothing off the amount');
      } finally {
        await db.close();
      }
    });
  });
}
