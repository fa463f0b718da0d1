// `serve --wait`: start-up waits for a PostgreSQL that does not accept connections yet, retrying
// with backoff and logging each retry, and starts once it does; when the time is up it fails as an
// unreachable database always did (exit 1), and no password ever shows. The database "comes up"
// as a TCP relay to the real test server opening on a port where nothing listened.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { startDaemon } from '../../src/service/daemon.ts';
import { daemonLogger } from '../../src/service/logger.ts';
import { MAX_DELAY_MS, retryDelay } from '../../src/service/wait-database.ts';
import { cli, runBinary } from '../helpers/cli.ts';
import { scratchDir, type TestDatabase } from '../helpers/databases.ts';
import { waitFor } from '../helpers/processes.ts';
import { reconLedger } from '../recon/fixture.ts';
import { logLines } from './daemon.ts';

/** A port nothing listens on (bound, then let go). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Relays every connection on `port` to `target`: the database, reachable from now on. */
async function relay(port: number, target: URL): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const upstream = createConnection(Number(target.port), target.hostname);
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('error', () => undefined);
      end.on('close', () => sockets.delete(end));
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('retryDelay', () => {
  it('doubles from 250 ms and stays at its cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelay), [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
    assert.equal(retryDelay(1000), MAX_DELAY_MS);
  });
});

describe('serve --wait on PostgreSQL', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('retries while nothing listens, logging each retry once, and starts when the database comes up', async () => {
    const test: TestDatabase = await reconLedger('postgres');
    cleanups.push(() => test.cleanup());
    const real = new URL(test.url);
    const port = await freePort();
    const waiting = new URL(test.url);
    waiting.hostname = '127.0.0.1';
    waiting.port = String(port);
    const file = join(test.dir, 'tradeledger.yaml');
    writeFileSync(file, 'serve:\n  port: 0\n  wait: 10m\n  interval: 1h\n');
    let text = '';
    const log = daemonLogger({ write: (line: string) => (text += line) }, 'info');
    const starting = startDaemon({ config: loadConfig({ configPath: file, env: {} }).config, url: waiting.toString(), log, env: {} });
    // Two retries logged: the daemon is waiting, not failing.
    await waitFor('two retries', () => logLines(text).filter((line) => line['attempt'] !== undefined).length >= 2 || undefined);
    const up = await relay(port, real);
    cleanups.push(() => up.close());
    const daemon = await starting;
    cleanups.push(async () => void (await daemon.stop()));
    const retries = logLines(text).filter((line) => line['attempt'] !== undefined);
    assert.deepEqual(
      retries.map((line) => line['attempt']),
      retries.map((_line, index) => index + 1),
      'one line per retry, numbered',
    );
    for (const line of retries) {
      assert.equal(line.level, 40);
      assert.match(line.msg, /^The database does not accept connections yet \(\[ECONNREFUSED\] .*\): try \d+ in \d+ ms$/);
      assert.equal(line['retryInMs'], retryDelay(line['attempt'] as number));
    }
    const messages = logLines(text).map((line) => line.msg);
    assert.ok(messages.includes(`The database accepted a connection on try ${retries.length + 1}`), messages.join(' | '));
    assert.ok(messages.includes('Daemon started successfully'));
    const health = await fetch(`${daemon.address}/healthz`);
    assert.equal(health.status, 200);
  });

  it('gives up when the time is up: exit 1, one line naming the URL without its password, retries on stdout', async () => {
    const dir = scratchDir('wait-');
    const port = await freePort();
    const password = 'pw-never-shown-0123';
    writeFileSync(join(dir, 'tradeledger.yaml'), `database:\n  url: postgres://bot:\${PGPASSWORD}@127.0.0.1:${port}/ledger\n`);
    const run = await runBinary(['serve', '--port', '0', '--wait', '600ms'], { cwd: dir, env: { PGPASSWORD: password } });
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(
      lines[0]!,
      new RegExp(
        `^tradeledger: postgres://bot:\\*\\*\\*@127\\.0\\.0\\.1:${port}/ledger did not accept connections within 600ms \\(\\d+ tries\\): \\[ECONNREFUSED\\] .*give --wait more time$`,
      ),
    );
    assert.ok(
      logLines(run.stdout).some((line) => line['attempt'] === 1),
      run.stdout,
    );
    assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password), 'the password never shows');
  });

  it('without --wait fails at once, as before; a bad --wait is a usage error', async () => {
    const port = await freePort();
    const run = await cli('serve', '--port', '0', '--db', `postgres://bot:pw@127.0.0.1:${port}/ledger`);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^tradeledger: \[ECONNREFUSED\]/);
    const bad = await cli('serve', '--port', '0', '--wait', 'soon', '--db', `postgres://bot:pw@127.0.0.1:${port}/ledger`);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'soon' is not a duration/);
  });
});
