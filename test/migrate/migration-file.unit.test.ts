// Pure unit tests of the migration file format: parsing, statement splitting, index names.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { UsageError } from '../../src/errors.ts';
import { migrationChecksum, parseMigration, versionOfFileName } from '../../src/migrate/migration.ts';
import { splitStatements, stripComments } from '../../src/migrate/split-statements.ts';
import { concurrentIndexName } from '../../src/migrate/planner.ts';

/** Asserts that `fn` throws a UsageError (exit 2) with `code` and a message matching `pattern`. */
function throwsUsage(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return true;
  });
}

describe('parseMigration', () => {
  it('reads the version, a description from the name, and the up and down sections', () => {
    const m = parseMigration('0012_create_orders-table.sql', '-- migrate:up\nCREATE TABLE orders (id BIGINT);\n\n-- migrate:down\nDROP TABLE orders;\n');
    assert.equal(m.version, 12);
    assert.equal(m.fileName, '0012_create_orders-table.sql');
    assert.equal(m.description, 'create orders table');
    assert.equal(m.up, 'CREATE TABLE orders (id BIGINT);');
    assert.equal(m.down, 'DROP TABLE orders;');
    assert.equal(m.transactional, true);
    assert.equal(m.disableForeignKeys, false);
    assert.equal(m.upLine, 2);
  });

  it('takes directives anywhere, indented or without a space after --', () => {
    const text = [
      '-- Orders: the description line wins over the file name.',
      '-- migrate:description  Index orders by symbol  ',
      '--migrate:no-transaction',
      '-- migrate:up',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx ON orders (symbol);',
      '    -- migrate:down',
      'DROP INDEX CONCURRENTLY IF EXISTS idx;',
      '-- migrate:disable-foreign-keys',
    ].join('\n');
    const m = parseMigration('002_idx.sql', text);
    assert.equal(m.description, 'Index orders by symbol');
    assert.equal(m.transactional, false);
    assert.equal(m.disableForeignKeys, true);
    assert.equal(m.up, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx ON orders (symbol);');
    assert.equal(m.down, 'DROP INDEX CONCURRENTLY IF EXISTS idx;');
  });

  it('keeps ordinary comments inside a section, and upLine points at the first line of SQL', () => {
    const m = parseMigration('003_x.sql', '-- header\n\n-- migrate:up\n\n\n-- a note\nCREATE TABLE x (id INT);\n-- migrate:down\n');
    assert.equal(m.up, '-- a note\nCREATE TABLE x (id INT);');
    assert.equal(m.upLine, 6, 'line 6 is the first non-blank line of the up section');
    assert.equal(m.down, '', 'an empty down section is there, with no SQL (rolling back runs nothing)');
    assert.equal(parseMigration('004_x.sql', '-- migrate:up\nSELECT 1;').down, null);
  });

  it('has the same checksum for CRLF, CR and LF line endings, and a different one for other edits', () => {
    const lf = '-- migrate:up\nCREATE TABLE x (id INT);\n-- migrate:down\nDROP TABLE x;\n';
    const expected = createHash('sha256').update(lf).digest('hex');
    assert.equal(parseMigration('001_x.sql', lf).checksum, expected);
    assert.equal(parseMigration('001_x.sql', lf.replaceAll('\n', '\r\n')).checksum, expected);
    assert.equal(migrationChecksum(lf.replaceAll('\n', '\r')), expected);
    assert.notEqual(parseMigration('001_x.sql', lf.replace('INT', 'BIGINT')).checksum, expected);
    assert.notEqual(migrationChecksum(`${lf}\n`), expected, 'a trailing blank line is an edit');
    const crlf = parseMigration('001_x.sql', lf.replaceAll('\n', '\r\n'));
    assert.equal(crlf.up, 'CREATE TABLE x (id INT);', 'no stray \\r in the SQL');
  });

  it('versionOfFileName reads the leading digits of any *.sql name, as dbmate does, and nothing else', () => {
    assert.equal(versionOfFileName('007_add_fee.sql'), 7);
    assert.equal(versionOfFileName('20240101120000_big.sql'), 20240101120000);
    for (const name of ['007-add-fee.sql', '007_.sql', '007_add fee.sql', '007.sql']) assert.equal(versionOfFileName(name), 7, name);
    for (const name of ['add_fee.sql', '007_add_fee.SQL', 'v007_add.sql']) {
      assert.equal(versionOfFileName(name), null, name);
    }
  });

  it('refuses a badly named file, naming the fix', () => {
    throwsUsage(
      () => parseMigration('create_orders.sql', '-- migrate:up\nSELECT 1;'),
      'MIGRATION_NAME',
      /'create_orders\.sql' does not start with a version number: rename it, e\.g\. 001_create_orders\.sql/,
    );
    throwsUsage(() => parseMigration('000_zero.sql', '-- migrate:up\nSELECT 1;'), 'MIGRATION_NAME', /versions start at 1/);
  });

  it('refuses a file without an up section, or with an empty one', () => {
    throwsUsage(
      () => parseMigration('001_x.sql', 'CREATE TABLE x (id INT);\n-- migrate:down\nDROP TABLE x;'),
      'MIGRATION_FORMAT',
      /'001_x\.sql' has no '-- migrate:up' line/,
    );
    throwsUsage(() => parseMigration('001_x.sql', '-- MIGRATE:UP\nSELECT 1;'), 'MIGRATION_FORMAT', /no '-- migrate:up' line/);
    throwsUsage(
      () => parseMigration('001_x.sql', '-- migrate:up\n\n   \n-- migrate:down\nDROP TABLE x;'),
      'MIGRATION_FORMAT',
      /'-- migrate:up' section is empty/,
    );
  });

  it('refuses a second up or down section, an unknown directive and an empty description, with the line', () => {
    throwsUsage(
      () => parseMigration('001_x.sql', '-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;'),
      'MIGRATION_FORMAT',
      /line 3: a second '-- migrate:up' section/,
    );
    throwsUsage(
      () => parseMigration('001_x.sql', '-- migrate:up\nSELECT 1;\n-- migrate:down\n-- migrate:down\n'),
      'MIGRATION_FORMAT',
      /line 4: a second '-- migrate:down'/,
    );
    throwsUsage(
      () => parseMigration('001_x.sql', '-- migrate:up\nSELECT 1;\n-- migrate:notransaction'),
      'MIGRATION_FORMAT',
      /line 3: unknown directive '-- migrate:notransaction'; use up, down, no-transaction/,
    );
    throwsUsage(
      () => parseMigration('001_x.sql', '-- migrate:description\n-- migrate:up\nSELECT 1;'),
      'MIGRATION_FORMAT',
      /line 1: '-- migrate:description' needs text/,
    );
  });
});

describe('splitStatements', () => {
  it('splits at top-level semicolons and keeps a last statement without one', () => {
    assert.deepEqual(splitStatements('CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\nSELECT 1'), [
      'CREATE TABLE a (id INT);',
      'INSERT INTO a VALUES (1);',
      'SELECT 1',
    ]);
    assert.deepEqual(splitStatements('SELECT 1 ;  \n\n-- done\n'), ['SELECT 1 ;'], 'a trailing comment is not a statement');
    assert.deepEqual(splitStatements(''), []);
    assert.deepEqual(splitStatements('\n  \n'), []);
  });

  it('skips semicolons inside string literals, doubled quotes included', () => {
    assert.deepEqual(splitStatements("INSERT INTO n VALUES ('a; b', 'it''s; fine');\nSELECT 2;"), [
      "INSERT INTO n VALUES ('a; b', 'it''s; fine');",
      'SELECT 2;',
    ]);
    // A standard string ends at the quote after a backslash: the backslash is just a character.
    assert.deepEqual(splitStatements("SELECT 'C:\\';SELECT 3;"), ["SELECT 'C:\\';", 'SELECT 3;']);
  });

  it("skips semicolons inside E'' strings with backslash escapes", () => {
    assert.deepEqual(splitStatements("SELECT E'it\\'s; here';SELECT e'\\\\';SELECT 4;"), ["SELECT E'it\\'s; here';", "SELECT e'\\\\';", 'SELECT 4;']);
    // `some'…'` is not an E string: the e belongs to an identifier.
    assert.deepEqual(splitStatements("SELECT name'x\\';SELECT 5;"), ["SELECT name'x\\';", 'SELECT 5;']);
  });

  it('skips semicolons inside quoted identifiers', () => {
    assert.deepEqual(splitStatements('CREATE TABLE "odd;name" ("a;""b" INT);DROP TABLE "odd;name";'), [
      'CREATE TABLE "odd;name" ("a;""b" INT);',
      'DROP TABLE "odd;name";',
    ]);
  });

  it('skips semicolons inside $$ and $tag$ bodies, nested tags included', () => {
    const fn = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  RAISE EXCEPTION 'no; updates';\n  RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql;";
    const tagged = 'DO $body$ BEGIN EXECUTE $q$SELECT 1; SELECT 2$q$; END $body$;';
    assert.deepEqual(splitStatements(`${fn}\n${tagged}\nSELECT 6;`), [fn, tagged, 'SELECT 6;']);
    assert.deepEqual(
      splitStatements("SELECT $a$ it's; $b$ $a$;SELECT 8;"),
      ["SELECT $a$ it's; $b$ $a$;", 'SELECT 8;'],
      'a quote inside a dollar body is just a character',
    );
    // A $ inside an identifier or a parameter does not open a dollar quote.
    assert.deepEqual(splitStatements('SELECT a$b$c FROM t WHERE x = $1;SELECT 7;'), ['SELECT a$b$c FROM t WHERE x = $1;', 'SELECT 7;']);
  });

  it('skips semicolons inside -- comments and nested /* */ comments, and drops comment-only pieces', () => {
    const script = '-- first; still a comment\nSELECT 1; -- trailing; note\n/* outer; /* inner; */ still; outer */ SELECT 2;\n-- only a comment;\n';
    assert.deepEqual(splitStatements(script), ['-- first; still a comment\nSELECT 1;', '-- trailing; note\n/* outer; /* inner; */ still; outer */ SELECT 2;']);
    assert.equal(stripComments("SELECT '--not' /* a /* b */ c */ -- d\n;"), "SELECT '--not'  \n;");
  });
});

describe('concurrentIndexName', () => {
  it('names the index a CREATE INDEX CONCURRENTLY builds', () => {
    assert.equal(concurrentIndexName('CREATE INDEX CONCURRENTLY idx_orders_symbol ON orders (symbol);'), 'idx_orders_symbol');
    assert.equal(
      concurrentIndexName('create unique index concurrently if not exists IDX_Upper on orders (id)'),
      'idx_upper',
      'unquoted names fold to lower case',
    );
    assert.equal(concurrentIndexName('CREATE INDEX CONCURRENTLY "Idx ""Q""" ON orders (id)'), 'Idx "Q"', 'quoted names keep case and quotes');
    assert.equal(concurrentIndexName('CREATE INDEX CONCURRENTLY ledger.idx_fills ON ledger.fills (ts)'), 'ledger.idx_fills');
    assert.equal(concurrentIndexName('CREATE INDEX CONCURRENTLY "Ledger" . "Idx" ON x (y)'), 'Ledger.Idx');
    assert.equal(concurrentIndexName('CREATE INDEX CONCURRENTLY online_idx ON t (c)'), 'online_idx', 'a name starting with "on" is still a name');
    assert.equal(concurrentIndexName('-- build it online\n/* no lock */ CREATE INDEX\n  CONCURRENTLY idx_c ON t (c);'), 'idx_c');
  });

  it('is null for other statements, and for an index without a name', () => {
    assert.equal(concurrentIndexName('CREATE INDEX idx_plain ON t (c);'), null);
    assert.equal(concurrentIndexName('DROP INDEX CONCURRENTLY IF EXISTS idx_c;'), null);
    assert.equal(concurrentIndexName("SELECT 'CREATE INDEX CONCURRENTLY idx ON t (c)';"), null);
    assert.equal(concurrentIndexName('CREATE INDEX CONCURRENTLY ON t (c);'), null, 'PostgreSQL picks the name; "on" is not it');
    assert.equal(concurrentIndexName('CREATE INDEX CONCURRENTLY\nON ONLY t (c);'), null);
  });
});
