// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is what these tests feed the loader
// Secrets from the environment: `${VAR}` in tradeledger.yaml, VAR_FILE for every variable, and no
// message that ever shows a value. Real files in a temporary folder, the real loader.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { envValue, hideSecrets, interpolate } from '../../src/config/secrets.ts';
import { UsageError } from '../../src/errors.ts';

const PASSWORD = 's3cr3t-p@ss #: word';

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'tl-secrets-'));
}

function load(yaml: string, env: Record<string, string>) {
  const file = join(folder(), 'tradeledger.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ configPath: file, env }).config;
}

/** Asserts a one-line UsageError (exit 2) matching `pattern` whose message holds none of `secrets`. */
function refused(fn: () => unknown, pattern: RegExp, secrets: readonly string[] = []): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    for (const secret of secrets) assert.ok(!error.message.includes(secret), `the message shows a secret: ${error.message}`);
    return true;
  });
}

describe('${VAR} in tradeledger.yaml', () => {
  it('replaces a variable inside a string value, after parsing (a value holding # or : stays whole)', () => {
    const config = load('database:\n  url: postgres://bot:${PGPASSWORD}@db.internal:5432/ledger\n', { PGPASSWORD: PASSWORD });
    assert.equal(config.database.url, `postgres://bot:${PASSWORD}@db.internal:5432/ledger`);
  });

  it('reaches exchange keys in recon.evidence.options, and reads VAR_FILE when VAR is unset', () => {
    const dir = folder();
    writeFileSync(join(dir, 'secret'), 'exchange-secret-value\n');
    const config = load(
      "recon:\n  evidence:\n    source: ccxt\n    exchange: binance\n    profile: p1\n    options:\n      apiKey: '${BINANCE_KEY}'\n      secret: '${BINANCE_SECRET}'\n",
      { BINANCE_KEY: 'key-123456', BINANCE_SECRET_FILE: join(dir, 'secret') },
    );
    assert.deepEqual(config.recon.evidence.options, { apiKey: 'key-123456', secret: 'exchange-secret-value' });
  });

  it('an unset variable is a one-line usage error naming the variable and the key', () => {
    refused(
      () => load('database:\n  url: postgres://bot:${PGPASSWORD}@db/ledger\n', {}),
      /tradeledger\.yaml: database\.url: \$\{PGPASSWORD\} is not set: export PGPASSWORD, or PGPASSWORD_FILE naming a file that holds it$/,
    );
    refused(() => load("recon:\n  status_url: '${STATUS}'\n", { STATUS: '' }), /recon\.status_url: \$\{STATUS\} is set but empty/);
  });

  it('$${ is a literal ${, and a malformed reference is refused rather than kept', () => {
    assert.equal(load("migrations:\n  options:\n    note: 'cost $${HOME} x'\n", {}).migrations.options['note'], 'cost ${HOME} x');
    refused(() => load("migrations:\n  options:\n    note: 'a ${not a name}'\n", {}), /migrations\.options\.note: '\$\{' must start a variable reference/);
    refused(() => load("migrations:\n  options:\n    note: 'a ${OPEN'\n", {}), /write \$\$\{ for a literal/);
  });

  it('a value that fails validation does not show the secret it came from', () => {
    refused(() => load("serve:\n  host: ''\n  pack: '${PACK}'\nrecon:\n  status_url: '${URL}'\n", { PACK: 'x', URL: 'not a url at all' }), /status_url/, [
      'not a url at all',
    ]);
    refused(
      () => load("database:\n  migration:\n    lock_wait: '${WAIT}'\n", { WAIT: 'hunter2-hunter2' }),
      /database\.migration\.lock_wait: expected a duration/,
      ['hunter2-hunter2'],
    );
  });

  it('leaves keys and non-string values alone', () => {
    assert.deepEqual(interpolate({ '${KEY}': 1, list: ['${A}', true] }, 'f', { A: 'a' }).value, { '${KEY}': 1, list: ['a', true] });
  });
});

describe('VAR_FILE', () => {
  it('reads the file, drops the trailing line break, and says where the value came from', () => {
    const dir = folder();
    writeFileSync(join(dir, 'url'), 'postgres://bot:pw@db/ledger\r\n');
    assert.deepEqual(envValue({ DATABASE_URL_FILE: join(dir, 'url') }, 'DATABASE_URL'), {
      value: 'postgres://bot:pw@db/ledger',
      from: `DATABASE_URL_FILE (${join(dir, 'url')})`,
      fromFile: true,
    });
    assert.equal(load('', { DATABASE_URL_FILE: join(dir, 'url') }).database.url, 'postgres://bot:pw@db/ledger');
    assert.equal(envValue({}, 'DATABASE_URL'), undefined);
  });

  it('refuses both VAR and VAR_FILE, a missing file and an empty one, without showing any value', () => {
    const dir = folder();
    writeFileSync(join(dir, 'empty'), '\n');
    refused(
      () => load('', { DATABASE_URL: 'postgres://u:pw-0123@h/db', DATABASE_URL_FILE: join(dir, 'empty') }),
      /^both DATABASE_URL and DATABASE_URL_FILE are set: unset one/,
      ['pw-0123'],
    );
    refused(() => load('', { DATABASE_URL_FILE: join(dir, 'missing') }), /^DATABASE_URL_FILE='.*missing' cannot be read \(ENOENT\)/);
    refused(() => load('', { DATABASE_URL_FILE: join(dir, 'empty') }), /^DATABASE_URL_FILE='.*empty' is an empty file/);
    refused(() => load('', { DATABASE_URL_FILE: ' ' }), /^DATABASE_URL_FILE is set but empty/);
    refused(() => load('serve:\n  pack: ${X}\n', { X_FILE: join(dir, 'missing') }), /tradeledger\.yaml: serve\.pack: X_FILE='.*' cannot be read/);
    refused(() => load('serve:\n  pack: ${X}\n', { X: 'a', X_FILE: join(dir, 'empty') }), /tradeledger\.yaml: serve\.pack: both X and X_FILE are set/);
  });

  it('works for every environment override, e.g. TRADELEDGER_SERVE_PORT_FILE', () => {
    const dir = folder();
    writeFileSync(join(dir, 'port'), '9090\n');
    assert.equal(load('', { TRADELEDGER_SERVE_PORT_FILE: join(dir, 'port') }).serve.port, 9090);
  });
});

describe('hideSecrets', () => {
  it('hides every secret, the longest first, and leaves short values alone', () => {
    assert.equal(hideSecrets('a abcdef b abcd c 12', ['abcd', 'abcdef', '12']), 'a *** b *** c 12');
  });
});
