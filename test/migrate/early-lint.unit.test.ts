// squawk started before the pending migrations are known (migrate up starts it while it takes the
// lock): its findings for the pending ones must be exactly what a run over them alone gives.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.ts';
import { EarlyLint, lintMigrations, MEMORY_SCRATCH_LIMIT, squawkScratchRoot } from '../../src/migrate/lint.ts';
import { parseMigration } from '../../src/migrate/migration.ts';

const file = (name: string, up: string) => parseMigration(name, `-- migrate:up\n${up}\n`);
const describeFindings = (findings: Awaited<ReturnType<typeof lintMigrations>>) => findings.map((f) => `${f.fileName}:${f.line} ${f.rule} ${f.severity}`);

describe('EarlyLint', () => {
  const created = file('001_new.sql', 'CREATE TABLE fills (id BIGINT PRIMARY KEY, venue TEXT);');
  const indexed = file('002_index.sql', 'CREATE INDEX fills_venue ON fills (venue);');
  const dropped = file('003_drop.sql', 'DROP TABLE orders;');

  it('keeps the same-run exemption to the pending migrations: a table created by an applied one is not new', async () => {
    const early = EarlyLint.start([created, indexed, dropped], { cwd: '/' });
    // 001 turned out applied: its table may be busy, so 002's plain CREATE INDEX blocks.
    const pending = await early.findings([indexed, dropped]);
    assert.deepEqual(describeFindings(pending), describeFindings(await lintMigrations([indexed, dropped], { cwd: '/' })));
    assert.ok(describeFindings(pending).includes('002_index.sql:2 require-concurrent-index-creation blocking'));
    // All three pending: 002's table is created in the same run, so nobody can be using it yet.
    const all = await EarlyLint.start([created, indexed, dropped], { cwd: '/' }).findings([created, indexed, dropped]);
    assert.deepEqual(describeFindings(all), describeFindings(await lintMigrations([created, indexed, dropped], { cwd: '/' })));
    assert.ok(!describeFindings(all).some((line) => line.startsWith('002_index.sql')));
  });

  it('lints a pending migration the early run did not cover, and then only the pending ones', async () => {
    const early = EarlyLint.start([created], { cwd: '/' });
    assert.deepEqual(describeFindings(await early.findings([dropped])), ['003_drop.sql:2 ban-drop-table blocking']);
    // Another object with the same name is not covered either: what runs is what is linted.
    const changed = file('001_new.sql', 'DROP TABLE fills;');
    assert.deepEqual(describeFindings(await early.findings([changed])), ['001_new.sql:2 ban-drop-table blocking']);
  });

  it('a failed run rejects only when its findings are asked for; unused, it settles quietly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tradeledger-early-lint-'));
    try {
      writeFileSync(join(dir, '.squawk.toml'), 'excluded_rules = ["no-such-rule"]\n');
      const unused = EarlyLint.start([dropped], { cwd: dir });
      await unused.settled();
      assert.deepEqual(await unused.findings([]), []);
      const used = EarlyLint.start([dropped], { cwd: dir });
      await assert.rejects(used.findings([dropped]), (error: unknown) => error instanceof UsageError && error.code === 'SQUAWK_CONFIG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('squawkScratchRoot', () => {
  it('honours TMPDIR when set, else prefers a writable runtime folder (for a bounded amount of SQL), skipping one that is missing', () => {
    const runtime = mkdtempSync(join(tmpdir(), 'tradeledger-runtime-'));
    try {
      assert.equal(squawkScratchRoot({ TMPDIR: tmpdir(), XDG_RUNTIME_DIR: runtime }), tmpdir());
      assert.equal(squawkScratchRoot({ XDG_RUNTIME_DIR: runtime }), runtime);
      // More SQL than a small memory folder should hold goes to the disk.
      assert.equal(squawkScratchRoot({ XDG_RUNTIME_DIR: runtime }, MEMORY_SCRATCH_LIMIT + 1), tmpdir());
      const fallback = squawkScratchRoot({ XDG_RUNTIME_DIR: join(runtime, 'missing') });
      assert.notEqual(fallback, join(runtime, 'missing'));
      assert.ok(fallback === '/dev/shm' || fallback === tmpdir(), fallback);
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  });
});
