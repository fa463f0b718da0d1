import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind } from '../../src/db/port.ts';
import { arrayLiteral } from '../../src/generate/loader.ts';
import { iso } from '../../src/generate/tables.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

// Everything a generated text column can hold: blanks of every kind, quotes, backslashes, braces, commas, NULL.
const TRICKY = [
  '',
  ' ',
  '\t',
  '\r\n',
  '\u00a0',
  '\u3000',
  '\u2060\ufeff',
  '\u2028',
  'a"b',
  'a\\b',
  '\\n',
  '{x}',
  'a,b',
  'NULL',
  'null',
  null,
  'TRD 1',
  '#1/2',
  'é',
  '💱',
];

for (const kind of ['pglite', 'postgres'] as const satisfies readonly DatabaseKind[]) {
  describe(`generate's array literals on ${kind}`, () => {
    let test: TestDatabase;
    let db: Database;
    before(async () => {
      test = await createTestDatabase(kind);
      db = await openDatabase(test.url);
    });
    after(async () => {
      await db?.close();
      await test.cleanup();
    });

    it('carry every text value through unchanged, by the fast path and the slow one', async () => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the fast path is the one without control characters
      const plain = TRICKY.filter((v) => v === null || !/[\u0000-\u001f]/.test(v));
      for (const values of [TRICKY, plain]) {
        const [row] = await db.query<{ v: (string | null)[] }>(`SELECT $1::text[] AS v`, [arrayLiteral(values)]);
        assert.deepEqual(row!.v, values);
      }
    });

    it('carry numbers, decimals and times exactly', async () => {
      const times = [0, 1767225600123, Date.parse('2026-02-01T00:00:00Z') - 1].map(iso);
      const [row] = await db.query<{ n: string[]; d: string[]; t: string[] }>(
        `SELECT $1::bigint[]::text[] AS n, $2::numeric[]::text[] AS d, ARRAY(SELECT to_char(x AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM unnest($3::timestamptz[]) x) AS t`,
        [arrayLiteral([1, 9007199254740991]), arrayLiteral(['0.00000001', '61250.0', '-5.05']), arrayLiteral(times)],
      );
      assert.deepEqual(row, { n: ['1', '9007199254740991'], d: ['0.00000001', '61250.0', '-5.05'], t: times });
    });
  });
}
