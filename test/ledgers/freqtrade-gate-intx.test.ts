// The stop-the-bot gate is checked twice: before the backup, and again inside the writing
// transaction. These tests make the two checks see different worlds, so that the check inside the
// transaction only gives the right answer when it gets the caller's gate options (procRoot, botStopped).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../src/db/port.ts';
import { openDatabase } from '../../src/db/open.ts';
import { SafetyError } from '../../src/errors.ts';
import { parseCcxtDump } from '../../src/evidence/ccxt-dump.ts';
import { reconcileFreqtrade } from '../../src/ledgers/freqtrade/reconcile.ts';
import { dumpEvidence } from '../../src/ledgers/freqtrade/evidence.ts';
import { rollbackFreqtradeBatch } from '../../src/ledgers/freqtrade/rollback.ts';
import type { StopGateOptions } from '../../src/ledgers/freqtrade/stop-gate.ts';
import { reconFlags } from '../../src/recon/flags.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { freqtradeRows, holdOpen } from '../helpers/freqtrade.ts';
import { CCXT_DUMP, plantedFreqtradeDatabase } from './freqtrade-fixture.ts';
import { fakeProc } from './freqtrade-proc-fixture.ts';

const apply = (db: Database, gate: StopGateOptions, onEvidence: () => void = () => {}) =>
  reconcileFreqtrade(db, {
    flags: reconFlags({ ...defaultConfig().recon, enabled: true, dry_run: false }),
    evidence: async () => {
      // Called after the first check and before the transaction: the world changes in between.
      onEvidence();
      return dumpEvidence(parseCcxtDump(JSON.stringify(CCXT_DUMP)).dump);
    },
    mode: 'run',
    gate,
  });

describe('the stop-the-bot gate inside the writing transaction gets the caller’s gate options (SQLite)', () => {
  let test: TestDatabase;
  let file: string;
  let db: Database;
  const snapshot = () => freqtradeRows(db);
  before(async () => {
    ({ test } = await plantedFreqtradeDatabase('sqlite'));
    file = test.url.slice('sqlite:'.length);
    db = await openDatabase(test.url);
  });
  after(async () => {
    await db.close();
    await test.cleanup();
  });

  it('apply: a process that opens the file in the given proc root after the first check is refused by the check in the transaction', async () => {
    const proc = fakeProc(test.dir);
    const before = await snapshot();
    await assert.rejects(
      apply(db, { procRoot: proc.root }, () => proc.add(4343, { cmdline: 'sqlite3\0tradesv3.sqlite\0', fd: [file] })),
      (error) => error instanceof SafetyError && error.code === 'FREQTRADE_RUNNING' && /is open in process 4343/.test(error.message),
    );
    assert.deepEqual(await snapshot(), before, 'nothing written');
  });

  // The real /proc shows a process with the file open; the caller's options say to look elsewhere
  // (a process table with nobody in it) and that the bot is stopped. A check in the transaction
  // that dropped the options (looked at the real /proc) or dropped botStopped would refuse.
  for (const [what, gate] of [
    ['procRoot', (root: string) => ({ procRoot: root })],
    ['botStopped', (root: string) => ({ procRoot: join(root, 'nothing'), botStopped: true })],
  ] as const) {
    it(`apply and rollback pass where the caller’s ${what} says so, in the transaction too`, async () => {
      const { root } = fakeProc(test.dir);
      mkdirSync(join(root, 'nothing'));
      const child = await holdOpen(file);
      try {
        const applied = await apply(db, gate(root));
        assert.deepEqual(applied.counts, { APPLIED: 2, NO_GO: 3 });
        const rolled = await rollbackFreqtradeBatch(db, applied.batchId as string, { gate: gate(root) });
        assert.equal(rolled.reopened, 2);
      } finally {
        child.kill();
        await once(child, 'exit');
      }
    });
  }
});
