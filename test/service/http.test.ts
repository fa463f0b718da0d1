// The daemon's HTTP routes on a real server (random free port) over a real PGlite bot ledger:
// trading status, pause and resume with and without the token, validation, 404s, health, metrics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/db/port.ts';
import { ANOMALY_KINDS } from '../../src/lifecycle/anomalies.ts';
import { lifecycleReport } from '../../src/lifecycle/report.ts';
import { isPaused } from '../../src/recon/pause.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { waitFor } from '../helpers/processes.ts';
import { reconLedger } from '../recon/fixture.ts';
import { BOT_LEDGER_LATEST, metric, post, startInProcess, TOKEN, type InProcessDaemon } from './daemon.ts';

async function statusRow(db: Database, profile: string): Promise<{ state: string; reason: string | null; updated_by: string | null } | undefined> {
  return (
    await db.query<{ state: string; reason: string | null; updated_by: string | null }>(
      'SELECT state, reason, updated_by FROM trading_status WHERE profile_id = $1',
      [profile],
    )
  )[0];
}

async function json(response: Response): Promise<Record<string, unknown>> {
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

async function metricsText(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  return response.text();
}

function ledger(): Promise<TestDatabase> {
  return reconLedger('pglite');
}

describe('tradeledger serve over HTTP (PGlite bot ledger, admin token set)', () => {
  let test: TestDatabase;
  let running: InProcessDaemon;
  let base: string;
  let startedAt: number;
  before(async () => {
    test = await ledger();
    startedAt = Date.now();
    // Reconciliation on in dry-run: every cycle writes audit rows, so the counters move.
    running = await startInProcess(test.url, test.dir, {
      env: { TRADELEDGER_ADMIN_TOKEN: TOKEN, ENABLE_RECON_EXIT_BACKFILL: 'true', RECON_EXIT_BACKFILL_LOOKBACK_HOURS: String(3650 * 24) },
      yaml: 'serve:\n  port: 0\n  interval: 150ms\n',
    });
    base = running.base;
  });
  after(async () => {
    await running?.daemon.stop();
    await test?.cleanup();
  });

  it('logs the schema version, what it loaded and that it started, as JSON lines', () => {
    const messages = running.lines().map((line) => line.msg);
    const order = [`Database schema version: ${BOT_LEDGER_LATEST}`, 'Loaded 0 positions', 'Loaded 1 open orders', 'Daemon started successfully'].map((msg) =>
      messages.indexOf(msg),
    );
    assert.ok(
      order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!)),
      `start-up lines in order: ${messages.join(' | ')}`,
    );
    const listening = running.lines().find((line) => line.msg.startsWith('Listening on'))!;
    assert.equal(listening['port'], running.daemon.port);
    assert.equal(listening['host'], '127.0.0.1');
  });

  it('GET /internal/trading/status answers every profile, or one as { profile, state }', async () => {
    const all = await json(await fetch(`${base}/internal/trading/status`));
    assert.deepEqual(
      (all['profiles'] as { profile: string; state: string }[]).map((p) => [p.profile, p.state]),
      [
        ['p1', 'PAUSED'],
        ['p2', 'RUNNING'],
      ],
    );
    const one = await json(await fetch(`${base}/internal/trading/status?profile=p1`));
    assert.equal(one['profile'], 'p1');
    assert.equal(one['state'], 'PAUSED');
    const unknown = await json(await fetch(`${base}/internal/trading/status?profile=p9`));
    assert.deepEqual([unknown['profile'], unknown['state'], unknown['updatedBy']], ['p9', 'RUNNING', null], 'a profile without a row runs');
  });

  it("is what recon's url pause source reads", async () => {
    const source = { kind: 'url' as const, url: `${base}/internal/trading/status` };
    assert.equal(await isPaused(running.daemon.db, source, 'p1'), true);
    assert.equal(await isPaused(running.daemon.db, source, 'p2'), false);
  });

  it('refuses pause and resume without the right token: 401 and nothing changes', async () => {
    const before = await statusRow(running.daemon.db, 'p2');
    const attempts = [
      await post(`${base}/internal/trading/pause`, { profile: 'p2', reason: 'no token' }, {}),
      await post(`${base}/internal/trading/pause`, { profile: 'p2', reason: 'wrong token' }, { authorization: `Bearer ${TOKEN}x` }),
      await post(`${base}/internal/trading/pause`, { profile: 'p2', reason: 'not bearer' }, { authorization: `Basic ${TOKEN}` }),
      await post(`${base}/internal/trading/resume`, { profile: 'p1', reason: 'short token' }, { authorization: 'Bearer test' }),
      // Even a malformed body gets 401, not 400: without the token nothing about the route is told.
      await post(`${base}/internal/trading/pause`, '{not json', {}),
    ];
    for (const response of attempts) {
      assert.equal(response.status, 401);
      assert.equal((await json(response))['error'], 'unauthorized');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    assert.deepEqual(await statusRow(running.daemon.db, 'p2'), before);
    assert.equal((await statusRow(running.daemon.db, 'p1'))!.state, 'PAUSED');
  });

  it('pauses and resumes with the token, recording who, why and when', async () => {
    const sent = Date.now();
    const paused = await post(
      `${base}/internal/trading/pause`,
      { profile: 'p2', reason: 'exchange maintenance' },
      { authorization: `Bearer ${TOKEN}`, 'x-actor': 'ops.alice' },
    );
    assert.equal(paused.status, 200);
    const body = await json(paused);
    assert.deepEqual(
      [body['profile'], body['state'], body['previous'], body['changed'], body['updatedBy'], body['reason']],
      ['p2', 'PAUSED', 'RUNNING', true, 'ops.alice@127.0.0.1', 'exchange maintenance'],
    );
    // When: between the request and its answer (an order of events, not a speed).
    const updatedAt = Date.parse(String(body['updatedAt']));
    assert.ok(sent <= updatedAt && updatedAt <= Date.now(), `updatedAt ${String(body['updatedAt'])}`);
    assert.deepEqual(await statusRow(running.daemon.db, 'p2'), { state: 'PAUSED', reason: 'exchange maintenance', updated_by: 'ops.alice@127.0.0.1' });
    assert.equal((await json(await fetch(`${base}/internal/trading/status?profile=p2`)))['state'], 'PAUSED');

    const again = await json(await post(`${base}/internal/trading/pause`, { profile: 'p2', reason: 'twice' }));
    assert.equal(again['changed'], false);
    assert.equal((await statusRow(running.daemon.db, 'p2'))!.updated_by, 'ops.alice@127.0.0.1', 'a pause of a paused profile keeps who paused it');

    const resumed = await json(await post(`${base}/internal/trading/resume`, { profile: 'p2', reason: 'maintenance over' }));
    assert.deepEqual([resumed['state'], resumed['previous'], resumed['updatedBy']], ['RUNNING', 'PAUSED', 'admin@127.0.0.1']);
    assert.deepEqual(await statusRow(running.daemon.db, 'p2'), { state: 'RUNNING', reason: 'maintenance over', updated_by: 'admin@127.0.0.1' });
    assert.ok(running.lines().some((line) => line.msg === 'Profile p2 PAUSED by ops.alice@127.0.0.1' && line['reason'] === 'exchange maintenance'));
    assert.equal(metric(await metricsText(base), 'tradeledger_trading_status_changes_total', { state: 'PAUSED' }), 1);
  });

  it('answers bad input with 400 and a one-line message, never a stack trace', async () => {
    const cases: [Promise<Response>, RegExp][] = [
      [post(`${base}/internal/trading/pause`, { profile: 'p2' }), /body must have required property 'reason'/],
      [post(`${base}/internal/trading/pause`, { profile: 'p2', reason: '   ' }), /body\.reason must not be blank/],
      [post(`${base}/internal/trading/pause`, { profile: 'p 2', reason: 'x' }), /body\.profile must be a profile id/],
      [post(`${base}/internal/trading/pause`, { profile: 42, reason: 'x' }), /body\.profile must be string/],
      [post(`${base}/internal/trading/pause`, { profile: 'p2', reason: 'x', state: 'RUNNING' }), /body has an unknown key 'state'/],
      [
        post(`${base}/internal/trading/pause`, { profile: 'p2', reason: 'x' }, { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice smith' }),
        /headers\.x-actor must be a name/,
      ],
      [post(`${base}/internal/trading/pause`, '{"profile": "p2",'), /not valid JSON/i],
      [fetch(`${base}/internal/trading/status?profile=`), /querystring\.profile must NOT have fewer than 1 characters/],
      [fetch(`${base}/internal/trading/status?state=PAUSED`), /querystring has an unknown key 'state'/],
      [fetch(`${base}/recon/batches?limit=0`), /querystring\.limit must be a whole number from 1 to 500/],
      [fetch(`${base}/recon/batches?limit=abc`), /querystring\.limit must be a whole number/],
      [fetch(`${base}/recon/batches/not%20an%20id`), /params\.id must be a batch id/],
    ];
    for (const [request, message] of cases) {
      const response = await request;
      const body = await json(response);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(body['error'], 'bad_request');
      assert.match(String(body['message']), message);
      assert.doesNotMatch(JSON.stringify(body), /\bat \S+:\d+|node_modules|\\n/, 'no stack trace');
    }
    const text = await fetch(`${base}/internal/trading/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      body: 'pause p2',
    });
    assert.equal(text.status, 400);
    assert.match(String((await json(text))['message']), /^body must be object$/);
    const xml = await fetch(`${base}/internal/trading/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/xml' },
      body: '<pause/>',
    });
    assert.equal(xml.status, 415);
    assert.equal((await json(xml))['error'], 'unsupported_media_type');
    assert.equal((await statusRow(running.daemon.db, 'p2'))!.state, 'RUNNING', 'no bad request changed anything');
  });

  it('answers unknown routes and batches with 404 JSON', async () => {
    const route = await fetch(`${base}/internal/nothing-here?x=1`);
    assert.equal(route.status, 404);
    assert.deepEqual(await json(route), { error: 'not_found', message: 'no route GET /internal/nothing-here' });
    const method = await fetch(`${base}/internal/trading/status`, { method: 'DELETE' });
    assert.equal(method.status, 404);
    const batch = await fetch(`${base}/recon/batches/RBF-20990101_000000-ffffff`);
    assert.equal(batch.status, 404);
    assert.match(String((await json(batch))['message']), /no reconciliation batch RBF-20990101_000000-ffffff/);
  });

  it('GET /metrics: Prometheus text whose counters move with each cycle', async () => {
    const first = await waitFor('a cycle with decisions', async () => {
      const text = await metricsText(base);
      return (metric(text, 'tradeledger_recon_cycles_total', { outcome: 'ok' }) ?? 0) >= 1 ? text : undefined;
    });
    for (const name of [
      'tradeledger_recon_cycles_total',
      'tradeledger_recon_decisions_total',
      'tradeledger_recon_cycle_duration_seconds',
      'tradeledger_recon_mismatch_events_total',
      'tradeledger_lifecycle_anomalies',
    ]) {
      assert.match(first, new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    }
    assert.equal(metric(first, 'tradeledger_schema_version'), BOT_LEDGER_LATEST);
    assert.equal(metric(first, 'tradeledger_recon_cycles_total', { outcome: 'failed' }), 0);
    const dryRun = metric(first, 'tradeledger_recon_decisions_total', { decision: 'DRY_RUN' })!;
    const noGo = metric(first, 'tradeledger_recon_decisions_total', { decision: 'NO_GO' })!;
    assert.ok(dryRun >= 7 && noGo >= 5, `dry-run decisions counted (DRY_RUN ${dryRun}, NO_GO ${noGo})`);
    assert.ok(metric(first, 'tradeledger_recon_mismatch_events_total')! >= 1, 'BTC is open in the ledger and flat on the exchange');
    // The anomaly figures are the lifecycle report's, kind by kind (dry-run cycles change no order).
    const report = await lifecycleReport(running.daemon.db);
    for (const kind of ANOMALY_KINDS) assert.equal(metric(first, 'tradeledger_lifecycle_anomalies', { kind }), report.counts[kind] ?? 0, kind);
    assert.ok(report.anomalies.length > 0, 'the fixture has anomalies to count');
    const cycles = metric(first, 'tradeledger_recon_cycles_total', { outcome: 'ok' })!;
    const later = await waitFor('another cycle', async () => {
      const text = await metricsText(base);
      return metric(text, 'tradeledger_recon_cycles_total', { outcome: 'ok' })! > cycles ? text : undefined;
    });
    assert.ok(metric(later, 'tradeledger_recon_decisions_total', { decision: 'DRY_RUN' })! > dryRun, 'the next cycle counted its decisions too');
    assert.ok(metric(later, 'tradeledger_recon_cycle_duration_seconds_count', { outcome: 'ok' })! > cycles);
    // A standing mismatch is counted every cycle but logged once per throttle window (5 minutes).
    const logged = running.lines().filter((line) => line.msg === 'Exchange state mismatch: profile p1 BTC: ledger open 1, exchange 0');
    assert.equal(logged.length, 1);
  });

  it('GET /healthz: database reachable, schema version, last cycle', async () => {
    // Whichever test ran before, a cycle has to have finished for there to be a last one.
    await waitFor('a finished cycle', async () => ((await (await fetch(`${base}/healthz`)).json()) as { lastCycle: unknown }).lastCycle !== null);
    const response = await fetch(`${base}/healthz`);
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.equal(body['status'], 'ok');
    assert.deepEqual(body['database'], {
      url: running.daemon.db.url,
      reachable: true,
      schemaVersion: BOT_LEDGER_LATEST,
      expectedVersion: BOT_LEDGER_LATEST,
      error: null,
    });
    const last = body['lastCycle'] as { outcome: string; mode: string; at: string; batchId: string };
    assert.deepEqual([last.outcome, last.mode], ['ok', 'dry-run']);
    assert.match(last.batchId, /^RBF-/);
    const at = Date.parse(last.at);
    assert.ok(startedAt <= at && at <= Date.now(), `the last cycle ran after the daemon started: ${last.at}`);
  });

  it('logs and counts a failing cycle, and the next one still runs', async () => {
    const db = running.daemon.db;
    await db.exec('ALTER TABLE reconciliation_backfill_audit RENAME TO reconciliation_backfill_audit_away');
    try {
      await waitFor('a failed cycle', async () => metric(await metricsText(base), 'tradeledger_recon_cycles_total', { outcome: 'failed' })! >= 1 || undefined);
      const health = await json(await fetch(`${base}/healthz`));
      const last = health['lastCycle'] as { outcome: string; error: string };
      assert.equal(last.outcome, 'failed');
      assert.match(last.error, /reconciliation_backfill_audit/);
      assert.ok(running.lines().some((line) => line.level === 50 && line.msg.startsWith('Reconciliation cycle failed')));
    } finally {
      await db.exec('ALTER TABLE reconciliation_backfill_audit_away RENAME TO reconciliation_backfill_audit');
    }
    const ok = metric(await metricsText(base), 'tradeledger_recon_cycles_total', { outcome: 'ok' })!;
    await waitFor(
      'a good cycle after the failure',
      async () => metric(await metricsText(base), 'tradeledger_recon_cycles_total', { outcome: 'ok' })! > ok || undefined,
    );
    assert.equal((await json(await fetch(`${base}/healthz`)))['status'], 'ok');
  });
});

describe('tradeledger serve without TRADELEDGER_ADMIN_TOKEN', () => {
  let test: TestDatabase;
  let running: InProcessDaemon;
  before(async () => {
    test = await ledger();
    running = await startInProcess(test.url, test.dir);
  });
  after(async () => {
    await running?.daemon.stop();
    await test?.cleanup();
  });

  it('says so at start-up and does not register the admin routes (404)', async () => {
    assert.ok(running.lines().some((line) => line.level === 40 && /TRADELEDGER_ADMIN_TOKEN is not set: the admin routes .* are off/.test(line.msg)));
    for (const path of ['/internal/trading/pause', '/internal/trading/resume']) {
      const response = await post(`${running.base}${path}`, { profile: 'p1', reason: 'x' }, { authorization: 'Bearer anything-at-all-123456' });
      assert.equal(response.status, 404);
      assert.match(String((await json(response))['message']), /admin routes are off because TRADELEDGER_ADMIN_TOKEN is not set/);
    }
    assert.equal((await statusRow(running.daemon.db, 'p1'))!.state, 'PAUSED');
    assert.equal((await fetch(`${running.base}/internal/trading/status?profile=p1`)).status, 200, 'the status route stays on');
  });

  it('keeps reconciliation off by default: cycles are counted as disabled and write nothing', async () => {
    await waitFor(
      'a cycle',
      async () => metric(await (await fetch(`${running.base}/metrics`)).text(), 'tradeledger_recon_cycles_total', { outcome: 'disabled' })! >= 1 || undefined,
    );
    assert.deepEqual(await running.daemon.db.query('SELECT 1 FROM reconciliation_backfill_audit'), []);
  });
});
