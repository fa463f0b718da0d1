import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import { SafetyError } from '../../src/errors.ts';
import { requireBotStopped, runsFreqtrade } from '../../src/ledgers/freqtrade/stop-gate.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { freqtradeRowsAt } from '../helpers/freqtrade.ts';
import { plantedFreqtradeDatabase } from './freqtrade-fixture.ts';
import { fakeProc } from './freqtrade-proc-fixture.ts';

const refused = (code: string, pattern: RegExp) => (error: unknown) =>
  error instanceof SafetyError && error.code === code && error.exitCode === 3 && pattern.test(error.message);

// The bot as a Python console script runs it (the kernel runs the interpreter on the script).
const BOT = '/usr/bin/python3\0/home/ftuser/.local/bin/freqtrade\0trade\0--config\0user_data/config.json\0';

describe('the stop-the-bot gate and processes of other users (SQLite)', () => {
  let test: TestDatabase;
  let evidence: string;
  let file: string;
  before(async () => {
    ({ test, evidence } = await plantedFreqtradeDatabase('sqlite'));
    file = test.url.slice('sqlite:'.length);
  });
  after(async () => test.cleanup());

  const gate = async (options: Parameters<typeof requireBotStopped>[2]) => {
    const db = await openDatabase(test.url);
    try {
      await requireBotStopped(db, db, options);
    } finally {
      await db.close();
    }
  };

  it('refuses a freqtrade of another user whose open files it cannot read, naming the pid and the fix; --bot-stopped does not override it', async () => {
    const proc = fakeProc(test.dir);
    proc.add(4242, { cmdline: BOT, fd: 'unreadable' });
    const named =
      /process 4242 \(\/usr\/bin\/python3 \/home\/ftuser\/\.local\/bin\/freqtrade trade .*\) runs freqtrade as another user.*run tradeledger as root or as the bot's user, or stop the bot/;
    await assert.rejects(gate({ procRoot: proc.root }), refused('FREQTRADE_RUNNING', named));
    await assert.rejects(gate({ procRoot: proc.root, botStopped: true }), refused('FREQTRADE_RUNNING', named));
  });

  it('passes other users’ processes that do not run freqtrade, and still finds a readable one with the file open', async () => {
    const proc = fakeProc(test.dir);
    proc.add(700, { cmdline: '/usr/sbin/sshd\0-D\0', fd: 'unreadable' });
    proc.add(701, { cmdline: 'sudo\0-u\0ftuser\0tradeledger\0recon\0run\0--ledger\0freqtrade\0', fd: 'unreadable' });
    proc.add(702, { cmdline: '', fd: 'unreadable' });
    await gate({ procRoot: proc.root });
    proc.add(703, { cmdline: 'sqlite3\0tradesv3.sqlite\0', fd: ['/dev/null', file] });
    await assert.rejects(gate({ procRoot: proc.root, botStopped: true }), refused('FREQTRADE_RUNNING', /is open in process 703/));
  });

  it('a process whose command line cannot be read either (hidepid=1) leaves the bot state unknown: refused unless --bot-stopped', async () => {
    const proc = fakeProc(test.dir);
    proc.add(700, { cmdline: '/usr/sbin/sshd\0', fd: 'unreadable' });
    proc.add(4242, { cmdline: null, fd: 'unreadable' });
    await assert.rejects(
      gate({ procRoot: proc.root }),
      refused(
        'BOT_STATE_UNKNOWN',
        /command line of process 4242 can be read here; 2 process\(es\) of other users could not be looked into\): run tradeledger as root.*--bot-stopped/,
      ),
    );
    await gate({ procRoot: proc.root, botStopped: true });
  });

  it('a /proc that does not list pid 1 (hidepid=2 hides other users’ processes) leaves the bot state unknown: refused unless --bot-stopped', async () => {
    const proc = fakeProc(test.dir, { hidepid: true });
    await assert.rejects(gate({ procRoot: proc.root }), refused('BOT_STATE_UNKNOWN', /does not list pid 1.*hidepid/));
    await gate({ procRoot: proc.root, botStopped: true });
    proc.add(703, { cmdline: 'sqlite3\0', fd: [file] });
    await assert.rejects(gate({ procRoot: proc.root, botStopped: true }), refused('FREQTRADE_RUNNING', /is open in process 703/));
  });

  it('the CLI refuses (exit 3) naming the pid, and writes nothing', async () => {
    const proc = fakeProc(test.dir);
    proc.add(4242, { cmdline: 'freqtrade\0trade\0', fd: 'unreadable' });
    const config = join(test.dir, 'other-user.yaml');
    writeFileSync(config, `freqtrade:\n  proc_root: ${proc.root}\n`);
    const snapshot = () => freqtradeRowsAt(test.url);
    const before = await snapshot();
    const run = await cli(
      'recon',
      'run',
      '--ledger',
      'freqtrade',
      '--db',
      test.url,
      '--evidence-file',
      evidence,
      '--enable',
      '--no-dry-run',
      '--config',
      config,
      '--bot-stopped',
    );
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /process 4242 \(freqtrade trade\) runs freqtrade as another user/);
    assert.deepEqual(await snapshot(), before);
  });
});

describe('which command lines run freqtrade', () => {
  it('the console script, a Python interpreter on it or on the module; not a program that only mentions it', () => {
    const yes = [
      'freqtrade\0trade\0',
      '/opt/ft/.venv/bin/freqtrade\0trade\0',
      BOT,
      'python\0-m\0freqtrade\0trade\0',
      '/usr/local/bin/python3.12\0/freqtrade/freqtrade\0',
      'python3\0-mfreqtrade\0trade\0',
      'pypy3\0-m\0freqtrade\0trade\0',
      'python3\0-u\0-X\0dev\0/opt/ft/.venv/bin/freqtrade\0trade\0',
      'python3\0-c\0from freqtrade.main import main; main()\0',
    ];
    const no = [
      '',
      'sudo\0-u\0ft\0tradeledger\0--ledger\0freqtrade\0',
      'tail\0-f\0/home/ft/freqtrade.log\0',
      'node\0/srv/tradeledger/cli.js\0',
      'python3\0bot.py\0',
      // Python running something else, with freqtrade only among that program's own arguments.
      'python3\0manage.py\0--log\0/var/log/freqtrade.log\0',
      'python3\0-m\0http.server\0--directory\0/srv/freqtrade_data\0',
    ];
    for (const line of yes) assert.equal(runsFreqtrade(line), true, line);
    for (const line of no) assert.equal(runsFreqtrade(line), false, line);
  });
});
