// Issue 11, the pure parts: table escaping, CSV formula neutralising, URL masking, the calendar
// check of ISO times and the NUL check of evidence rows. No database.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csv, csvField } from '../../src/cli/csv.ts';
import { escapeControl, table } from '../../src/cli/format.ts';
import { maskDatabaseUrl, parseDatabaseUrl } from '../../src/db/open.ts';
import { timestamp } from '../../src/domain/fields.ts';
import { impossibleDay, parseZonedTime } from '../../src/domain/iso-time.ts';
import { UsageError } from '../../src/errors.ts';
import { parseEvidenceFile } from '../../src/evidence/file-parse.ts';

describe('table cells with control characters', () => {
  it('shows \\n, \\r, \\t, ESC, DEL, C1 and direction overrides escaped, keeping one line per row', () => {
    assert.equal(escapeControl('a\nb\rc\td\u001b[31me\u007f\u009b\u202eé€'), 'a\\nb\\rc\\td\\x1b[31me\\x7f\\x9b\\u202eé€');
    const text = table(['id', 'symbol'], [['x\u001b]0;title\u0007', 'BTC\nETH']]);
    assert.equal(text.split('\n').length, 3, 'header, rule and one row');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for raw control characters
    assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f]/);
    assert.match(text, /x\\x1b\]0;title\\x07 +BTC\\nETH/);
  });
});

describe('CSV cells a spreadsheet would run', () => {
  it('prefixes = + - @ tab and CR with a quote, then quotes as RFC 4180 says', () => {
    assert.deepEqual(['=1+1', '+1+1', '-1+1', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("u")', 'a=b', ''].map(csvField), [
      "'=1+1",
      "'+1+1",
      "'-1+1",
      "'@SUM(A1)",
      "'\tx",
      `"'\rx"`,
      `"'=HYPERLINK(""u"")"`,
      'a=b',
      '',
    ]);
  });

  it('leaves plain numbers alone, as text or as numbers', () => {
    assert.deepEqual(['-0.5', '+3', '-1e-8', '-.5', '-12.'].map(csvField), ['-0.5', '+3', '-1e-8', '-.5', '-12.']);
    assert.equal(csv(['q'], [[-3], [null], [true]]), 'q\n-3\n\ntrue');
    assert.equal(csvField('-0.5+cmd'), "'-0.5+cmd", 'a number followed by more is not a number');
  });
});

describe('database URLs in messages', () => {
  it('masks a password holding / ? # or @, in a URL that does not parse', () => {
    for (const [url, shown] of [
      ['postgres://u:a/b@h/db', 'postgres://u:***@h/db'],
      ['postgres://u:a?b@h/db', 'postgres://u:***@h/db'],
      ['postgres://u:a#b@h/db', 'postgres://u:***@h/db'],
      ['postgres://u:a@b@h/db', 'postgres://u:***@h/db'],
      ['postgresql:/u:secret@h/db', 'postgresql:/u:***@h/db'],
      ['postgres://h/db?password=a/b#c', 'postgres://h/db?password=***#c'],
      ['postgres://u@h/db', 'postgres://u@h/db'],
    ] as const) {
      assert.equal(maskDatabaseUrl(url), shown, url);
    }
  });

  it('refuses a parsed URL whose credentials spilled past the host, and control characters', () => {
    for (const url of ['postgres://u:12/secret@h/db', 'postgres://u:12?secret@h/db', 'postgres://u:12#secret@h/db', 'sqlite:a\u0000b', 'pglite:x\ny']) {
      assert.throws(
        () => parseDatabaseUrl(url),
        (error: unknown) =>
          error instanceof UsageError && !error.message.includes('secret') && !error.message.includes('\u0000') && !error.message.includes('\n'),
        url,
      );
    }
    assert.equal(parseDatabaseUrl('postgres://u:a%2Fb%23@h/db').display, 'postgres://u:***@h/db');
    assert.equal(parseDatabaseUrl('postgres://h/db?user=me@corp').display, 'postgres://h/db?user=me@corp', "an '@' in a query value is fine");
  });
});

describe('ISO times on days the calendar has', () => {
  it('finds impossible days that Date would roll over', () => {
    assert.deepEqual(
      ['2026-02-30T00:00:00Z', '2025-02-29', '2024-02-29T00:00:00Z', '2026-04-31', '2026-13-01', '2026-00-10', '2026-12-31', 'soon'].map(impossibleDay),
      ['2026-02-30', '2025-02-29', null, '2026-04-31', '2026-13-01', '2026-00-10', null, null],
    );
    assert.equal(parseZonedTime('2026-02-30T00:00:00Z'), null);
    assert.equal(parseZonedTime('2026-02-28T10:00:00+02:00')?.toISOString(), '2026-02-28T08:00:00.000Z');
  });

  it('is what the domain models refuse, with a one-line message', () => {
    assert.throws(() => timestamp('enforcement', 'locked_until', '2026-02-30T00:00:00Z'), /enforcement\.locked_until "2026-02-30T00:00:00Z" names no such day/);
    assert.equal(timestamp('enforcement', 'locked_until', '2024-02-29T00:00:00Z'), '2024-02-29T00:00:00.000Z');
  });
});

describe('evidence rows with NUL bytes', () => {
  it('are a problem of the file, located, instead of an error halfway through writing', () => {
    const parsed = parseEvidenceFile(
      'fills.json',
      'json',
      JSON.stringify({
        fills: [
          {
            profile_id: 'p1',
            symbol: 'BTC',
            exchange_order_id: 'o\u00001',
            exchange_trade_id: 't1',
            side: 'sell',
            quantity: '1',
            filled_at: '2026-02-01T00:00:00Z',
          },
        ],
      }),
    );
    assert.deepEqual(parsed.problems, ['fills.json fills[0]: exchange_order_id holds a NUL byte (\\u0000), which the ledger cannot store: remove it']);
  });
});
