import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { createFreqtradeDatabase, dumpTable } from '../helpers/freqtrade.ts';
import { CCXT_DUMP, plantFreqtradeScenario } from './freqtrade-fixture.ts';

/** A process that opens the SQLite file and keeps it open, as a running freqtrade does; resolves once it has. */
async function holdOpen(file: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(file)}); db.prepare('SELECT count(*) FROM trades').get(); console.log('open'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'open');
  return child;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`the stop-the-bot gate on ${kind}`, () => {
    let test: TestDatabase;
    let evidence: string;
    const apply = (...extra: string[]) =>
      cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--enable', '--no-dry-run', ...extra);
    const snapshot = async () => {
      const db = await openDatabase(test.url);
      const rows = [await dumpTable(db, 'trades'), await dumpTable(db, 'orders')];
      await db.close();
      return rows;
    };
    before(async () => {
      const made = await createFreqtradeDatabase(kind);
      test = made.test;
      await plantFreqtradeScenario(made.db, kind);
      await made.db.close();
      evidence = join(test.dir, 'evidence.json');
      writeFileSync(evidence, JSON.stringify(CCXT_DUMP));
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
