import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { join } from 'node:path';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { freqtradeRowsAt } from '../helpers/freqtrade.ts';
import { plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

async function listening(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

describe("the stop-the-bot gate asks freqtrade's API: an answer it cannot read is no all-clear", () => {
  let test: TestDatabase;
  let evidence: string;
  const apply = (config: string) =>
    cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--enable', '--no-dry-run', '--config', config);
  const snapshot = () => freqtradeRowsAt(test.url);
  before(async () => {
    ({ test, evidence } = await plantedFreqtradeDatabase('sqlite'));
  });
  after(async () => test.cleanup());

  it('an api_url with the login in it (http://user:password@host) still finds the running bot, and never prints the password', async () => {
    const server = createHttpServer((_, res) => res.end('{"status":"pong"}'));
    const port = await listening(server);
    const config = join(test.dir, 'with-login.yaml');
    writeFileSync(config, `freqtrade:\n  api_url: http://freqtrader:s3cr3t-pass@127.0.0.1:${port}\n`);
    const before = await snapshot();
    try {
      const run = await apply(config);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /freqtrade's API answers at http:\/\/127\.0\.0\.1:\d+: stop the bot process/);
      assert.doesNotMatch(run.stderr + run.stdout, /s3cr3t-pass/);
    } finally {
      server.close();
      await once(server, 'close');
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('something listening that does not speak HTTP (a TLS-only API asked over http) is refused (exit 3), not taken for a stopped bot', async () => {
    // A TLS alert (what a TLS server answers to plain HTTP), then the connection closed.
    const server = createTcpServer((socket) =>
      socket.once('data', () => socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), () => socket.destroy())),
    );
    const port = await listening(server);
    const config = join(test.dir, 'not-http.yaml');
    writeFileSync(config, `freqtrade:\n  api_url: http://127.0.0.1:${port}\n`);
    const before = await snapshot();
    try {
      const run = await apply(config);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /cannot tell whether freqtrade's API at http:\/\/127\.0\.0\.1:\d+ is up/);
    } finally {
      server.close();
      await once(server, 'close');
    }
    assert.deepEqual(await snapshot(), before);
  });
});
