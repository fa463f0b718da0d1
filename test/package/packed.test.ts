// The package as a new user gets it: `npm pack` once, that tarball installed globally
// (`npm install -g`, into a prefix of the test's) and as a dependency of a fresh project, both
// outside the clone; every command run from them on Node 24 (global) and Node 22 (dependency), the
// runnable library example type-checked under --strict against the installed declarations and run
// on both. Node 22 comes from the npm registry like .ci/run's Node 24 (test/helpers/node-versions.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from '../helpers/node-versions.ts';
import { reap, waitFor, watch, type WatchedChild } from '../helpers/processes.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a user's shell: none of the test run's npm or test-runner variables, no database or config from outside. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|NODE_TEST_CONTEXT$|DATABASE_URL$|TRADELEDGER_)/i.test(key)) env[key] = value;
  }
  return env;
}

/** npm as the test run was started with (`npm test` sets npm_execpath), else the one on PATH. */
const NPM: readonly string[] = process.env['npm_execpath'] !== undefined ? [process.execPath, process.env['npm_execpath']] : ['npm'];

function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function npm(args: readonly string[], cwd: string): Promise<Run> {
  const [command, ...prefix] = NPM;
  return run(command!, [...prefix, ...args, '--no-audit', '--no-fund'], { cwd, env: userEnv() });
}

