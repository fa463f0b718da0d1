import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind } from '../../src/db/port.ts';
import { UsageError } from '../../src/errors.ts';
import type { EvidenceResult, EvidenceSource } from '../../src/evidence/port.ts';
import { tableEvidence } from '../../src/evidence/table.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

const SINCE = new Date('2026-02-01T00:00:00.000Z');
const UNTIL = new Date('2026-02-04T00:00:00.000Z');

interface FillSeed {
  readonly profile: string;
  readonly symbol: string;
  readonly trade: string;
  readonly order?: string | null;
  readonly side?: string | null;
  readonly quantity: string;
  readonly at: string;
  readonly client?: string | null;
}

async function insertFills(db: Database, seeds: readonly FillSeed[]): Promise<void> {
  for (const s of seeds) {
    await db.query(
      `INSERT INTO exchange_fills (profile_id, symbol, exchange_order_id, exchange_trade_id, client_order_id, side, quantity, price, filled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, 60000.25, $8::timestamptz)`,
      [
        s.profile,
        s.symbol,
        s.order === undefined ? `o-${s.trade}` : s.order,
        s.trade,
        s.client ?? null,
        s.side === undefined ? 'SELL' : s.side,
        s.quantity,
        s.at,
      ],
    );
  }
}

function summary(result: EvidenceResult): string[] {
  return result.fills.map((f) => `${f.profileId}/${f.symbol}/${f.exchangeTradeId}/${f.side}/${f.quantity.toFixed()}/${f.filledAt.toISOString()}`);
}

