import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { UsageError } from '../../src/errors.ts';
import { bearerToken, tokensMatch } from '../../src/service/auth.ts';
import { isLoopback } from '../../src/service/access.ts';
import { serveSettings } from '../../src/service/settings.ts';

function configFrom(yaml: string, env: Record<string, string> = {}) {
  const file = join(mkdtempSync(join(tmpdir(), 'tl-serve-')), 'tradeledger.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ configPath: file, env }).config;
}

describe('serve settings', () => {
  it('defaults: 127.0.0.1:8080, a cycle every 60 s, the pack the database family holds', () => {
    const config = configFrom('');
    assert.deepEqual(serveSettings(config, 'pglite:x', {}), {
      url: 'pglite:x',
      pack: 'bot-ledger',
      host: '127.0.0.1',
      port: 8080,
      intervalMs: 60_000,
      anomalyIntervalMs: 600_000,
      shutdownGraceMs: 8_000,
      waitMs: 0,
      adminToken: null,
      readToken: null,
      readsNeedToken: false,
    });
    assert.equal(serveSettings(config, 'postgres://u@h/db', {}).pack, 'bot-ledger');
    assert.equal(serveSettings(config, 'sqlite:state.db', {}).pack, 'risk-state');
  });

  it('serve.pack, then migrations.pack, choose the pack', () => {
    assert.equal(serveSettings(configFrom('migrations:\n  pack: order-execution\n'), 'pglite:x', {}).pack, 'order-execution');
    assert.equal(serveSettings(configFrom('migrations:\n  pack: order-execution\nserve:\n  pack: bot-ledger\n'), 'pglite:x', {}).pack, 'bot-ledger');
  });

  it('reads serve: and its environment variables, and names a bad key', () => {
    const config = configFrom('serve:\n  port: 0\n  interval: 500ms\n  anomaly_interval: 0\n', {
      TRADELEDGER_SERVE_HOST: '0.0.0.0',
      TRADELEDGER_SERVE_INTERVAL: '2s',
    });
    const settings = serveSettings(config, 'pglite:x', {});
    assert.deepEqual([settings.host, settings.port, settings.intervalMs, settings.anomalyIntervalMs], ['0.0.0.0', 0, 2000, 0]);
    assert.throws(
      () => configFrom('serve:\n  interval: 0s\n'),
      (error: unknown) => error instanceof UsageError && /serve\.interval: must be above 0/.test(error.message),
    );
    assert.throws(
      () => configFrom('serve:\n  port: 70000\n'),
      (error: unknown) => error instanceof UsageError && /serve\.port/.test(error.message),
    );
    assert.throws(
      () => configFrom('serve:\n  prot: 1\n'),
      (error: unknown) => error instanceof UsageError && /serve\.prot: is not a known setting/.test(error.message),
    );
    assert.throws(
      () => configFrom('', { TRADELEDGER_SERVE_PORT: 'http' }),
      (error: unknown) => error instanceof UsageError && /TRADELEDGER_SERVE_PORT='http' is not a whole number/.test(error.message),
    );
  });

  it('takes the admin token from the environment: unset or blank is none, a short one is refused', () => {
    const config = configFrom('');
    assert.equal(serveSettings(config, 'pglite:x', { TRADELEDGER_ADMIN_TOKEN: '  ' }).adminToken, null);
    assert.equal(serveSettings(config, 'pglite:x', { TRADELEDGER_ADMIN_TOKEN: ' 0123456789abcdef ' }).adminToken, '0123456789abcdef');
    assert.throws(
      () => serveSettings(config, 'pglite:x', { TRADELEDGER_ADMIN_TOKEN: 'secret' }),
      /TRADELEDGER_ADMIN_TOKEN is 6 characters long: use at least 16/,
    );
  });
});

describe('read token and loopback', () => {
  it('reads tokens from TRADELEDGER_*_TOKEN_FILE, refuses a read token equal to the admin token, and never shows either', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-tokens-'));
    writeFileSync(join(dir, 'admin'), 'admin-token-from-a-file-0123\n');
    const config = configFrom('');
    const settings = serveSettings(config, 'pglite:x', { TRADELEDGER_ADMIN_TOKEN_FILE: join(dir, 'admin'), TRADELEDGER_READ_TOKEN: 'read-token-0123456789' });
    assert.deepEqual([settings.adminToken, settings.readToken, settings.readsNeedToken], ['admin-token-from-a-file-0123', 'read-token-0123456789', true]);
    assert.throws(
      () => serveSettings(config, 'pglite:x', { TRADELEDGER_ADMIN_TOKEN: 'admin-token-from-a-file-0123', TRADELEDGER_READ_TOKEN_FILE: join(dir, 'admin') }),
      /TRADELEDGER_READ_TOKEN equals TRADELEDGER_ADMIN_TOKEN/,
    );
    assert.throws(
      () => serveSettings(config, 'pglite:x', { TRADELEDGER_ADMIN_TOKEN: 'same-token-0123456789', TRADELEDGER_READ_TOKEN: 'same-token-0123456789' }),
      (error: unknown) =>
        error instanceof UsageError && /^TRADELEDGER_READ_TOKEN equals TRADELEDGER_ADMIN_TOKEN/.test(error.message) && !error.message.includes('same-token'),
    );
    assert.throws(() => serveSettings(config, 'pglite:x', { TRADELEDGER_READ_TOKEN: 'short' }), /TRADELEDGER_READ_TOKEN is 5 characters long/);
    assert.throws(
      () => serveSettings(config, 'pglite:x', { TRADELEDGER_ADMIN_TOKEN: 'x'.repeat(20), TRADELEDGER_ADMIN_TOKEN_FILE: join(dir, 'admin') }),
      /both TRADELEDGER_ADMIN_TOKEN and TRADELEDGER_ADMIN_TOKEN_FILE are set/,
    );
  });

  it('reads need a token beyond loopback, or once a read token is set', () => {
    assert.equal(serveSettings(configFrom(''), 'pglite:x', {}).readsNeedToken, false);
    assert.equal(serveSettings(configFrom('serve:\n  host: 0.0.0.0\n'), 'pglite:x', {}).readsNeedToken, true);
    assert.equal(serveSettings(configFrom('serve:\n  host: 0.0.0.0\n'), 'pglite:x', { TRADELEDGER_ADMIN_TOKEN: 'x'.repeat(20) }).readsNeedToken, true);
  });

  it('counts 127.0.0.0/8, ::1 and localhost as loopback, and every other address or name as beyond', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'example.com', 'localhost.example.com', '::ffff:10.0.0.1', '128.0.0.1', '::2']) {
      assert.ok(!isLoopback(host), host);
    }
  });
});

describe('admin token checks', () => {
  it('reads a bearer token and nothing else', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer  abc '), 'abc');
    for (const header of [undefined, '', 'Bearer', 'Bearer a b', 'Basic abc', 'abc']) assert.equal(bearerToken(header), null, String(header));
  });

  it('matches only the same token, whatever the lengths', () => {
    assert.equal(tokensMatch('0123456789abcdef', '0123456789abcdef'), true);
    for (const other of ['0123456789abcdeF', '0123456789abcde', '0123456789abcdef0', '']) assert.equal(tokensMatch(other, '0123456789abcdef'), false, other);
  });
});
