import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import { SafetyError } from '../../src/errors.ts';
import { reconcileFreqtrade } from '../../src/ledgers/freqtrade/reconcile.ts';
import { dumpEvidence } from '../../src/ledgers/freqtrade/evidence.ts';
import { requireBotStopped } from '../../src/ledgers/freqtrade/stop-gate.ts';
import { parseCcxtDump } from '../../src/evidence/ccxt-dump.ts';
import { reconFlags } from '../../src/recon/flags.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { freqtradeRowsAt, holdOpen } from '../helpers/freqtrade.ts';
import { CCXT_DUMP, plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

const refusedAsUnknown = (error: unknown) => error instanceof SafetyError && error.code === 'BOT_STATE_UNKNOWN' && error.exitCode === 3;

describe('the stop-the-bot gate where open files cannot be read (SQLite)', () => {
  let test: TestDatabase;
  let evidence: string;
  let noProc: string;
  let config: string;
  const run = (...extra: string[]) =>
    cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--enable', '--no-dry-run', '--json', ...extra);
  const snapshot = () => freqtradeRowsAt(test.url);
  before(async () => {
    ({ test, evidence } = await plantedFreqtradeDatabase('sqlite'));
    // A process table with nothing in it: what a sandbox or an unmounted /proc looks like.
    noProc = join(test.dir, 'no-proc');
    mkdirSync(noProc);
    config = join(test.dir, 'tradeledger.yaml');
    writeFileSync(config, `freqtrade:\n  proc_root: ${noProc}\n`);
  });
  after(async () => test.cleanup());

  it('the library refuses off Linux unless told the bot is stopped; the platform and /proc are parameters', async () => {
    const db = await openDatabase(test.url);
    try {
      await assert.rejects(requireBotStopped(db, db, { platform: 'darwin' }), (e) => refusedAsUnknown(e) && /on darwin there is no \/proc/.test(String(e)));
      await assert.rejects(requireBotStopped(db, db, { procRoot: noProc }), (e) => refusedAsUnknown(e) && String(e).includes(noProc));
      await requireBotStopped(db, db, { platform: 'darwin', botStopped: true });
      await requireBotStopped(db, db, { procRoot: noProc, botStopped: true });
      // On this Linux machine with its /proc the gate can look, and finds nobody.
      await requireBotStopped(db, db);
      const options = {
        flags: reconFlags({ ...defaultConfig().recon, enabled: true, dry_run: false }),
        evidence: async () => dumpEvidence(parseCcxtDump(JSON.stringify(CCXT_DUMP)).dump),
        mode: 'run',
      } as const;
      await assert.rejects(reconcileFreqtrade(db, { ...options, gate: { platform: 'win32' } }), refusedAsUnknown);
    } finally {
      await db.close();
    }
  });

  it('the CLI refuses (exit 3) naming the fix, and writes nothing', async () => {
    const before = await snapshot();
    const refused = await run('--config', config);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(
      refused.stderr,
      /cannot tell whether another process has .* open \(.*no-proc does not list this process's own open files\): stop the bot.*--bot-stopped/,
    );
    const rollback = await cli('recon', 'rollback', '--ledger', 'freqtrade', '--db', test.url, '--batch', 'B', '--config', config);
    assert.equal(rollback.code, 2, 'no such batch: refused before the gate is looked at');
    assert.deepEqual(await snapshot(), before);
  });

  it('--bot-stopped still runs the API check', async () => {
    const server = createServer((_, res) => res.end('{"status":"pong"}'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const withApi = join(test.dir, 'with-api.yaml');
    writeFileSync(withApi, `freqtrade:\n  proc_root: ${noProc}\n  api_url: http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
    try {
      const refused = await run('--config', withApi, '--bot-stopped');
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, /freqtrade's API answers at/);
    } finally {
      server.close();
      await once(server, 'close');
    }
  });

  it('--bot-stopped lets the apply and the rollback through; it is a word for one run, not a setting', async () => {
    // freqtrade.bot_stopped in tradeledger.yaml would turn the check off for every later run: refused as an unknown key.
    const stopped = join(test.dir, 'stopped.yaml');
    writeFileSync(stopped, `freqtrade:\n  proc_root: ${noProc}\n  bot_stopped: true\n`);
    const before = await snapshot();
    const byYaml = await run('--config', stopped);
    assert.equal(byYaml.code, 2, byYaml.stderr);
    assert.match(byYaml.stderr, /freqtrade\.bot_stopped: was removed: .*--bot-stopped/);
    assert.deepEqual(await snapshot(), before);
    const applied = await run('--config', config, '--bot-stopped');
    assert.equal(applied.code, 0, applied.stderr);
    const { batchId, counts } = JSON.parse(applied.stdout) as { batchId: string; counts: Record<string, number> };
    assert.deepEqual(counts, { APPLIED: 2, NO_GO: 3 });
    const refused = await cli('recon', 'rollback', '--ledger', 'freqtrade', '--db', test.url, '--batch', batchId, '--config', config);
    assert.equal(refused.code, 3, refused.stderr);
    const rolled = await cli('recon', 'rollback', '--ledger', 'freqtrade', '--db', test.url, '--batch', batchId, '--config', config, '--bot-stopped', '--json');
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(JSON.parse(rolled.stdout).reopened, 2);
  });

  it('--bot-stopped never overrides a process found with the file open', async () => {
    const child = await holdOpen(test.url.slice('sqlite:'.length));
    try {
      const refused = await run('--bot-stopped');
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, new RegExp(`is open in process ${child.pid}`));
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });

  it('--bot-stopped belongs to --ledger freqtrade', async () => {
    const other = await cli('recon', 'run', '--ledger', 'bot-ledger', '--db', test.url, '--bot-stopped');
    assert.equal(other.code, 2);
    assert.match(other.stderr, /--bot-stopped is for --ledger freqtrade/);
  });
});
