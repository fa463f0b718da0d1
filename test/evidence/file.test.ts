import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.ts';
import { EvidenceFileError, fileEvidence } from '../../src/evidence/file.ts';
import type { EvidenceQuery, EvidenceResult } from '../../src/evidence/port.ts';
import { scratchDir } from '../helpers/databases.ts';

const QUERY: EvidenceQuery = {
  profileId: 'p1',
  symbols: ['BTC', 'ETH', 'SOL'],
  since: new Date('2026-02-01T00:00:00Z'),
  until: new Date('2026-02-04T00:00:00Z'),
};

const HEADER = 'kind,profile_id,symbol,exchange_order_id,exchange_trade_id,client_order_id,side,quantity,price,filled_at,observed_at';
const CSV_ROWS = [
  'fill,p1,BTC,o1,t-before,,sell,1,60000,2026-01-31T23:59:59.999Z,',
  'fill,p1,BTC,o1,t-first,"c,1",SELL,0.00000001,60000.25,2026-02-01T00:00:00Z,',
  'fill,p1,BTC,o2,t-big,,buy,12345678901234567890.123456789012,,2026-02-02T14:00:00+02:00,',
  'fill,p1,BTC,o3,t-last,,sell,0.1,60000,2026-02-04T00:00:00.000Z,',
  'fill,p1,BTC,o3,t-after,,sell,1,60000,2026-02-04T00:00:00.001Z,',
  'fill,p1,DOGE,o4,t-doge,,sell,1,0.1,2026-02-02T00:00:00Z,',
  'fill,p2,BTC,o5,t-other,,sell,9,60000,2026-02-02T00:00:00Z,',
  'position,p1,BTC,,,,,0,,,2026-02-03T23:00:00Z',
  'position,p1,ETH,,,,,-0.5,,,2026-02-03T23:00:00Z',
  'position,p2,SOL,,,,,0,,,2026-02-03T23:00:00Z',
];

const JSON_DOCUMENT = {
  fills: [
    {
      profile_id: 'p1',
      symbol: 'BTC',
      exchange_order_id: 'o1',
      exchange_trade_id: 't-before',
      side: 'sell',
      quantity: '1',
      price: '60000',
      filled_at: '2026-01-31T23:59:59.999Z',
    },
    {
      profile_id: 'p1',
      symbol: 'BTC',
      exchange_order_id: 'o1',
      exchange_trade_id: 't-first',
      client_order_id: 'c,1',
      side: 'SELL',
      quantity: '0.00000001',
      price: '60000.25',
      filled_at: '2026-02-01T00:00:00Z',
    },
    {
      profile_id: 'p1',
      symbol: 'BTC',
      exchange_order_id: 'o2',
      exchange_trade_id: 't-big',
      client_order_id: null,
      side: 'buy',
      quantity: '12345678901234567890.123456789012',
      filled_at: '2026-02-02T14:00:00+02:00',
    },
    {
      profile_id: 'p1',
      symbol: 'BTC',
      exchange_order_id: 'o3',
      exchange_trade_id: 't-last',
      side: 'sell',
      quantity: '0.1',
      price: '60000',
      filled_at: '2026-02-04T00:00:00.000Z',
    },
    {
      profile_id: 'p1',
      symbol: 'BTC',
      exchange_order_id: 'o3',
      exchange_trade_id: 't-after',
      side: 'sell',
      quantity: '1',
      price: '60000',
      filled_at: '2026-02-04T00:00:00.001Z',
    },
    {
      profile_id: 'p1',
      symbol: 'DOGE',
      exchange_order_id: 'o4',
      exchange_trade_id: 't-doge',
      side: 'sell',
      quantity: '1',
      price: '0.1',
      filled_at: '2026-02-02T00:00:00Z',
    },
    {
      profile_id: 'p2',
      symbol: 'BTC',
      exchange_order_id: 'o5',
      exchange_trade_id: 't-other',
      side: 'sell',
      quantity: '9',
      price: '60000',
      filled_at: '2026-02-02T00:00:00Z',
    },
  ],
  positions: [
    { profile_id: 'p1', symbol: 'BTC', quantity: '0', observed_at: '2026-02-03T23:00:00Z' },
    { profile_id: 'p1', symbol: 'ETH', quantity: '-0.5', observed_at: '2026-02-03T23:00:00Z' },
    { profile_id: 'p2', symbol: 'SOL', quantity: '0', observed_at: '2026-02-03T23:00:00Z' },
  ],
};

