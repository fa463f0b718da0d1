import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextMigrationName } from '../../src/migrate/new-file.ts';
import { parseMigration } from '../../src/migrate/migration.ts';
import { UsageError } from '../../src/errors.ts';

const NOW = new Date('2024-01-15T09:30:00Z');

describe('migrate new names the file in the folder’s style', () => {
  it('starts an empty folder at 001_', () => {
    assert.deepEqual(nextMigrationName([], 'Create orders', NOW), { fileName: '001_create_orders.sql', version: 1 });
  });

  it('takes the next number, as wide as the others', () => {
    assert.equal(nextMigrationName(['001_a.sql', '002_b.sql'], 'c', NOW).fileName, '003_c.sql');
    assert.equal(nextMigrationName(['0009_a.sql'], 'b', NOW).fileName, '0010_b.sql');
  });

  it('takes a UTC timestamp in a timestamped folder, and its separator', () => {
    assert.equal(nextMigrationName(['20230101000000_a.sql'], 'add fee', NOW).fileName, '20240115093000_add_fee.sql');
    assert.equal(nextMigrationName(['20230101000000-a.sql'], 'add fee', NOW).fileName, '20240115093000-add_fee.sql');
  });

  it('stays after the newest file when the clock is behind it (two files in one second)', () => {
    assert.equal(nextMigrationName(['20240115093000_a.sql'], 'b', NOW).fileName, '20240115093001_b.sql');
  });

  it('refuses a name with no letters or digits', () => {
    assert.throws(
      () => nextMigrationName([], '  --  ', NOW),
      (error: unknown) => error instanceof UsageError && error.code === 'BAD_NAME',
    );
  });
});

describe("dbmate's file format", () => {
  it('reads transaction:false per section, and the down keeps a transaction unless it says so too', () => {
    const both = parseMigration(
      '1_x.sql',
      '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n',
    );
    assert.equal(both.transactional, false);
    assert.equal(both.downTransactional, false);
    const upOnly = parseMigration('1_x.sql', '-- migrate:up transaction:false\nVACUUM;\n-- migrate:down\nSELECT 1;\n');
    assert.equal(upOnly.transactional, false);
    assert.equal(upOnly.downTransactional, true);
  });

  it('refuses an unknown section option, naming the one there is', () => {
    assert.throws(
      () => parseMigration('1_x.sql', '-- migrate:up transactions:false\nSELECT 1;\n'),
      (error: unknown) =>
        error instanceof UsageError && /unknown option 'transactions:false' on a section line; the one option is transaction:false/.test(error.message),
    );
  });

  it('reads versions up to 2^53 - 1 and refuses longer ones', () => {
    assert.equal(parseMigration('20240115093000_x.sql', '-- migrate:up\nSELECT 1;').version, 20240115093000);
    assert.equal(parseMigration('3-add-fee.sql', '-- migrate:up\nSELECT 1;').description, 'add fee');
    assert.throws(
      () => parseMigration('99999999999999999_x.sql', '-- migrate:up\nSELECT 1;'),
      (error: unknown) => error instanceof UsageError && error.code === 'MIGRATION_NAME',
    );
  });
});
