import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reconSchema } from '../../src/config/recon-schema.ts';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { UsageError } from '../../src/errors.ts';
import { openEvidenceSource } from '../../src/evidence/open.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { ExchangeSimulator } from '../helpers/exchange-simulator.ts';

function evidenceConfig(evidence: Record<string, unknown>) {
  return reconSchema.parse({ evidence }).evidence;
}

describe('openEvidenceSource', () => {
  let test: TestDatabase;
  let db: Database;
  let sim: ExchangeSimulator;
  before(async () => {
    test = await createTestDatabase('pglite');
    const up = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url);
    assert.equal(up.code, 0, up.stderr);
    db = await openDatabase(test.url);
    sim = await ExchangeSimulator.start();
  });
  after(async () => {
    await db?.close();
    await sim?.close();
    await test?.cleanup();
  });

  it('opens the table source by default', async () => {
    await db.query(`INSERT INTO exchange_positions (profile_id, symbol, quantity) VALUES ('p1', 'BTC', 0)`);
    const source = await openEvidenceSource(evidenceConfig({}), db);
    assert.equal(source.kind, 'table');
    const found = await source.gather({ profileId: 'p1', symbols: ['BTC'], since: new Date(0), until: new Date() });
    assert.equal(found.positions.get('BTC')?.quantity.isZero(), true);
  });

  it('opens the file source on recon.evidence.file', async () => {
    const path = join(test.dir, 'evidence.json');
    writeFileSync(path, JSON.stringify({ positions: [{ profile_id: 'p1', symbol: 'ETH', quantity: '0.5', observed_at: '2026-02-01T00:00:00Z' }] }));
    const source = await openEvidenceSource(evidenceConfig({ source: 'file', file: path }), db);
    assert.equal(source.kind, 'file');
    const found = await source.gather({ profileId: 'p1', symbols: ['ETH'], since: new Date(0), until: new Date() });
    assert.equal(found.positions.get('ETH')?.quantity.toFixed(), '0.5');
  });

  it('opens the ccxt source on recon.evidence.exchange, options and profile', async () => {
    sim.balances.set('BTC', { free: '0', locked: '0' });
    const source = await openEvidenceSource(evidenceConfig({ source: 'ccxt', exchange: 'binance', options: sim.ccxtOptions(), profile: 'p1' }), db);
    assert.equal(source.kind, 'ccxt');
    const found = await source.gather({ profileId: 'p1', symbols: ['BTC/USDT'], since: new Date(Date.now() - 3_600_000), until: new Date() });
    assert.deepEqual(found.problems, []);
    assert.equal(found.positions.get('BTC/USDT')?.quantity.isZero(), true);
    await source.close();
  });

  const missing: readonly (readonly [Record<string, unknown>, string])[] = [
    [{ source: 'file' }, 'recon.evidence.file is required when recon.evidence.source is file: the path of a JSON or CSV export of fills and positions'],
    [{ source: 'ccxt', profile: 'p1' }, 'recon.evidence.exchange is required when recon.evidence.source is ccxt: a ccxt exchange id such as binance'],
    [
      { source: 'ccxt', exchange: 'binance' },
      'recon.evidence.profile is required when recon.evidence.source is ccxt: the ledger profile the exchange credentials belong to',
    ],
  ];
  for (const [settings, message] of missing) {
    it(`refuses ${JSON.stringify(settings)} naming the missing setting`, async () => {
      await assert.rejects(openEvidenceSource(evidenceConfig(settings), db), (error: unknown) => error instanceof UsageError && error.message === message);
    });
  }
});
