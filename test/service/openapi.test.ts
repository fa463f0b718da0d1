// The OpenAPI document: docs/openapi.json is what the route schemas generate, every route has a
// summary and request and response schemas, a daemon serves its own routes' document at
// /openapi.json, and what the routes answer is what the library returns (a response schema that
// forgets a key would drop it). Also the default process metrics. Real daemon, real PGlite.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { listAudit } from '../../src/recon/report.ts';
import { listBatches } from '../../src/service/recon-batches.ts';
import { openApiDocument, openApiText } from '../../src/service/openapi-document.ts';
import { readTradingStatus } from '../../src/service/trading-status.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { waitFor } from '../helpers/processes.ts';
import { reconLedger } from '../recon/fixture.ts';
import { metric, post, startInProcess, TOKEN, type InProcessDaemon } from './daemon.ts';

type Operation = {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: unknown;
  parameters?: { in: string; name: string }[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

const EVERY_ROUTE = [
  'get /healthz',
  'get /metrics',
  'get /openapi.json',
  'get /internal/trading/status',
  'post /internal/trading/pause',
  'post /internal/trading/resume',
  'get /recon/batches',
  'get /recon/batches/{id}',
  'post /internal/enforcement',
];

function operations(document: Record<string, unknown>): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, methods] of Object.entries(document['paths'] as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) found.set(`${method} ${path}`, operation);
  }
  return found;
}

describe('docs/openapi.json', () => {
  it('is what the route schemas generate (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8');
    assert.equal(committed, await openApiText(), 'docs/openapi.json is stale: run `npm run openapi` and commit it');
  });

  it('describes every route of every pack, each with a summary, a tag, its security and a schema for each answer', async () => {
    const document = await openApiDocument();
    assert.equal(document['openapi'], '3.0.3');
    const found = operations(document);
    assert.deepEqual([...found.keys()].sort(), [...EVERY_ROUTE].sort());
    for (const [route, operation] of found) {
      assert.ok(operation.summary, `${route} has a summary`);
      assert.ok(operation.tags?.length, `${route} has a tag`);
      assert.ok(Array.isArray(operation.security), `${route} states its security`);
      const success = operation.responses['200'] ?? operation.responses['201'];
      assert.ok(success?.content !== undefined && Object.values(success.content).every((media) => media.schema !== undefined), `${route} has a success schema`);
      if (!['get /healthz', 'get /metrics'].includes(route)) {
        for (const status of ['400', '401', '500', '503']) assert.ok(operation.responses[status]?.content, `${route} documents ${status}`);
      }
      if (route.startsWith('post ')) {
        assert.ok(operation.requestBody, `${route} has a request body schema`);
        assert.deepEqual(operation.security, [{ adminToken: [] }], `${route} needs the admin token`);
      }
    }
    assert.deepEqual(found.get('get /healthz')?.security, []);
    assert.deepEqual(
      found.get('get /recon/batches')?.parameters?.map((parameter) => `${parameter.in} ${parameter.name}`),
      ['query profile', 'query limit'],
    );
  });
});

describe('a daemon documents and answers its own routes', () => {
  let test: TestDatabase;
  let running: InProcessDaemon;
  let base: string;
  before(async () => {
    test = await reconLedger('pglite');
    running = await startInProcess(test.url, test.dir, {
      env: { TRADELEDGER_ADMIN_TOKEN: TOKEN, ENABLE_RECON_EXIT_BACKFILL: 'true', RECON_EXIT_BACKFILL_LOOKBACK_HOURS: String(3650 * 24) },
      // One cycle at start-up (dry run: it writes a batch of audit rows), then none while the test compares.
      yaml: 'serve:\n  port: 0\n  interval: 1h\n',
    });
    base = running.base;
  });
  after(async () => {
    await running?.daemon.stop();
    await test?.cleanup();
  });

  it('GET /openapi.json: the bot-ledger routes, not the risk-state ones', async () => {
    const response = await fetch(`${base}/openapi.json`);
    assert.equal(response.status, 200);
    const found = operations((await response.json()) as Record<string, unknown>);
    assert.ok(found.has('post /internal/trading/pause'));
    assert.ok(found.has('get /recon/batches/{id}'));
    assert.ok(!found.has('post /internal/enforcement'));
  });

  it('answers exactly what the library returns: no key is dropped by a response schema', async () => {
    const db = running.daemon.db;
    assert.equal((await post(`${base}/internal/trading/pause`, { profile: 'p2', reason: 'schema check' })).status, 200);
    assert.deepEqual(await (await fetch(`${base}/internal/trading/status`)).json(), { profiles: await readTradingStatus(db) });
    assert.deepEqual(await (await fetch(`${base}/internal/trading/status?profile=p2`)).json(), (await readTradingStatus(db, 'p2'))[0]);
    const batches = await waitFor('a reconciliation batch', async () => {
      const listed = await listBatches(db, { limit: 50 });
      return listed.length > 0 ? listed : undefined;
    });
    const answered = (await (await fetch(`${base}/recon/batches?limit=1`)).json()) as { batches: { batchId: string }[] };
    assert.deepEqual(answered, { batches: await listBatches(db, { limit: 1 }) });
    const id = batches[0]!.batchId;
    const batch = (await (await fetch(`${base}/recon/batches/${id}`)).json()) as { rows: unknown[] };
    assert.deepEqual(batch.rows, await listAudit(db, { batchId: id, limit: 10_000 }));
    const health = (await (await fetch(`${base}/healthz`)).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(health).sort(), ['database', 'lastCycle', 'pack', 'status', 'uptimeSeconds']);
  });

  it('GET /metrics carries the default process metrics beside the daemon counters', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      assert.ok((metric(text, name) ?? -1) >= 0, `${name} in /metrics`);
    }
    assert.notEqual(metric(text, 'tradeledger_recon_cycles_total', { outcome: 'ok' }), undefined);
  });
});
