// `migrate plan` shows what `up` would run when nothing is pending but the schema lacks what its
// version declares (risk-state's recorded repairs), instead of "nothing to apply" before an `up` that
// creates or drops a table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/databases.ts';
import { querySqlite } from '../helpers/sqlite-file.ts';

describe('migrate plan and the repairs of up', () => {
  it('lists the repairs up runs, in text and JSON, and nothing is written', async () => {
    const test = await createTestDatabase('sqlite');
    const file = test.url.slice('sqlite:'.length);
    const tables = () => querySqlite(file, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((row) => String(row['name']));
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url)).code, 0);
      const before = tables();
      process.env['TRADELEDGER_TRACK_UNREALIZED_PNL'] = 'true';
      let planned: { steps: unknown[]; repairs?: { description: string; sql: string }[] };
      let text: string;
      try {
        const run = await cli('migrate', 'plan', '--pack', 'risk-state', '--db', test.url, '--json');
        assert.equal(run.code, 0, run.stderr);
        planned = JSON.parse(run.stdout) as typeof planned;
        const plain = await cli('migrate', 'plan', '--pack', 'risk-state', '--db', test.url);
        assert.equal(plain.code, 0, plain.stderr);
        text = plain.stdout;
        assert.deepEqual(tables(), before, 'plan wrote nothing');
        const up = await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url, '--json');
        assert.equal(up.code, 0, up.stderr);
        const repaired = (JSON.parse(up.stdout) as { repaired: { description: string; sql: string }[] }).repaired;
        assert.deepEqual(
          planned.repairs?.map((r) => [r.description, r.sql]),
          repaired.map((r) => [r.description, r.sql]),
        );
        assert.ok(repaired.length > 0);
        for (const r of repaired) assert.ok(text.includes(r.sql), text);
      } finally {
        delete process.env['TRADELEDGER_TRACK_UNREALIZED_PNL'];
      }
      // Tracking off: the table stays; plan --allow-data-loss shows the drop that up --allow-data-loss runs.
      const keep = await cli('migrate', 'plan', '--pack', 'risk-state', '--db', test.url, '--json');
      assert.equal((JSON.parse(keep.stdout) as { repairs?: unknown[] }).repairs, undefined);
      const drop = await cli('migrate', 'plan', '--pack', 'risk-state', '--db', test.url, '--allow-data-loss');
      assert.equal(drop.code, 0, drop.stderr);
      assert.match(drop.stdout, /DROP TABLE daily_unrealized_pnl;/);
    } finally {
      await test.cleanup();
    }
  });
});