function described(result: EvidenceResult): unknown {
  return {
    fills: result.fills.map((f) => [
      f.profileId,
      f.symbol,
      f.exchangeOrderId,
      f.exchangeTradeId,
      f.clientOrderId,
      f.side,
      f.quantity.toFixed(),
      f.price?.toFixed() ?? null,
      f.filledAt.toISOString(),
    ]),
    positions: [...result.positions.values()].map((p) => [p.profileId, p.symbol, p.quantity.toFixed(), p.observedAt.toISOString()]),
    complete: result.complete,
    problems: result.problems,
  };
}

const EXPECTED = {
  fills: [
    ['p1', 'BTC', 'o1', 't-first', 'c,1', 'sell', '0.00000001', '60000.25', '2026-02-01T00:00:00.000Z'],
    ['p1', 'BTC', 'o2', 't-big', null, 'buy', '12345678901234567890.123456789012', null, '2026-02-02T12:00:00.000Z'],
    ['p1', 'BTC', 'o3', 't-last', null, 'sell', '0.1', '60000', '2026-02-04T00:00:00.000Z'],
  ],
  // SOL has no position of p1 (p2's does not count): it is not observed, and that is no gap in the fills.
  positions: [
    ['p1', 'BTC', '0', '2026-02-03T23:00:00.000Z'],
    ['p1', 'ETH', '-0.5', '2026-02-03T23:00:00.000Z'],
  ],
  complete: true,
  problems: [],
};

