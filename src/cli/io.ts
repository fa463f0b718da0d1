/** Where a CLI run writes, and the exit code it settles on; main sets the process's from it. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exitCode: number;
  /** Whether a person can answer a question on this terminal. */
  readonly interactive: boolean;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    exitCode: 0,
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
  };
}
