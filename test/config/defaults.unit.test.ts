// With nothing set, loadConfig answers defaultConfig() without loading zod: it must be exactly what
// the schema gives for an empty configuration.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../src/config/defaults.ts';
import { loadConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';

describe('defaultConfig', () => {
  it('is what the schema gives for an empty configuration', () => {
    assert.deepStrictEqual(defaultConfig(), configSchema.parse({}));
  });

  it('is what loadConfig gives with no file and no environment, and an empty file too', () => {
    assert.deepStrictEqual(loadConfig({ env: {} }), { config: configSchema.parse({}), file: null });
    const dir = mkdtempSync(join(tmpdir(), 'tradeledger-defaults-'));
    try {
      const file = join(dir, 'tradeledger.yaml');
      writeFileSync(file, '# nothing set yet\n');
      assert.deepStrictEqual(loadConfig({ configPath: file, env: {} }), { config: configSchema.parse({}), file });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still validates whatever is set: an environment value goes through the schema', () => {
    const { config } = loadConfig({ env: { TRADELEDGER_LOCK_TIMEOUT: '5s' } });
    assert.equal(config.database.migration.lock_timeout, 5000);
    assert.deepStrictEqual({ ...config.database.migration, lock_timeout: 2000 }, defaultConfig().database.migration);
  });

  it('is a new object each time: a caller that changes its copy changes no one else’s', () => {
    const first = defaultConfig();
    first.database.migration.retries = 1;
    (first.migrations.options as Record<string, string>)['x'] = 'y';
    assert.deepStrictEqual(defaultConfig(), configSchema.parse({}));
  });
});
