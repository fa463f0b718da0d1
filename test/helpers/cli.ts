import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { childEnv } from './databases.ts';

/** The CLI entry a user runs. */
export const BIN = fileURLToPath(new URL('../../bin/tradeledger.js', import.meta.url));

/** What a command printed and how it ended. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command line in this process (fast) through the same entry point the binary uses. */
export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => (stdout += text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => (stderr += text.endsWith('\n') ? text : `${text}\n`),
    exitCode: 0,
    interactive: false,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** Starts the real binary as a child process. */
export function spawnCli(argv: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...argv], { cwd: options.cwd ?? process.cwd(), env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the real binary to completion. */
export function runBinary(argv: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const child = spawnCli(argv, options);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr }));
  });
}
