import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildProgram, COMMAND_GROUPS } from '../../src/cli/program.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { BIN } from '../helpers/cli.ts';

const RECORDER = fileURLToPath(new URL('../helpers/record-loads.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tradeledger-start-up-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The packages (node_modules folder names) a run of the real binary loaded. */
function packagesLoaded(argv: readonly string[]): Set<string> {
  const record = join(scratch, `loads-${argv.join('-').replace(/[^\w.-]+/g, '_')}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env, RECORD_LOADS: record, NODE_DISABLE_COMPILE_CACHE: '1' };
  delete env.DATABASE_URL;
  const result = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...argv], { env, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const packages = new Set<string>();
  for (const url of readFileSync(record, 'utf8').split('\n')) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match !== null) packages.add(match[1]!);
  }
  return packages;
}

const io: CliIo = { out: () => {}, err: () => {}, exitCode: 0, interactive: false };

describe('CLI start-up: each command group is loaded only when a command line names it', () => {
  it('--help loads commander alone: no daemon, exchange, configuration or decimal packages', () => {
    const loaded = packagesLoaded(['--help']);
    assert.deepEqual([...loaded], ['commander']);
  });

  it('migrate status --help loads no daemon or exchange package (fastify, pino, prom-client, ccxt)', () => {
    const loaded = packagesLoaded(['migrate', 'status', '--help']);
    for (const name of ['fastify', 'pino', 'prom-client', 'ccxt', 'cli-progress', '@electric-sql/pglite']) assert.ok(!loaded.has(name), `${name} was loaded`);
    assert.ok(loaded.has('commander'));
  });

  it('a migrate command with nothing configured (flags alone) loads neither zod nor yaml: the defaults need no validation', () => {
    const dir = join(scratch, 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '001_t.sql'), '-- migrate:up\nCREATE TABLE t (id BIGINT PRIMARY KEY);\n-- migrate:down\nDROP TABLE t;\n');
    const loaded = packagesLoaded(['migrate', 'lint', '--dir', dir, '--db', 'postgres://nobody@127.0.0.1:1/none']);
    for (const name of ['zod', 'yaml', 'fastify', 'pino', 'prom-client', 'ccxt', 'decimal.js']) assert.ok(!loaded.has(name), `${name} was loaded`);
  });

  it('the root help describes each group as its command file does', async () => {
    const program = await buildProgram(io, [], true);
    assert.deepEqual(
      program.commands.map((command) => [command.name(), command.description()]),
      COMMAND_GROUPS.map((group) => [group.name, group.description]),
    );
  });

  it('a command line loads the group it names, and `help <group>` too', async () => {
    for (const argv of [
      ['migrate', 'status'],
      ['--json', 'recon'],
      ['help', 'lifecycle'],
    ]) {
      const program = await buildProgram(io, argv);
      const loaded = program.commands.filter((command) => command.commands.length > 0).map((command) => command.name());
      assert.deepEqual(loaded, [argv.at(-1) === 'status' ? 'migrate' : argv.at(-1)]);
    }
  });
});
