// The transaction check's prefilter: a transactional section is parsed only when its text holds a
// keyword of a statement the check refuses (or a backslash). Every refused kind, however it is
// written, must be caught by the prefilter and refused by the planner; plain files plan unparsed.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { loadPostgresParser, parsePostgresScript } from '../../src/migrate/pg-statements.ts';
import { planningParses, planUp, renderPlan } from '../../src/migrate/planner.ts';
import { computeStatus } from '../../src/migrate/status.ts';
import { mayNeedNoTransaction, refusalOf, TRANSACTION_REFUSALS } from '../../src/migrate/transaction-check.ts';
import { planContext } from '../helpers/migrations.ts';

before(() => loadPostgresParser());

/** Statements of each refused kind, keyed by what the refusal calls it; every refusal must have some. */
const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  'CREATE INDEX CONCURRENTLY': [
    'CREATE INDEX CONCURRENTLY t_id ON t (id);',
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_name ON public.t USING btree (name);',
  ],
  'DROP INDEX CONCURRENTLY': ['DROP INDEX CONCURRENTLY t_id;', 'DROP INDEX CONCURRENTLY IF EXISTS public.t_id CASCADE;'],
  'REINDEX CONCURRENTLY': ['REINDEX INDEX CONCURRENTLY t_id;', 'REINDEX (VERBOSE, CONCURRENTLY) TABLE t;', 'REINDEX (CONCURRENTLY TRUE) SCHEMA public;'],
  'DETACH PARTITION CONCURRENTLY': ['ALTER TABLE p DETACH PARTITION p_2020 CONCURRENTLY;'],
  VACUUM: ['VACUUM;', 'VACUUM (ANALYZE, VERBOSE) t;', 'VACUUM FULL t;'],
  'CREATE DATABASE': ['CREATE DATABASE reports;', "CREATE DATABASE reports WITH OWNER = app ENCODING = 'UTF8' TEMPLATE = template0;"],
  'DROP DATABASE': ['DROP DATABASE reports;', 'DROP DATABASE IF EXISTS reports WITH (FORCE);'],
  'CREATE TABLESPACE': ["CREATE TABLESPACE fast LOCATION '/ssd';"],
  'DROP TABLESPACE': ['DROP TABLESPACE IF EXISTS fast;'],
  'ALTER SYSTEM': ["ALTER SYSTEM SET work_mem = '64MB';", 'ALTER SYSTEM RESET ALL;'],
};

/** The same statement as people may write it: as given, lower case, mixed case, comments and line breaks between the words. */
function spellings(sql: string): string[] {
  const mixed = [...sql].map((c, i) => (i % 2 === 0 ? c.toLowerCase() : c.toUpperCase())).join('');
  return [sql, sql.toLowerCase(), mixed, sql.replaceAll(' ', '\n/* a comment */ '), sql.replaceAll(' ', ' -- a comment\n\t')];
}

const context = planContext('postgres');

function transactional(up: string) {
  return parseMigration('005_change.sql', `-- migrate:up\nCREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT);\n${up}\n\n-- migrate:down\nDROP TABLE t;\n`);
}

describe('mayNeedNoTransaction (the transaction check prefilter)', () => {
  it('has examples for every statement kind the transaction check refuses', () => {
    assert.deepEqual(Object.keys(EXAMPLES).sort(), TRANSACTION_REFUSALS.map((refusal) => refusal.what).sort());
  });

  for (const refusal of TRANSACTION_REFUSALS) {
    it(`catches ${refusal.what} however it is written, and the planner then refuses it`, () => {
      for (const example of EXAMPLES[refusal.what] ?? []) {
        for (const sql of spellings(example)) {
          const statements = parsePostgresScript(sql, { fileName: '005_change.sql', line: 1 });
          assert.equal(statements.length, 1, sql);
          assert.equal(refusalOf(statements[0]!), refusal, `the check refuses ${JSON.stringify(sql)} as ${refusal.what}`);
          assert.ok(mayNeedNoTransaction(sql), `the prefilter lets ${JSON.stringify(sql)} through unparsed`);
          const migration = transactional(sql);
          assert.equal(planningParses(migration), true, sql);
          assert.throws(
            () => planUp(computeStatus([migration], []), context),
            (error: unknown) => error instanceof UsageError && error.code === 'NEEDS_NO_TRANSACTION' && error.message.includes(refusal.what),
            sql,
          );
        }
      }
    });
  }

  it('lets a plain file through unparsed, sent as written: a syntax error there is left to squawk and the server', () => {
    const plain = transactional("ALTER TABLE t ADD COLUMN note TEXT;\nINSERT INTO t VALUES (1, 'it''s; fine');");
    assert.equal(mayNeedNoTransaction(plain.up), false);
    assert.equal(planningParses(plain), false);
    const broken = transactional('CREAT TABLE u (id BIGINT);');
    assert.equal(planningParses(broken), false);
    assert.match(
      renderPlan(planUp(computeStatus([broken], []), context)),
      /\nCREATE TABLE t \(id BIGINT PRIMARY KEY, name TEXT\);\nCREAT TABLE u \(id BIGINT\);\n/,
    );
  });

  it('parses when a keyword only looks like one (a comment, a string, a column name), and refuses nothing then', () => {
    for (const sql of ["-- run VACUUM later\nCOMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY later';", 'ALTER TABLE t ADD COLUMN database_name TEXT;']) {
      assert.ok(mayNeedNoTransaction(sql), sql);
      assert.equal(planUp(computeStatus([transactional(sql)], []), context).steps[0]!.kind, 'transaction');
    }
  });

  it('parses a file with a backslash, so that a psql meta-command is refused before anything runs', () => {
    assert.ok(mayNeedNoTransaction('CREATE TABLE a (id BIGINT);\n\\connect trading'));
    assert.throws(
      () => planUp(computeStatus([transactional('\\i more.sql')], []), context),
      (error: unknown) => error instanceof UsageError && error.code === 'PSQL_META_COMMAND' && /^005_change\.sql line 3: '\\i'/.test(error.message),
    );
  });

  it('needs parsing for no-transaction sections and a down section that may be refused', () => {
    assert.equal(planningParses(parseMigration('006_idx.sql', '-- migrate:up\n-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n')), true);
    assert.equal(planningParses(parseMigration('006_idx.sql', '-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\nDROP TABLE t;\n')), true);
    assert.equal(planningParses(parseMigration('006_idx.sql', '-- migrate:up\nSELECT 1;\n-- migrate:down\nVACUUM t;\n')), true);
    assert.equal(planningParses(parseMigration('006_idx.sql', '-- migrate:up\nSELECT 1;\n-- migrate:down\n')), false);
  });
});
