// Settings that were removed are refused like any unknown key (the schema is strict), saying what replaced them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { UsageError } from '../../src/errors.ts';

describe('removed settings', () => {
  it('freqtrade.bot_stopped is refused (exit 2), naming --bot-stopped: the bot being stopped is said for one run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tradeledger-removed-'));
    try {
      for (const value of ['true', 'false']) {
        const file = join(dir, 'tradeledger.yaml');
        writeFileSync(file, `freqtrade:\n  proc_root: /proc\n  bot_stopped: ${value}\n`);
        assert.throws(
          () => loadConfig({ configPath: file, env: {} }),
          (error: unknown) =>
            error instanceof UsageError &&
            error.exitCode === 2 &&
            error.code === 'CONFIG_INVALID' &&
            /tradeledger\.yaml: freqtrade\.bot_stopped: was removed: .*--bot-stopped on that run$/.test(error.message),
        );
      }
      writeFileSync(join(dir, 'typo.yaml'), 'freqtrade:\n  bot_stoped: true\n');
      assert.throws(() => loadConfig({ configPath: join(dir, 'typo.yaml'), env: {} }), /freqtrade\.bot_stoped: is not a known setting; check its spelling/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
