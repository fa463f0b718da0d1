// Issue 11, input hardening in the daemon: NUL bytes in text → 400, impossible dates → 400, a
// 401 logs a bounded and sanitised path, and routes answer 503 (not 500) while the database is gone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, postgresAdminUrl, type TestDatabase } from '../helpers/databases.ts';
import { connect, disconnect } from '../helpers/processes.ts';
import { reconLedger } from '../recon/fixture.ts';
import { post, startInProcess, TOKEN, type InProcessDaemon } from './daemon.ts';

async function body(response: Response): Promise<Record<string, unknown>> {
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

/** A 400 whose one-line message matches `pattern`. */
async function badRequest(response: Response, pattern: RegExp): Promise<void> {
  const answer = await body(response);
  assert.equal(response.status, 400, JSON.stringify(answer));
  assert.equal(answer['error'], 'bad_request');
  assert.match(String(answer['message']), pattern);
  assert.doesNotMatch(String(answer['message']), /\n/);
}

describe('daemon input hardening (PGlite bot ledger, admin token set)', () => {
  let test: TestDatabase;
  let running: InProcessDaemon;
  let base: string;
  before(async () => {
    test = await reconLedger('pglite');
    running = await startInProcess(test.url, test.dir, { env: { TRADELEDGER_ADMIN_TOKEN: TOKEN }, yaml: 'serve:\n  port: 0\n  interval: 1h\n' });
    base = running.base;
  });
  after(async () => {
    await running?.daemon.stop();
    await test?.cleanup();
  });

  async function status(profile: string): Promise<{ state: string; reason: string | null } | undefined> {
    return (
      await running.daemon.db.query<{ state: string; reason: string | null }>('SELECT state, reason FROM trading_status WHERE profile_id = $1', [profile])
    )[0];
  }

  it('answers a NUL byte in a body, a query or a path with 400 naming where, and writes nothing', async () => {
    const before = await status('p2');
    await badRequest(await post(`${base}/internal/trading/pause`, { profile: 'p2', reason: 'maintenance\u0000' }), /^body\.reason .*NUL/);
    await badRequest(await post(`${base}/internal/trading/resume`, { profile: 'p1', reason: '\u0000' }), /^body\.reason .*NUL/);
    await badRequest(await post(`${base}/internal/trading/pause`, { profile: 'p\u00002', reason: 'x' }), /^body\.profile /);
    await badRequest(await fetch(`${base}/internal/trading/status?profile=p1%00`), /^querystring\.profile /);
    await badRequest(await fetch(`${base}/recon/batches?profile=%00`), /^querystring\.profile /);
    await badRequest(await fetch(`${base}/recon/batches/RBF%00`), /^params\.id /);
    assert.deepEqual(await status('p2'), before, 'nothing changed');
    assert.equal((await status('p1'))!.state, 'PAUSED', 'nothing changed');
  });

  it('logs a 401 with a bounded, printable path, whatever the caller sent', async () => {
    const long = `/internal/trading/pause?${'a'.repeat(6000)}%1b[31m${'b'.repeat(2000)}`;
    const response = await fetch(`${base}${long}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 401);
    const line = running.lines().find((l) => l.msg.startsWith('Admin request without a bearer token refused'));
    assert.ok(line !== undefined, 'the refusal is logged');
    const route = String(line['route']);
    assert.ok(route.length <= 120, `the logged path is bounded, got ${route.length} characters`);
    assert.match(route, /^\/internal\/trading\/pause/);
    assert.doesNotMatch(JSON.stringify(line), /a{200}|b{200}/, 'no field of the line carries the whole URL');
    assert.doesNotMatch(route, /[^\x21-\x7e]/, 'printable characters only');
  });
});

describe('daemon dates (SQLite risk-state, admin token set)', () => {
  let test: TestDatabase;
  let running: InProcessDaemon;
  before(async () => {
    test = await createTestDatabase('sqlite');
    assert.equal((await cli('migrate', 'up', '--pack', 'risk-state', '--db', test.url, '--no-backup')).code, 0);
    running = await startInProcess(test.url, test.dir, { env: { TRADELEDGER_ADMIN_TOKEN: TOKEN }, yaml: 'serve:\n  port: 0\n  interval: 1h\n' });
  });
  after(async () => {
    await running?.daemon.stop();
    await test?.cleanup();
  });

  it('answers an impossible locked_until (2026-02-30) with 400 instead of rolling it into March, and writes nothing', async () => {
    for (const day of ['2026-02-30T00:00:00Z', '2026-04-31T10:00:00+02:00', '2025-02-29T00:00:00Z']) {
      const response = await post(`${running.base}/internal/enforcement`, {
        account_id: 7,
        rule_id: 'RULE-001',
        action: 'set_lockout',
        reason: 'x',
        locked_until: day,
      });
      await badRequest(response, /locked_until .*no such day/);
    }
    await badRequest(
      await post(`${running.base}/internal/enforcement`, { account_id: 7, rule_id: 'RULE-001', action: 'set_lockout', reason: 'a\u0000b' }),
      /^body\.reason .*NUL/,
    );
    const file = new DatabaseSync(test.url.slice('sqlite:'.length), { readOnly: true });
    try {
      assert.equal(file.prepare('SELECT count(*) AS n FROM enforcement_log').get()?.['n'], 0);
      assert.equal(file.prepare('SELECT count(*) AS n FROM lockouts').get()?.['n'], 0);
    } finally {
      file.close();
    }
  });
});

describe('routes while the database is gone (PostgreSQL)', () => {
  let test: TestDatabase;
  before(async () => {
    test = await reconLedger('postgres');
  });
  after(async () => {
    await test?.cleanup();
  });

  it('answer 503 with a one-line message, not 500', async () => {
    const running = await startInProcess(test.url, test.dir, { env: { TRADELEDGER_ADMIN_TOKEN: TOKEN }, yaml: 'serve:\n  port: 0\n  interval: 1h\n' });
    try {
      assert.equal((await fetch(`${running.base}/internal/trading/status`)).status, 200);
      const admin = await connect(postgresAdminUrl());
      try {
        await admin.query(`DROP DATABASE ${new URL(test.url).pathname.slice(1)} WITH (FORCE)`);
      } finally {
        await disconnect(admin);
      }
      const requests: [string, () => Promise<Response>][] = [
        ['GET /internal/trading/status', () => fetch(`${running.base}/internal/trading/status`)],
        ['GET /internal/trading/status?profile=p1', () => fetch(`${running.base}/internal/trading/status?profile=p1`)],
        ['GET /recon/batches', () => fetch(`${running.base}/recon/batches`)],
        ['GET /recon/batches/:id', () => fetch(`${running.base}/recon/batches/RBF-1`)],
        ['POST /internal/trading/pause', () => post(`${running.base}/internal/trading/pause`, { profile: 'p2', reason: 'x' })],
      ];
      for (const [name, request] of requests) {
        const response = await request();
        const answer = await body(response);
        assert.equal(response.status, 503, `${name}: ${JSON.stringify(answer)}`);
        assert.equal(answer['error'], 'unavailable', name);
        assert.match(String(answer['message']), /database/, name);
        assert.doesNotMatch(String(answer['message']), /\n/, name);
      }
    } finally {
      assert.deepEqual(await running.daemon.stop(), { clean: true });
    }
  });
});