describe('file evidence', () => {
  let dir: string;
  before(() => {
    dir = scratchDir('evidence-file-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  it('reads a JSON export and gathers the profile’s fills on the symbols inside the inclusive window', async () => {
    const source = await fileEvidence(write('evidence.json', JSON.stringify(JSON_DOCUMENT, null, 2)));
    assert.equal(source.kind, 'file');
    assert.deepEqual(described(await source.gather(QUERY)), EXPECTED);
    assert.deepEqual(described(await source.gather({ ...QUERY, profileId: 'p2' })), {
      fills: [['p2', 'BTC', 'o5', 't-other', null, 'sell', '9', '60000', '2026-02-02T00:00:00.000Z']],
      positions: [['p2', 'SOL', '0', '2026-02-03T23:00:00.000Z']],
      complete: true,
      problems: [],
    });
    await source.close();
  });

  it('reads the same export as CSV (one file, a kind column, quoted fields, CRLF and a byte-order mark)', async () => {
    const source = await fileEvidence(write('evidence.csv', `\uFEFF${[HEADER, ...CSV_ROWS].join('\r\n')}\r\n`));
    assert.deepEqual(described(await source.gather(QUERY)), EXPECTED);
  });

  it('accepts CSV columns in any order and a JSON file with positions only', async () => {
    const csv = await fileEvidence(write('reordered.csv', 'observed_at,quantity,symbol,profile_id,kind\n2026-02-03T23:00:00Z,0.00000001,BTC,p1,position\n'));
    assert.deepEqual(described(await csv.gather(QUERY)), {
      fills: [],
      positions: [['p1', 'BTC', '0.00000001', '2026-02-03T23:00:00.000Z']],
      complete: true,
      problems: [],
    });
    const json = await fileEvidence(
      write('positions.json', JSON.stringify({ positions: [{ profile_id: 'p1', symbol: 'SOL', quantity: '0', observed_at: '2026-02-03T23:00:00Z' }] })),
    );
    assert.deepEqual([...(await json.gather(QUERY)).positions.keys()], ['SOL']);
  });

  // Each malformed row is named by file, line (CSV) or array index (JSON) and field.
  const csvCases: readonly (readonly [string, string, RegExp])[] = [
    ['a quantity that is not a decimal', 'fill,p1,BTC,o1,t1,,sell,abc,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: quantity 'abc' is not a decimal/],
    ['a quantity in exponent notation', 'fill,p1,BTC,o1,t1,,sell,1e-8,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: quantity '1e-8' is not a decimal/],
    ['a fill quantity of zero', 'fill,p1,BTC,o1,t1,,sell,0,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: quantity '0' must be above zero/],
    ['a price that is not a decimal', 'fill,p1,BTC,o1,t1,,sell,1,1.2.3,2026-02-01T00:00:00Z,', /bad\.csv line 3: price '1\.2\.3' is not a decimal/],
    ['an unknown side', 'fill,p1,BTC,o1,t1,,hold,1,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: side 'hold' is not buy or sell/],
    [
      'a time without a zone',
      'fill,p1,BTC,o1,t1,,sell,1,1,2026-02-01T00:00:00,',
      /bad\.csv line 3: filled_at '2026-02-01T00:00:00' is not an ISO-8601 time with a zone/,
    ],
    [
      'a day that does not exist',
      'fill,p1,BTC,o1,t1,,sell,1,1,2026-02-30T00:00:00Z,',
      /bad\.csv line 3: filled_at '2026-02-30T00:00:00Z' is not an ISO-8601 time/,
    ],
    ['a missing trade id', 'fill,p1,BTC,o1,,,sell,1,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: exchange_trade_id is missing/],
    ['a missing order id', 'fill,p1,BTC,,t1,,sell,1,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: exchange_order_id is missing/],
    ['a blank profile', 'fill,  ,BTC,o1,t1,,sell,1,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: profile_id is blank/],
    [
      'a fill with an observed_at',
      'fill,p1,BTC,o1,t1,,sell,1,1,2026-02-01T00:00:00Z,2026-02-01T00:00:00Z',
      /bad\.csv line 3: field 'observed_at' does not belong to a fill/,
    ],
    ['a position with a side', 'position,p1,ETH,,,,sell,0,,,2026-02-01T00:00:00Z', /bad\.csv line 3: field 'side' does not belong to a position/],
    ['a position without observed_at', 'position,p1,ETH,,,,,0,,,', /bad\.csv line 3: observed_at is missing/],
    ['an unknown kind', 'trade,p1,BTC,o1,t1,,sell,1,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: kind 'trade' is not fill or position/],
    ['a row with too few fields', 'fill,p1,BTC', /bad\.csv line 3: 3 fields where the header has 11/],
    ['an unclosed quote', 'fill,p1,BTC,o1,t1,"c1,sell,1,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: a quoted field is not closed/],
    ['a repeated trade id', 'fill,p1,BTC,o9,t-ok,,sell,1,1,2026-02-01T00:00:00Z,', /bad\.csv line 3: exchange_trade_id 't-ok' of profile 'p1' repeats line 2$/],
    [
      'a second position for a symbol',
      'position,p1,BTC,,,,,0,,,2026-02-01T00:00:00Z\nposition,p1,BTC,,,,,1,,,2026-02-01T00:00:00Z',
      /bad\.csv line 4: a second position for profile 'p1' symbol 'BTC' \(first at line 3\)$/,
    ],
  ];
  for (const [name, row, expected] of csvCases) {
    it(`CSV: refuses ${name}, naming file, line and field`, async () => {
      const good = 'fill,p1,BTC,o1,t-ok,,sell,1,1,2026-02-01T00:00:00Z,';
      const path = write('bad.csv', [HEADER, good, row].join('\n'));
      await assert.rejects(fileEvidence(path), (error: unknown) => {
        assert.ok(error instanceof EvidenceFileError && error instanceof UsageError, String(error));
        assert.equal(error.exitCode, 2);
        assert.match(error.problems[0] ?? '', expected);
        assert.match(error.message, /nothing was used from .*bad\.csv/);
        return true;
      });
    });
  }

  it('CSV: refuses a header with an unknown column or no kind column', async () => {
    await assert.rejects(fileEvidence(write('header.csv', 'kind,profile_id,filledAt\n')), /header\.csv line 1: unknown column 'filledAt'/);
    await assert.rejects(fileEvidence(write('nokind.csv', 'profile_id,symbol\np1,BTC\n')), /nokind\.csv line 1: no kind column/);
    await assert.rejects(fileEvidence(write('empty.csv', '')), /empty\.csv: empty file/);
  });

  const fill = JSON_DOCUMENT.fills[1]!;
  const jsonCases: readonly (readonly [string, unknown, RegExp])[] = [
    [
      'a quantity given as a JSON number',
      { fills: [fill, { ...fill, exchange_trade_id: 't2', quantity: 0.1 }] },
      /bad\.json fills\[1\]: quantity 0\.1 is a JSON number; write it as a string \("0\.1"\)/,
    ],
    ['a quantity that is not a decimal', { fills: [{ ...fill, quantity: 'abc' }] }, /bad\.json fills\[0\]: quantity 'abc' is not a decimal/],
    ['a camelCase field', { fills: [{ ...fill, filledAt: fill.filled_at }] }, /bad\.json fills\[0\]: field 'filledAt' does not belong to a fill/],
    [
      'a profile id that is a number',
      { positions: [{ profile_id: 7, symbol: 'BTC', quantity: '0', observed_at: '2026-02-01T00:00:00Z' }] },
      /bad\.json positions\[0\]: profile_id 7 is not a string/,
    ],
    [
      'a position quantity given as a number',
      { positions: [{ profile_id: 'p1', symbol: 'BTC', quantity: 0, observed_at: '2026-02-01T00:00:00Z' }] },
      /bad\.json positions\[0\]: quantity 0 is a JSON number/,
    ],
    ['an entry that is not an object', { fills: ['t1'] }, /bad\.json fills\[0\]: expected an object/],
    ['fills that are not an array', { fills: {} }, /bad\.json: fills must be an array/],
    ['an unknown top-level key', { trades: [] }, /bad\.json: unknown key 'trades'/],
    ['a document that is not an object', [], /bad\.json: expected an object/],
  ];
  for (const [name, document, expected] of jsonCases) {
    it(`JSON: refuses ${name}`, async () => {
      await assert.rejects(fileEvidence(write('bad.json', JSON.stringify(document))), (error: unknown) => {
        assert.ok(error instanceof EvidenceFileError, String(error));
        assert.match(error.problems[0] ?? '', expected);
        return true;
      });
    });
  }

  it('JSON: refuses text that is not JSON', async () => {
    await assert.rejects(fileEvidence(write('broken.json', '{"fills": [')), /broken\.json: not valid JSON/);
  });

  it('a file with several bad rows yields nothing and counts them', async () => {
    const path = write(
      'many.csv',
      [HEADER, CSV_ROWS[1], 'fill,p1,BTC,o1,t2,,sell,abc,1,2026-02-01T00:00:00Z,', CSV_ROWS[2], 'fill,p1,BTC,o1,t3,,buy,1,1,yesterday,'].join('\n'),
    );
    await assert.rejects(fileEvidence(path), (error: unknown) => {
      assert.ok(error instanceof EvidenceFileError);
      assert.deepEqual(error.problems, [
        `${path} line 3: quantity 'abc' is not a decimal (write it like '0.00000001')`,
        `${path} line 5: filled_at 'yesterday' is not an ISO-8601 time with a zone (e.g. 2025-10-22T14:30:00Z)`,
      ]);
      assert.equal(
        error.message,
        `${path} line 3: quantity 'abc' is not a decimal (write it like '0.00000001') (2 problems in all); nothing was used from ${path}: fix the file and run again`,
      );
      return true;
    });
  });

  it('refuses a file it cannot read or whose format it cannot tell', async () => {
    await assert.rejects(
      fileEvidence(join(dir, 'missing.json')),
      (error: unknown) => error instanceof UsageError && /cannot read evidence file .*missing\.json \(recon\.evidence\.file\): ENOENT/.test(error.message),
    );
    await assert.rejects(
      fileEvidence(write('evidence.txt', '{}')),
      (error: unknown) => error instanceof UsageError && /evidence\.txt must end in \.json or \.csv/.test(error.message),
    );
  });
});
