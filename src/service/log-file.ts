import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError, errorMessage } from '../errors.ts';

/** A daemon log file (`serve --log-file logs/daemon.log`): appended to, private (0600), its folder made if missing. */
export interface LogFile {
  readonly path: string;
  write(line: string): void;
  close(): void;
}

/** Opens `path` for appending; a path that cannot be written is a UsageError naming it. */
export function openLogFile(path: string): LogFile {
  const absolute = resolve(path);
  let fd: number;
  try {
    mkdirSync(dirname(absolute), { recursive: true, mode: 0o700 });
    fd = openSync(absolute, 'a', 0o600);
  } catch (error) {
    throw new UsageError(`cannot write the log file ${path} (${errorMessage(error)}): pass a --log-file in a folder you can write`, 'LOG_FILE', {
      cause: error,
    });
  }
  let open = true;
  return {
    path: absolute,
    write(line) {
      // Written synchronously, as stdout is: the last lines before an exit are the ones an operator needs.
      if (open) writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
