// PostgreSQL scripts split and classified by PostgreSQL's own parser (libpg-query), and the
// transaction check that reads its parse tree before anything runs.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { loadPostgresParser, parsePostgresScript } from '../../src/migrate/pg-statements.ts';
import { planUp } from '../../src/migrate/planner.ts';
import { computeStatus } from '../../src/migrate/status.ts';
import { assertTransactionSafe } from '../../src/migrate/transaction-check.ts';
import { planContext } from '../helpers/migrations.ts';

before(() => loadPostgresParser());

const origin = { fileName: '007_functions.sql', line: 3 };
const texts = (script: string) => parsePostgresScript(script, origin).map((statement) => statement.text);

function throwsCode(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('parsePostgresScript', () => {
  it('keeps a BEGIN ATOMIC function body whole', () => {
    const fn = [
      '-- SQL-standard body: its semicolons are inside the function',
      'CREATE FUNCTION order_total(p_order BIGINT) RETURNS NUMERIC',
      '    LANGUAGE sql STABLE',
      'BEGIN ATOMIC',
      '    SELECT sum(qty * price) FROM fills WHERE order_id = p_order;',
      'END;',
    ].join('\n');
    assert.deepEqual(texts(`${fn}\nCREATE INDEX CONCURRENTLY IF NOT EXISTS fills_order ON fills (order_id);`), [
      fn,
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS fills_order ON fills (order_id);',
    ]);
  });

  it('keeps DO blocks, tagged dollar quotes, quoted semicolons and comments with their statement', () => {
    const doBlock =
      "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'side') THEN\n    CREATE TYPE side AS ENUM ('buy', 'sell');\n  END IF;\nEND\n$$;";
    const tagged =
      'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  NEW.updated_at := now(); -- a; comment\n  RETURN NEW;\nEND;\n$fn$;';
    const quoted = "/* block; /* nested; */ comment */ INSERT INTO notes VALUES ('a; b', E'it\\'s; fine', $x$ $y$; $x$);";
    assert.deepEqual(texts(`${doBlock}\n\n${tagged}\n${quoted}\n-- trailing; comment only\n`), [doBlock, tagged, quoted]);
  });

  it('counts lines and classifies each statement; a last statement may lack its semicolon', () => {
    const statements = parsePostgresScript("SELECT 'é; ü';\n\nCREATE TABLE t (\n  id BIGINT\n);\nALTER TABLE t ADD COLUMN note TEXT", origin);
    assert.deepEqual(
      statements.map((s) => [s.kind, s.firstLine, s.lastLine, s.text]),
      [
        ['SelectStmt', 0, 0, "SELECT 'é; ü';"],
        ['CreateStmt', 2, 4, 'CREATE TABLE t (\n  id BIGINT\n);'],
        ['AlterTableStmt', 5, 5, 'ALTER TABLE t ADD COLUMN note TEXT'],
      ],
    );
    assert.deepEqual(texts('-- nothing but a comment\n/* and another */'), []);
  });

  it('refuses psql meta-commands with the line and what to do instead', () => {
    throwsCode(
      () => texts('CREATE TABLE a (id BIGINT);\n\\connect trading\nCREATE TABLE b (id BIGINT);'),
      'PSQL_META_COMMAND',
      /^007_functions\.sql line 4: '\\connect' is a psql meta-command, not SQL — .*--db/,
    );
    throwsCode(() => texts('\\i 001_base.sql'), 'PSQL_META_COMMAND', /line 3: '\\i' is a psql meta-command.*paste the included file/);
    // A backslash inside a string is no meta-command.
    assert.deepEqual(texts("SELECT '\\connect';"), ["SELECT '\\connect';"]);
  });

  it('refuses SQL PostgreSQL cannot parse, naming the line', () => {
    throwsCode(
      () => texts('SELECT 1;\n\nCREAT TABLE x (id BIGINT);'),
      'SQL_SYNTAX',
      /^007_functions\.sql line 5: PostgreSQL cannot parse it \(syntax error at or near "CREAT"\)/,
    );
  });
});

describe('assertTransactionSafe', () => {
  const refuses = (sql: string, what: string) =>
    throwsCode(
      () => assertTransactionSafe(parsePostgresScript(sql, origin), origin),
      'NEEDS_NO_TRANSACTION',
      new RegExp(
        `^007_functions\\.sql line 4: ${what} cannot run inside a transaction block.*'-- migrate:up transaction:false' \\(dbmate\\) or.*'-- migrate:no-transaction'`,
      ),
    );

  it('refuses what PostgreSQL cannot run in a transaction block, naming the line and the fix', () => {
    refuses('CREATE TABLE t (id BIGINT);\nCREATE INDEX CONCURRENTLY t_id ON t (id);', 'CREATE INDEX CONCURRENTLY');
    refuses('SELECT 1;\n/* CONCURRENTLY */ DROP INDEX CONCURRENTLY IF EXISTS t_id;', 'DROP INDEX CONCURRENTLY');
    refuses('SELECT 1;\nREINDEX INDEX CONCURRENTLY t_id;', 'REINDEX CONCURRENTLY');
    refuses('SELECT 1;\nALTER TABLE p DETACH PARTITION p_2020 CONCURRENTLY;', 'DETACH PARTITION CONCURRENTLY');
    refuses('SELECT 1;\nVACUUM t;', 'VACUUM');
  });

  it('names the down section in the dbmate fix for a down section', () => {
    const down = { ...origin, line: 1, section: 'down' as const };
    throwsCode(
      () => assertTransactionSafe(parsePostgresScript('DROP INDEX CONCURRENTLY t_id;', down), down),
      'NEEDS_NO_TRANSACTION',
      /down section line 1: DROP INDEX CONCURRENTLY .*'-- migrate:down transaction:false' \(dbmate\)/,
    );
  });

  it('lets the word CONCURRENTLY pass where it is no statement: comments, strings, function bodies', () => {
    const sql = [
      '-- CREATE INDEX CONCURRENTLY would not run here',
      "COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY later';",
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'CREATE INDEX CONCURRENTLY x ON t (id)'; END $$;",
      'CREATE INDEX t_plain ON t (id);',
      'ANALYZE t;',
    ].join('\n');
    assert.doesNotThrow(() => assertTransactionSafe(parsePostgresScript(sql, origin), origin));
  });

  it('is checked when planning, before anything runs', () => {
    const migration = parseMigration('004_index.sql', '-- migrate:up\nCREATE TABLE t (id BIGINT);\n\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n');
    const context = planContext('postgres');
    throwsCode(() => planUp(computeStatus([migration], []), context), 'NEEDS_NO_TRANSACTION', /^004_index\.sql line 4: CREATE INDEX CONCURRENTLY/);
    // The same statements in a no-transaction file plan statement by statement.
    const noTx = parseMigration(
      '004_index.sql',
      '-- migrate:up\n-- migrate:no-transaction\nCREATE TABLE t (id BIGINT);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n',
    );
    assert.equal(planUp(computeStatus([noTx], []), context).steps[0]!.kind, 'statements');
  });
});