for (const kind of ['pglite', 'postgres'] as const satisfies readonly DatabaseKind[]) {
  describe(`table evidence on ${kind}`, () => {
    let test: TestDatabase;
    let db: Database;
    let source: EvidenceSource;
    before(async () => {
      test = await createTestDatabase(kind);
      const up = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url);
      assert.equal(up.code, 0, up.stderr);
      db = await openDatabase(test.url);
      await insertFills(db, [
        { profile: 'p1', symbol: 'BTC', trade: 't-before', quantity: '1', at: '2026-01-31T23:59:59.999Z' },
        { profile: 'p1', symbol: 'BTC', trade: 't-first', quantity: '0.00000001', at: '2026-02-01T00:00:00.000Z', client: 'c-1' },
        { profile: 'p1', symbol: 'BTC', trade: 't-big', quantity: '12345678901234567890.123456789012', at: '2026-02-02T12:00:00Z', side: 'buy' },
        { profile: 'p1', symbol: 'BTC', trade: 't-last', quantity: '0.1', at: '2026-02-04T00:00:00.000Z' },
        { profile: 'p1', symbol: 'BTC', trade: 't-after', quantity: '1', at: '2026-02-04T00:00:00.001Z' },
        { profile: 'p1', symbol: 'ETH', trade: 't-eth', quantity: '2.5', at: '2026-02-02T00:00:00Z' },
        { profile: 'p1', symbol: 'SOL', trade: 't-sol', quantity: '3', at: '2026-02-02T00:00:00Z' },
        { profile: 'p2', symbol: 'BTC', trade: 't-other-profile', quantity: '9', at: '2026-02-02T00:00:00Z' },
      ]);
      await db.query(
        `INSERT INTO exchange_positions (profile_id, symbol, quantity, observed_at) VALUES
           ('p1', 'BTC', 0, '2026-02-03T23:00:00Z'), ('p1', 'ETH', 0.00000001, '2026-02-03T23:00:00Z'), ('p2', 'SOL', 0, '2026-02-03T23:00:00Z')`,
      );
      source = await tableEvidence(db);
    });
    after(async () => {
      await source?.close();
      await db?.close();
      await test?.cleanup();
    });

    it('returns the profile’s fills on the requested symbols inside the inclusive window, with exact decimals', async () => {
      const result = await source.gather({ profileId: 'p1', symbols: ['BTC', 'ETH'], since: SINCE, until: UNTIL });
      assert.deepEqual(summary(result), [
        'p1/BTC/t-first/sell/0.00000001/2026-02-01T00:00:00.000Z',
        'p1/ETH/t-eth/sell/2.5/2026-02-02T00:00:00.000Z',
        'p1/BTC/t-big/buy/12345678901234567890.123456789012/2026-02-02T12:00:00.000Z',
        'p1/BTC/t-last/sell/0.1/2026-02-04T00:00:00.000Z',
      ]);
      const first = result.fills[0]!;
      assert.equal(first.exchangeOrderId, 'o-t-first');
      assert.equal(first.clientOrderId, 'c-1');
      assert.equal(first.price?.toFixed(), '60000.25');
      assert.equal(result.fills[1]!.clientOrderId, null);
      assert.equal(result.complete, true);
      assert.deepEqual(result.problems, []);
      assert.deepEqual([...result.positions.keys()].sort(), ['BTC', 'ETH']);
      assert.equal(result.positions.get('BTC')!.quantity.isZero(), true);
      assert.equal(result.positions.get('ETH')!.quantity.toFixed(), '0.00000001');
      assert.equal(result.positions.get('ETH')!.observedAt.toISOString(), '2026-02-03T23:00:00.000Z');
    });

    it('leaves a requested symbol with no exchange position out of positions (not observed, never flat)', async () => {
      // p1 has fills on SOL but no position row; p2's SOL position must not stand in for it.
      const result = await source.gather({ profileId: 'p1', symbols: ['BTC', 'SOL'], since: SINCE, until: UNTIL });
      assert.deepEqual([...result.positions.keys()], ['BTC']);
      // The port: an unobserved position is the decision's business for that symbol; the fills are still whole.
      assert.equal(result.complete, true);
      assert.deepEqual(
        result.fills.map((f) => f.exchangeTradeId),
        ['t-first', 't-sol', 't-big', 't-last'],
      );
    });

    it('keeps other profiles apart', async () => {
      const result = await source.gather({ profileId: 'p2', symbols: ['BTC', 'SOL'], since: SINCE, until: UNTIL });
      assert.deepEqual(summary(result), ['p2/BTC/t-other-profile/sell/9/2026-02-02T00:00:00.000Z']);
      assert.deepEqual([...result.positions.keys()], ['SOL']);
    });

    it('an empty symbol list asks for nothing and is complete', async () => {
      const result = await source.gather({ profileId: 'p1', symbols: [], since: SINCE, until: UNTIL });
      assert.deepEqual({ fills: result.fills.length, positions: result.positions.size, complete: result.complete }, { fills: 0, positions: 0, complete: true });
    });

    it('a mirrored fill without a side or an order id makes the evidence incomplete and is not used', async () => {
      await insertFills(db, [
        { profile: 'p3', symbol: 'BTC', trade: 't-no-side', side: null, quantity: '1', at: '2026-02-02T00:00:00Z' },
        { profile: 'p3', symbol: 'BTC', trade: 't-no-order', order: null, quantity: '1', at: '2026-02-02T00:00:00Z' },
        { profile: 'p3', symbol: 'BTC', trade: 't-good', quantity: '1', at: '2026-02-02T00:00:00Z' },
      ]);
      await db.query(`INSERT INTO exchange_positions (profile_id, symbol, quantity) VALUES ('p3', 'BTC', 0)`);
      const result = await source.gather({ profileId: 'p3', symbols: ['BTC'], since: SINCE, until: UNTIL });
      assert.deepEqual(
        result.fills.map((f) => f.exchangeTradeId),
        ['t-good'],
      );
      assert.equal(result.complete, false);
      assert.equal(result.problems.length, 2);
      assert.match(result.problems.find((p) => p.includes('t-no-side')) ?? '', /^exchange_fills id \d+ \(trade t-no-side\): side is null$/);
      assert.match(result.problems.find((p) => p.includes('t-no-order')) ?? '', /exchange_order_id is empty/);
    });
  });
}

describe('table evidence refuses a database without the mirror', () => {
  it('names the migration to run', async () => {
    const test = await createTestDatabase('pglite');
    const db = await openDatabase(test.url);
    try {
      await assert.rejects(
        tableEvidence(db),
        (error: unknown) => error instanceof UsageError && /no exchange_fills, exchange_positions table: .*migrate up --pack bot-ledger/.test(error.message),
      );
    } finally {
      await db.close();
      await test.cleanup();
    }
  });

  it('refuses SQLite', async () => {
    const test = await createTestDatabase('sqlite');
    const db = await openDatabase(test.url);
    try {
      await assert.rejects(tableEvidence(db), (error: unknown) => error instanceof UsageError && /is SQLite/.test(error.message));
    } finally {
      await db.close();
      await test.cleanup();
    }
  });
});
