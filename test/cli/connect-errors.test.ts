// A PostgreSQL URL that cannot be connected to used to print the driver's words alone
// ("tradeledger: [ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:1"): which database, and what to do?
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { cli } from '../helpers/cli.ts';
import { postgresAdminUrl } from '../helpers/databases.ts';

/** A local port nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('connecting to PostgreSQL fails', () => {
  it('nothing listens: names the database (password masked) and the fix, keeps the code, exit 1', async () => {
    const url = `postgres://trader:secret@127.0.0.1:${await closedPort()}/ledger`;
    for (const argv of [
      ['migrate', 'status', '--pack', 'bot-ledger', '--db', url],
      ['lifecycle', 'report', '--db', url],
    ]) {
      const run = await cli(...argv);
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        /^tradeledger: \[ECONNREFUSED\] cannot connect to postgres:\/\/trader:\*\*\*@127\.0\.0\.1:\d+\/ledger: .*; nothing listens there: start the server/,
      );
      assert.doesNotMatch(run.stderr, /secret/);
      assert.equal(run.stderr.trim().split('\n').length, 1);
    }
  });

  it('no such database on a live server: says to create it (3D000)', async () => {
    const url = new URL(postgresAdminUrl());
    url.pathname = '/tradeledger_no_such_database';
    const run = await cli('migrate', 'status', '--pack', 'bot-ledger', '--db', url.toString(), '--json');
    assert.equal(run.code, 1, run.stderr);
    const error = (JSON.parse(run.stderr) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, '3D000');
    assert.match(error.message, /^cannot connect to postgres:\/\/.*\/tradeledger_no_such_database: .*does not exist; create the database first/);
  });
});
