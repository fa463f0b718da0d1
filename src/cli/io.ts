/** Where a CLI run writes, and the exit code it settles on; main sets the process's from it. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exitCode: number;
  /** Whether a person can answer a question on this terminal. */
  readonly interactive: boolean;
}

/**
 * A writer to one of the process's streams that stops writing, quietly, once its reader has gone
 * (`tradeledger … | head -1`: EPIPE). The command itself runs to its end and keeps its exit code:
 * a closed pipe must neither crash the process with a stack trace nor stop a write halfway.
 */
function streamWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // EPIPE: the reader closed its end. Any other error on an output stream also means nothing more can be shown.
    closed = true;
    if (error.code !== 'EPIPE' && stream !== process.stderr && !process.stderr.destroyed) {
      process.stderr.write(`tradeledger: output stopped: ${error.message}\n`);
    }
  });
  return (text) => {
    if (closed || stream.destroyed) return;
    stream.write(text.endsWith('\n') ? text : `${text}\n`);
  };
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    out: streamWriter(process.stdout),
    err: streamWriter(process.stderr),
    exitCode: 0,
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
  };
}
