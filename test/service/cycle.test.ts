// A reconciliation cycle the daemon runs on its own, with dry-run off, on a paused profile with
// exchange evidence (the recon fixture): the compensating EXIT rows appear and the audit is served.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDatabase } from '../helpers/databases.ts';
import { waitFor } from '../helpers/processes.ts';
import { reconLedger } from '../recon/fixture.ts';
import { APPLY_ENV, metric, startInProcess, type InProcessDaemon } from './daemon.ts';

interface Batch {
  readonly batchId: string;
  readonly rows: number;
  readonly profiles: string[];
  readonly counts: Record<string, number>;
  readonly revertedRows: number;
}

describe('tradeledger serve applies a reconciliation cycle (PGlite, dry-run off)', () => {
  let test: TestDatabase;
  let running: InProcessDaemon;
  before(async () => {
    test = await reconLedger('pglite');
    running = await startInProcess(test.url, test.dir, { env: APPLY_ENV, yaml: 'serve:\n  port: 0\n  interval: 200ms\n' });
  });
  after(async () => {
    await running?.daemon.stop();
    await test?.cleanup();
  });

  it('inserts the BFILL rows of the paused profile in one batch, and /recon/batches shows it', async () => {
    assert.ok(running.lines().some((line) => line.msg === 'Reconciliation every 200 ms, apply: compensating EXIT rows are inserted'));
    const applied = await waitFor('the applying batch', async () => {
      const { batches } = (await (await fetch(`${running.base}/recon/batches`)).json()) as { batches: Batch[] };
      return batches.find((batch) => (batch.counts['APPLIED'] ?? 0) > 0);
    });
    assert.equal(applied.counts['APPLIED'], 7);
    assert.deepEqual(applied.profiles, ['p1', 'p2'], "p2's lifecycle is refused (running) in the same batch");
    assert.equal(applied.revertedRows, 0);

    const orders = await running.daemon.db.query<{ order_id: string; profile_id: string; action: string; status: string; source: string; trade_id: string }>(
      `SELECT order_id, profile_id, action, status, source, trade_id FROM orders WHERE order_id LIKE 'BFILL-%' ORDER BY order_id`,
    );
    assert.equal(orders.length, 7);
    for (const order of orders) assert.deepEqual([order.profile_id, order.action, order.status, order.source], ['p1', 'EXIT', 'filled', 'backfill']);
    assert.deepEqual([...new Set(orders.map((o) => o.trade_id))].sort(), ['TRD-a', 'TRD-b', 'TRD-d1', 'TRD-g1']);

    const detail = (await (await fetch(`${running.base}/recon/batches/${applied.batchId}`)).json()) as {
      batchId: string;
      counts: Record<string, number>;
      rows: { decision: string; backfillOrderId: string | null; profileId: string; reason: string }[];
    };
    assert.equal(detail.batchId, applied.batchId);
    assert.deepEqual(detail.counts, applied.counts);
    assert.deepEqual(
      detail.rows
        .filter((row) => row.decision === 'APPLIED')
        .map((row) => row.backfillOrderId)
        .sort(),
      orders.map((o) => o.order_id),
    );
    assert.ok(detail.rows.some((row) => row.profileId === 'p2' && row.decision === 'NO_GO' && row.reason === 'profile_not_paused'));
  });

  it('does not apply twice: later cycles find those lifecycles closed', async () => {
    const cycles = async () => metric(await (await fetch(`${running.base}/metrics`)).text(), 'tradeledger_recon_cycles_total', { outcome: 'ok' })!;
    // The cycles counted below come after the one that applied (counted with its decisions), whichever test ran before.
    await waitFor(
      'the applying cycle to be counted',
      async () =>
        metric(await (await fetch(`${running.base}/metrics`)).text(), 'tradeledger_recon_decisions_total', { decision: 'APPLIED' })! >= 7 || undefined,
    );
    const now = await cycles();
    await waitFor('two more cycles', async () => (await cycles()) >= now + 2 || undefined);
    const text = await (await fetch(`${running.base}/metrics`)).text();
    assert.equal(metric(text, 'tradeledger_recon_decisions_total', { decision: 'APPLIED' }), 7);
    assert.equal(metric(text, 'tradeledger_recon_decisions_total', { decision: 'SKIP_EXISTING' }), 0);
    const count = await running.daemon.db.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE order_id LIKE 'BFILL-%'`);
    assert.equal(count[0]!.n, '7');
    const { batches } = (await (await fetch(`${running.base}/recon/batches?profile=p1&limit=2`)).json()) as { batches: Batch[] };
    assert.equal(batches.length, 2);
    for (const batch of batches) assert.equal(batch.counts['APPLIED'], undefined, 'the newest batches hold only refusals');
  });
});
