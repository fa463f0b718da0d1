import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { isPaused } from '../../src/recon/pause.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { cli } from '../helpers/cli.ts';
import { tradingState } from './fixture.ts';

describe('pause state', () => {
  let server: Server;
  let base: string;
  let test: TestDatabase;
  let db: Database;
  before(async () => {
    // A status endpoint as the specification describes it: the bare word, our JSON, or a failure.
    server = createServer((request, response) => {
      const profile = new URL(request.url ?? '/', 'http://x').searchParams.get('profile');
      if (profile === 'word') return response.end('PAUSED\n');
      if (profile === 'json') return response.end(JSON.stringify({ profile, state: 'RUNNING' }));
      if (profile === 'odd') return response.end('MAYBE');
      response.statusCode = 500;
      response.end('boom');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/trading/status`;
    test = await createTestDatabase('pglite');
    assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--to', '6', '--db', test.url)).code, 0);
    db = await openDatabase(test.url);
  });
  after(async () => {
    server.close();
    await db.close();
    await test.cleanup();
  });

  it('reads the trading_status table: PAUSED, RUNNING, and a profile with no row runs', async () => {
    await tradingState(db, 'a', 'PAUSED');
    await tradingState(db, 'b', 'RUNNING');
    assert.equal(await isPaused(db, { kind: 'table' }, 'a'), true);
    assert.equal(await isPaused(db, { kind: 'table' }, 'b'), false);
    assert.equal(await isPaused(db, { kind: 'table' }, 'nobody'), false);
  });

  it('reads a status URL; a failure or an answer it cannot read is unknown, never paused', async () => {
    assert.equal(await isPaused(db, { kind: 'url', url: base }, 'word'), true);
    assert.equal(await isPaused(db, { kind: 'url', url: base }, 'json'), false);
    assert.equal(await isPaused(db, { kind: 'url', url: base }, 'odd'), null);
    assert.equal(await isPaused(db, { kind: 'url', url: base }, 'error'), null);
    assert.equal(await isPaused(db, { kind: 'url', url: 'http://127.0.0.1:1/status' }, 'word'), null);
  });
});