function succeeded(result: Run, what: string): Run {
  assert.equal(result.code, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Where one installed copy of tradeledger runs: its `tradeledger` command first on PATH, and a Node.js version. */
interface Installation {
  readonly label: string;
  readonly node: string;
  /** The folder holding the `tradeledger` command npm linked. */
  readonly bin: string;
  /** The installed package folder. */
  readonly packageDir: string;
}

function envFor(installation: Installation): NodeJS.ProcessEnv {
  const env = userEnv();
  env['PATH'] = [installation.bin, dirname(installation.node), env['PATH'] ?? ''].join(delimiter);
  return env;
}

/** Runs the installed `tradeledger` command (its `#!/usr/bin/env node` finds the installation's Node first on PATH). */
function tradeledger(installation: Installation, args: readonly string[], cwd: string): Promise<Run> {
  return run(join(installation.bin, 'tradeledger'), args, { cwd, env: envFor(installation) });
}

// The two installations and the library run side by side: most of their time is process start-up and I/O.
describe('the packed tarball, installed outside the clone', { concurrency: true }, () => {
  let scratch: string;
  let tarball: string;
  let files: string[];
  let project: string;
  let globalPrefix: string;
  const installations: Installation[] = [];
  let publishWarnings: string[] = [];

  before(async () => {
    scratch = realpathSync(mkdtempSync(join(tmpdir(), 'tradeledger-package-')));
    const node22 = nodeBinary(22, NPM, userEnv());
    // One pack (prepack builds dist/), as `npm publish` would make it.
    const packed = succeeded(await npm(['pack', '--json', '--pack-destination', scratch], ROOT), 'npm pack');
    const listing = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[];
    tarball = join(scratch, listing[0]!.filename);
    files = listing[0]!.files.map((file) => file.path);

    project = join(scratch, 'project');
    globalPrefix = join(scratch, 'global');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    // The two installs share npm's cache (filled by the clone's own `npm ci`), so they run side by
    // side, with the publish check (on the dist/ the pack just built: --ignore-scripts builds nothing again).
    const [asDependency, asGlobal, publish] = await Promise.all([
      npm(['install', '--prefer-offline', tarball], project),
      npm(['install', '--global', '--prefix', globalPrefix, '--prefer-offline', tarball], scratch),
      npm(['publish', '--dry-run', '--ignore-scripts'], ROOT),
    ]);
    succeeded(asDependency, 'npm install <tarball>');
    succeeded(asGlobal, 'npm install -g <tarball>');
    publishWarnings = succeeded(publish, 'npm publish --dry-run')
      .stderr.split('\n')
      .filter((line) => /^npm (warn|error)/i.test(line) && !/requires you to be logged in/.test(line));
    installations.push(
      {
        label: 'global install, Node 24',
        node: process.execPath,
        bin: join(globalPrefix, 'bin'),
        packageDir: join(globalPrefix, 'lib', 'node_modules', 'tradeledger'),
      },
      { label: 'dependency, Node 22', node: node22, bin: join(project, 'node_modules', '.bin'), packageDir: join(project, 'node_modules', 'tradeledger') },
    );
  });

  after(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('holds compiled JavaScript, declarations, the packs’ SQL, the examples and the publishing files, no TypeScript source, and publishes cleanly', () => {
    for (const path of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/index.js.map',
      'dist/cli/main.js',
      'dist/packs/bot-ledger/migrations/007_trade_lifecycle_integrity_constraints.sql',
      'dist/packs/risk-state/migrations/002_schema_v2.sql',
      'dist/packs/order-execution/migrations/001_create_order_tables.sql',
      'examples/migrations/001_create_accounts.sql',
      'examples/library/ledger-check.ts',
      'bin/tradeledger.js',
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
    ])
      assert.ok(files.includes(path), `${path} is in the tarball`);
    assert.deepEqual(
      files.filter(
        (path) => path.startsWith('src/') || path.startsWith('test/') || (path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.startsWith('examples/')),
      ),
      [],
      'no TypeScript source: Node strips no types under node_modules',
    );
    assert.deepEqual(publishWarnings, [], 'npm publish --dry-run is clean (being logged out aside)');
    const manifest = JSON.parse(readFileSync(join(installations[0]!.packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest['private'], undefined, 'publishable');
    assert.match(String((manifest['engines'] as { node: string }).node), /22\.\d+.*24/);
  });

  for (const index of [0, 1]) {
    describe(index === 0 ? 'global install, Node 24' : 'as a dependency, Node 22', () => {
      let installation: Installation;
      let cwd: string;
      before(() => {
        installation = installations[index]!;
        cwd = join(scratch, `user-${index}`);
        mkdirSync(cwd);
      });

      it('runs on the Node it was given and prints the version', async () => {
        const version = succeeded(await tradeledger(installation, ['--version'], cwd), '--version');
        assert.equal(version.stdout.trim(), PACKAGE.version);
        const node = succeeded(await run('node', ['--version'], { cwd, env: envFor(installation) }), 'node --version');
        assert.match(node.stdout, index === 0 ? /^v2[4-9]\./ : /^v22\./);
      });

      it('runs the demo, outside any clone', async () => {
        const demo = await tradeledger(installation, ['demo'], cwd);
        assert.equal(demo.code, 0, demo.stderr);
        assert.match(demo.stdout, /the report is clean of blocking anomalies/);
        assert.equal(demo.stderr, '', 'nothing on stderr (no experimental-feature warnings either)');
        assert.ok(existsSync(join(cwd, '.tradeledger', 'demo')), 'the demo database is in the working directory');
        // The lifecycle and recon commands on what the demo left behind.
        const demoDb = `pglite:${join(cwd, '.tradeledger', 'demo')}`;
        const report = succeeded(await tradeledger(installation, ['lifecycle', 'report', '--db', demoDb, '--json'], cwd), 'lifecycle report');
        assert.equal((JSON.parse(report.stdout) as { blocking: boolean }).blocking, false);
        const audit = succeeded(await tradeledger(installation, ['recon', 'audit', '--db', demoDb, '--json'], cwd), 'recon audit');
        assert.ok((JSON.parse(audit.stdout) as unknown[]).length > 0, 'the demo audited its reconciliation');
      });

      it('migrates a SQLite file with the built-in pack: backup, status, verify, down', async () => {
        const db = `sqlite:${join(cwd, 'risk.db')}`;
        succeeded(await tradeledger(installation, ['migrate', 'up', '--pack', 'risk-state', '--db', db, '--to', '1'], cwd), 'migrate up --to 1');
        const up = JSON.parse(
          succeeded(await tradeledger(installation, ['migrate', 'up', '--pack', 'risk-state', '--db', db, '--json'], cwd), 'migrate up').stdout,
        ) as {
          from: number;
          to: number;
          backup: string | null;
        };
        assert.deepEqual([up.from, up.to], [1, 2]);
        assert.ok(up.backup !== null && existsSync(up.backup), 'an online backup (node:sqlite backup()) was taken first');
        const status = succeeded(await tradeledger(installation, ['migrate', 'status', '--pack', 'risk-state', '--db', db, '--json'], cwd), 'migrate status');
        assert.equal((JSON.parse(status.stdout) as { current: number }).current, 2);
        succeeded(await tradeledger(installation, ['migrate', 'verify', '--pack', 'risk-state', '--db', db], cwd), 'migrate verify');
        const history = succeeded(await tradeledger(installation, ['migrate', 'history', '--db', db, '--json'], cwd), 'migrate history');
        assert.equal((JSON.parse(history.stdout) as unknown[]).length, 2);
        const down = JSON.parse(
          succeeded(await tradeledger(installation, ['migrate', 'down', '--pack', 'risk-state', '--db', db, '--json'], cwd), 'migrate down').stdout,
        ) as {
          to: number;
        };
        assert.equal(down.to, 1);
      });

      it("applies and lints the package's example migrations folder", async () => {
        const examples = join(installation.packageDir, 'examples', 'migrations');
        succeeded(await tradeledger(installation, ['migrate', 'lint', '--dir', examples], cwd), 'migrate lint (squawk, an optional dependency)');
        const up = succeeded(await tradeledger(installation, ['migrate', 'up', '--dir', examples, '--json'], cwd), 'migrate up --dir');
        assert.equal((JSON.parse(up.stdout) as { to: number }).to, 3);
        assert.ok(existsSync(join(cwd, '.tradeledger', 'pglite')), 'the default embedded database');
      });

      it('serves: the daemon starts on the migrated file, answers /healthz and stops on SIGTERM', async () => {
        const db = `sqlite:${join(cwd, 'served.db')}`;
        succeeded(await tradeledger(installation, ['migrate', 'up', '--pack', 'risk-state', '--db', db], cwd), 'migrate up');
        let daemon: WatchedChild | undefined;
        try {
          daemon = watch(
            spawn(join(installation.bin, 'tradeledger'), ['serve', '--db', db, '--port', '0'], {
              cwd,
              env: envFor(installation),
              stdio: ['ignore', 'pipe', 'pipe'],
            }),
          );
          const watched = daemon;
          const address = await waitFor('the daemon to listen', () => /"address":"(http:[^"]+)"/.exec(watched.stdout())?.[1]);
          const health = await fetch(`${address}/healthz`);
          assert.equal(health.status, 200);
          assert.equal(((await health.json()) as { status: string }).status, 'ok');
          daemon.child.kill('SIGTERM');
          assert.equal((await daemon.exited).code, 0, daemon.stderr());
        } finally {
          await reap(daemon);
        }
      });

      it('answers bad input under --json with one JSON document on stderr, exit 2', async () => {
        const bad = await tradeledger(installation, ['migrate', 'up', '--db', 'bogus:x', '--pack', 'risk-state', '--json'], cwd);
        assert.equal(bad.code, 2);
        assert.equal(bad.stdout, '');
        assert.equal((JSON.parse(bad.stderr) as { error: { code: string } }).error.code, 'USAGE', bad.stderr);
      });
    });
  }

  // Its two tests run in order: the second runs what the first compiled.
  describe('as a library', { concurrency: false }, () => {
    let consumer: string;
    before(() => {
      consumer = join(project, 'ledger-check.ts');
      // The example as shipped in the package, in the user's project.
      copyFileSync(join(project, 'node_modules', 'tradeledger', 'examples', 'library', 'ledger-check.ts'), consumer);
      // Proves the declarations are the package's own and resolve: each marked line is an error only if the types are real.
      writeFileSync(
        join(project, 'types-are-real.ts'),
        [
          "import { migrateUp, type LifecycleReport, type UpResult } from 'tradeledger';",
          '// @ts-expect-error migrateUp needs a database, a source and settings',
          'void migrateUp();',
          '// @ts-expect-error an UpResult has no field named nonsense',
          'export const nonsense = (result: UpResult) => result.nonsense;',
          "// @ts-expect-error the report's anomalies are not a number",
          'export const count: number = ({} as LifecycleReport).anomalies;',
          "// @ts-expect-error a step's version is a number (StepResult, reached through up.d.ts's own imports)",
          'export const version: string = ({} as UpResult).applied[0]!.version;',
          '',
        ].join('\n'),
      );
      // The README's example, as printed under "Use as a library".
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const snippet = /## Use as a library\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
      assert.ok(snippet !== undefined, 'README.md has a TypeScript example under "Use as a library"');
      writeFileSync(join(project, 'readme-example.ts'), `${snippet}export {};\n`);
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            target: 'es2023',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            // @types/node from the clone: the user's project would have its own.
            typeRoots: [join(ROOT, 'node_modules', '@types')],
            types: ['node'],
            // skipLibCheck: false also passes, but checks every dependency's declarations (16 s against 3 s);
            // types-are-real.ts fails instead if any of ours stopped resolving and turned into any.
            skipLibCheck: true,
            outDir: 'out',
          },
          files: ['ledger-check.ts', 'types-are-real.ts', 'readme-example.ts'],
        }),
      );
    });

    it('type-checks TypeScript consumers (the example, the README’s) under --strict against the installed declarations', async () => {
      succeeded(await run(process.execPath, [TSC, '-p', project, '--strict'], { cwd: project, env: userEnv() }), 'tsc --strict');
    });

    it('runs the example on Node 24 and Node 22: migrate, sample, report, recon dry run, down, daemon', async () => {
      const runs = await Promise.all(
        installations.map((installation) => run(installation.node, [join(project, 'out', 'ledger-check.js')], { cwd: project, env: userEnv() })),
      );
      for (const [i, result] of runs.entries()) {
        const label = installations[i]!.label;
        assert.equal(result.code, 0, `${label}:\n${result.stdout}\n${result.stderr}`);
        assert.equal(result.stderr, '', `${label}: nothing on stderr`);
        assert.match(result.stdout, /^bot-ledger: version 0 → 6 \(6 applied\)$/m, label);
        assert.match(result.stdout, /^guardrails: version 6 → 7$/m, label);
        assert.match(result.stdout, /^lifecycle report: [1-9]\d* anomalies/m, label);
        assert.match(result.stdout, /^recon dry run: [1-9]\d* open lifecycles/m, label);
        assert.match(result.stdout, /^down: version 7 → 6$/m, label);
        assert.match(result.stdout, /^daemon: \/healthz 200 ok, schema version 7$/m, label);
      }
    });
  });
});
