// Who may read: beyond loopback every route but /healthz and /metrics needs the read or the admin
// token; on loopback the read routes stay open unless a read token is set; a read token never
// opens a write route. Real daemons on a real PGlite bot ledger, over HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDatabase } from '../helpers/databases.ts';
import { reconLedger } from '../recon/fixture.ts';
import { post, startInProcess, TOKEN, type InProcessDaemon } from './daemon.ts';

const READ = 'test-read-token-fedcba9876543210';

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  return response.status;
}

/** The daemon bound to `host`, reached on 127.0.0.1 (which 0.0.0.0 includes). */
async function daemonOn(test: TestDatabase, host: string, env: Record<string, string>): Promise<{ running: InProcessDaemon; base: string }> {
  const running = await startInProcess(test.url, test.dir, { env, yaml: `serve:\n  host: '${host}'\n  port: 0\n  interval: 1h\n` });
  return { running, base: `http://127.0.0.1:${running.daemon.port}` };
}

describe('serve beyond loopback (0.0.0.0) with a read and an admin token', () => {
  let test: TestDatabase;
  let running: InProcessDaemon;
  let base: string;
  before(async () => {
    test = await reconLedger('pglite');
    ({ running, base } = await daemonOn(test, '0.0.0.0', { TRADELEDGER_ADMIN_TOKEN: TOKEN, TRADELEDGER_READ_TOKEN: READ }));
  });
  after(async () => {
    await running?.daemon.stop();
    await test?.cleanup();
  });

  it('answers /healthz and /metrics without a token', async () => {
    assert.equal(await status(`${base}/healthz`), 200);
    assert.equal(await status(`${base}/metrics`), 200);
  });

  it('refuses every read route without the token or with a wrong one (401), and answers with either token', async () => {
    for (const path of ['/internal/trading/status', '/internal/trading/status?profile=p1', '/recon/batches', '/recon/batches/RBF-none', '/openapi.json']) {
      assert.equal(await status(`${base}${path}`), 401, `${path} without a token`);
      assert.equal(await status(`${base}${path}`, bearer('not-the-token-0123456789')), 401, `${path} with a wrong token`);
      const expected = path === '/recon/batches/RBF-none' ? 404 : 200;
      assert.equal(await status(`${base}${path}`, bearer(READ)), expected, `${path} with the read token`);
      assert.equal(await status(`${base}${path}`, bearer(TOKEN)), expected, `${path} with the admin token`);
    }
    const refused = await fetch(`${base}/internal/trading/status`);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="tradeledger"');
    assert.deepEqual(await refused.json(), {
      error: 'unauthorized',
      message: 'this route needs Authorization: Bearer <TRADELEDGER_READ_TOKEN or TRADELEDGER_ADMIN_TOKEN>',
    });
  });

  it('an unknown path is 401 too: without a token nothing is learned about the routes', async () => {
    assert.equal(await status(`${base}/internal/nothing-here`), 401);
    assert.equal(await status(`${base}/internal/nothing-here`, bearer(READ)), 404);
  });

  it('the read token does not open a write route; the admin token does', async () => {
    const body = { profile: 'p2', reason: 'access test' };
    assert.equal((await post(`${base}/internal/trading/pause`, body, bearer(READ))).status, 401);
    const row = await running.daemon.db.query<{ state: string }>('SELECT state FROM trading_status WHERE profile_id = $1', ['p2']);
    assert.equal(row[0]?.state, 'RUNNING', 'nothing changed');
    assert.equal((await post(`${base}/internal/trading/pause`, body)).status, 200);
    assert.equal((await post(`${base}/internal/trading/resume`, body)).status, 200);
  });

  it('logs that reads need a token', () => {
    const line = running.lines().find((entry) => entry['readsNeedToken'] !== undefined);
    assert.equal(line?.['readsNeedToken'], true);
    assert.equal(line?.level, 30);
    assert.ok(!JSON.stringify(running.lines()).includes(READ), 'the read token is never logged');
  });
});

describe('serve beyond loopback without any token', () => {
  it('answers only /healthz and /metrics, says why on the others, and warns at start-up', async () => {
    const test = await reconLedger('pglite');
    const { running, base } = await daemonOn(test, '0.0.0.0', {});
    try {
      assert.equal(await status(`${base}/healthz`), 200);
      assert.equal(await status(`${base}/metrics`), 200);
      const refused = await fetch(`${base}/internal/trading/status`);
      assert.equal(refused.status, 401);
      assert.match(((await refused.json()) as { message: string }).message, /neither TRADELEDGER_READ_TOKEN nor TRADELEDGER_ADMIN_TOKEN set/);
      const warning = running.lines().find((line) => line.level === 40 && /beyond loopback/.test(line.msg));
      assert.ok(warning, 'a start-up warning');
    } finally {
      await running.daemon.stop();
      await test.cleanup();
    }
  });
});

describe('serve on loopback', () => {
  it('keeps the read routes open without a read token (as before), and closes them once one is set', async () => {
    const test = await reconLedger('pglite');
    try {
      const open = await daemonOn(test, '127.0.0.1', { TRADELEDGER_ADMIN_TOKEN: TOKEN });
      try {
        assert.equal(await status(`${open.base}/internal/trading/status`), 200);
        assert.equal(await status(`${open.base}/recon/batches`), 200);
        assert.equal((await post(`${open.base}/internal/trading/pause`, { profile: 'p2', reason: 'x' }, {})).status, 401, 'writes still need the admin token');
      } finally {
        await open.running.daemon.stop();
      }
      const closed = await daemonOn(test, '127.0.0.1', { TRADELEDGER_READ_TOKEN: READ });
      try {
        assert.equal(await status(`${closed.base}/internal/trading/status`), 401);
        assert.equal(await status(`${closed.base}/internal/trading/status`, bearer(READ)), 200);
        assert.equal(await status(`${closed.base}/healthz`), 200);
      } finally {
        await closed.running.daemon.stop();
      }
    } finally {
      await test.cleanup();
    }
  });
});
