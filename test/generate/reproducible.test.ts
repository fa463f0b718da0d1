import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import { generateLedger } from '../../src/generate/generate.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { baseLedger, digest } from './ledger.ts';

const SAMPLE = { profiles: 12, orders: 2500, anomalyRate: '0.05', seed: 'same' } as const;

async function generated(test: TestDatabase, seed: string, via: 'cli' | 'library'): Promise<Record<string, string>> {
  if (via === 'cli') {
    const run = await cli(
      'generate',
      '--profiles',
      String(SAMPLE.profiles),
      '--orders',
      String(SAMPLE.orders),
      '--anomaly-rate',
      SAMPLE.anomalyRate,
      '--seed',
      seed,
      '--db',
      test.url,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
  } else {
    const db = await openDatabase(test.url);
    try {
      await generateLedger(db, { ...SAMPLE, seed });
    } finally {
      await db.close();
    }
  }
  const db = await openDatabase(test.url);
  try {
    return await digest(db);
  } finally {
    await db.close();
  }
}

describe('generate is reproducible', () => {
  const made: TestDatabase[] = [];
  const ledger = async (kind: 'pglite' | 'postgres') => {
    const test = await baseLedger(kind);
    made.push(test);
    return test;
  };
  let first: Record<string, string>;
  before(async () => {
    first = await generated(await ledger('pglite'), 'same', 'library');
  });
  after(async () => {
    for (const test of made) await test.cleanup();
  });

  it('the same seed gives the same rows in every table, byte for byte: through the CLI, and on PostgreSQL (two connections) as on PGlite', async () => {
    assert.deepEqual(await generated(await ledger('pglite'), 'same', 'cli'), first);
    assert.deepEqual(await generated(await ledger('postgres'), 'same', 'library'), first);
    assert.equal(first['orders']!.split(':')[0], String(SAMPLE.orders));
  });

  it('another seed gives other rows in every table', async () => {
    const other = await generated(await ledger('pglite'), 'other', 'library');
    for (const table of Object.keys(first)) assert.notEqual(other[table], first[table], table);
  });
});
