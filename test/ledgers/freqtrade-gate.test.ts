import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { createFreqtradeDatabase, freqtradeRowsAt, holdOpen } from '../helpers/freqtrade.ts';
import { CCXT_DUMP, plantFreqtradeScenario, plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`the stop-the-bot gate on ${kind}`, () => {
    let test: TestDatabase;
    let evidence: string;
    const apply = (...extra: string[]) =>
      cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--enable', '--no-dry-run', ...extra);
    const snapshot = () => freqtradeRowsAt(test.url);
    before(async () => {
      ({ test, evidence } = await plantedFreqtradeDatabase(kind));
    });
    after(async () => test.cleanup());

    it('refuses (exit 3) while another process has the database open, and writes nothing', async () => {
      const before = await snapshot();
      let stop: () => Promise<void>;
      if (kind === 'sqlite') {
        const child = await holdOpen(test.url.slice('sqlite:'.length));
        stop = async () => {
          child.kill();
          await once(child, 'exit');
        };
      } else {
        // A session as freqtrade's SQLAlchemy opens one (no application_name).
        const client = new pg.Client({ connectionString: test.url });
        await client.connect();
        stop = () => client.end();
      }
      try {
        const run = await apply();
        assert.equal(run.code, 3, run.stderr);
        assert.match(run.stderr, kind === 'sqlite' ? /is open in process \d+: stop the bot/ : /other session\(s\) on this database .*stop the bot/);
      } finally {
        await stop();
      }
      assert.deepEqual(await snapshot(), before);
    });

    if (kind === 'sqlite')
      it('finds the bot by the file itself, not its path (a container opens it under another path)', async () => {
        const { linkSync } = await import('node:fs');
        const other = join(test.dir, 'as-the-container-sees-it.sqlite');
        linkSync(test.url.slice('sqlite:'.length), other);
        const child = await holdOpen(other);
        try {
          const run = await apply();
          assert.equal(run.code, 3, run.stderr);
          assert.match(run.stderr, new RegExp(`is open in process ${child.pid}`));
        } finally {
          child.kill();
          await once(child, 'exit');
        }
      });

    it("refuses (exit 3) while freqtrade's REST API answers at freqtrade.api_url", async () => {
      const server: Server = createServer((_, res) => res.end('{"status":"pong"}'));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const address = server.address() as { port: number };
      const config = join(test.dir, 'tradeledger.yaml');
      writeFileSync(config, `freqtrade:\n  api_url: http://127.0.0.1:${address.port}\n`);
      try {
        const run = await apply('--config', config);
        assert.equal(run.code, 3, run.stderr);
        assert.match(run.stderr, /freqtrade's API answers at http:\/\/127\.0\.0\.1:\d+: stop the bot process/);
      } finally {
        server.close();
        await once(server, 'close');
      }
      // With nothing listening there any more, the same configuration lets the apply through.
      const run = await apply('--config', config, '--json');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).counts.APPLIED, 2);
    });
  });
}

describe('the backup before an apply (SQLite in WAL mode)', () => {
  it('holds what is still only in the -wal file, which a copy of the database file would miss', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const { copyFileSync } = await import('node:fs');
    const made = await createFreqtradeDatabase('sqlite');
    await plantFreqtradeScenario(made.db, 'sqlite');
    await made.db.close();
    const file = made.test.url.slice('sqlite:'.length);
    // A connection of this process (the gate looks at other processes) writes a trade and keeps it in the WAL.
    const writer = new DatabaseSync(file);
    writer.exec('PRAGMA wal_autocheckpoint = 0');
    writer.exec(
      "INSERT INTO trades (id, exchange, pair, is_open, fee_open, fee_close, open_rate, stake_amount, amount, open_date, is_stop_loss_trailing, is_short, interest_rate) VALUES (50, 'binance', 'AVAX/USDT', 1, 0.001, 0.001, 30, 30, 1, '2026-01-12 12:00:00.000000', 0, 0, 0)",
    );
    try {
      const evidence = join(made.test.dir, 'evidence.json');
      writeFileSync(evidence, JSON.stringify(CCXT_DUMP));
      const run = await cli('recon', 'run', '--ledger', 'freqtrade', '--db', made.test.url, '--evidence-file', evidence, '--enable', '--no-dry-run', '--json');
      assert.equal(run.code, 0, run.stderr);
      const backup = JSON.parse(run.stdout).backup as string;
      const copy = join(made.test.dir, 'plain-copy.sqlite');
      copyFileSync(file, copy);
      const count = (path: string) => {
        const db = new DatabaseSync(path, { readOnly: true });
        const row = db.prepare('SELECT count(*) AS n FROM trades WHERE id = 50').get() as { n: number };
        db.close();
        return row.n;
      };
      assert.equal(count(backup), 1, 'the online backup has the row');
      assert.equal(count(copy), 0, 'a plain copy of the file does not');
    } finally {
      writer.close();
      await made.test.cleanup();
    }
  });
});
