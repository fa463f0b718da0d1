// `serve` with `ledger: freqtrade` (or custom) in tradeledger.yaml used to check the freqtrade file
// against risk-state, naming nine tables the operator never had, and left lock files beside the
// bot's database. The daemon serves the built-in packs only: it now says so first, writing nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBinary } from '../helpers/cli.ts';
import { createFreqtradeDatabase } from '../helpers/freqtrade.ts';

describe('serve on a ledger it does not serve', () => {
  for (const ledger of ['freqtrade', 'custom'] as const) {
    it(`ledger: ${ledger} → exit 2 naming the runbook to use; nothing is created beside the database`, async () => {
      const { test, db } = await createFreqtradeDatabase('sqlite');
      try {
        await db.close();
        const config = join(test.dir, 'tradeledger.yaml');
        writeFileSync(config, `ledger: ${ledger}\n`);
        const before = readdirSync(test.dir).sort();
        const file = join(test.dir, 'state.db');
        const bytes = readFileSync(file);
        for (const args of [['serve'], ['serve', '--check']]) {
          const run = await runBinary([...args, '--db', test.url, '--config', config]);
          assert.equal(run.code, 2, run.stderr);
          assert.match(run.stderr, new RegExp(`tradeledger serve does not serve ledger: ${ledger}`));
          assert.match(run.stderr, ledger === 'freqtrade' ? /recon plan\|apply --ledger freqtrade/ : /lifecycle report/);
          assert.doesNotMatch(run.stderr, /risk-state/);
        }
        assert.deepEqual(readdirSync(test.dir).sort(), before);
        assert.deepEqual(readFileSync(file), bytes);
      } finally {
        await test.cleanup();
      }
    });
  }
});
