import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { planUp } from '../../src/migrate/planner.ts';
import { mustRunOutsideTransaction, splitSqliteStatements } from '../../src/migrate/sqlite-statements.ts';
import { computeStatus } from '../../src/migrate/status.ts';
import { planContext } from '../helpers/migrations.ts';

describe('SQLite statements one by one', () => {
  it('splits at top-level semicolons, keeping a trigger body (with CASE … END) whole', () => {
    const script = [
      'CREATE TABLE t (a TEXT DEFAULT \'x;y\', "b;c" INT, [d;e] INT, `f;g` INT); -- a comment; with a semicolon',
      '/* block; comment */ CREATE TRIGGER tr AFTER UPDATE ON t',
      'BEGIN',
      "  UPDATE t SET a = CASE WHEN NEW.a = 'end;' THEN 'x' ELSE 'y' END WHERE rowid = NEW.rowid;",
      '  SELECT 1;',
      'END;',
      'PRAGMA journal_mode = WAL;',
      'VACUUM',
    ].join('\n');
    const statements = splitSqliteStatements(script);
    assert.equal(statements.length, 4, statements.join('\n---\n'));
    assert.match(statements[0]!, /^CREATE TABLE t .*\);$/);
    assert.match(statements[1]!, /^-- a comment; with a semicolon\n\/\* block; comment \*\/ CREATE TRIGGER tr[\s\S]*SELECT 1;\nEND;$/);
    assert.deepEqual(statements.slice(2), ['PRAGMA journal_mode = WAL;', 'VACUUM']);
  });

  it('knows the statements SQLite refuses or ignores inside a transaction', () => {
    for (const statement of [
      'VACUUM;',
      'vacuum main;',
      'PRAGMA journal_mode = WAL;',
      'PRAGMA main.journal_mode=DELETE;',
      'PRAGMA foreign_keys = OFF;',
      "ATTACH 'x.db' AS x;",
      'DETACH x;',
      '-- why\nVACUUM;',
    ]) {
      assert.equal(mustRunOutsideTransaction(statement), true, statement);
    }
    for (const statement of ['PRAGMA user_version = 3;', 'CREATE TABLE vacuum_log (id INT);', "INSERT INTO t VALUES ('VACUUM');"]) {
      assert.equal(mustRunOutsideTransaction(statement), false, statement);
    }
  });

  it('refuses disable-foreign-keys with a statement that must run outside the transaction', () => {
    const migration = parseMigration('001_rebuild.sql', '-- migrate:disable-foreign-keys\n-- migrate:up\nCREATE TABLE t2 (id INT);\nVACUUM;\n');
    const context = planContext('sqlite');
    assert.throws(
      () => planUp(computeStatus([migration], []), context),
      (error: unknown) => error instanceof UsageError && /move them to a migration of their own/.test(error.message),
    );
  });
});
