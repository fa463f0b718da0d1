import type { Command, CommanderError } from 'commander';
import { driverErrorCode, errorMessage, isTradeledgerError } from '../errors.ts';
import { escapeControl } from './format.ts';
import type { CliIo } from './io.ts';

/** A failed run as the CLI reports it: a stable code, one line of message, optional detail lines. */
export interface ReportedError {
  readonly code: string;
  readonly message: string;
  readonly details: readonly string[];
  /** A database driver's error: its code also leads the text line (`tradeledger: [42P01] …`). */
  readonly driver?: boolean;
}

/**
 * True when the command line asks for JSON (`--json` before any `--`): its errors are then one JSON
 * document on stderr. Read from the words, not from parsed options, because a command line that
 * does not parse must be answered in JSON too.
 */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** Under --json, commander's own error text and its help hint would be the only non-JSON on stderr: silenced, reported by `reportError`. */
export function silenceCommanderErrors(command: Command): void {
  command.configureOutput({ outputError: () => {} }).showHelpAfterError(false);
  command.commands.forEach(silenceCommanderErrors);
}

/** `commander.unknownOption` → `UNKNOWN_OPTION`, in the style of our own codes. */
function commanderCode(error: CommanderError): string {
  return error.code
    .replace(/^commander\./, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase();
}

/** What to report for a usage error commander found (its message carries an `error: ` prefix). */
export function fromCommander(error: CommanderError): ReportedError {
  return { code: commanderCode(error), message: errorMessage(error).replace(/^error: /, ''), details: [] };
}

/** What to report for anything a command threw: ours carry their code; a driver's its SQLSTATE or SQLite code. */
export function fromThrown(error: unknown): ReportedError {
  if (isTradeledgerError(error)) {
    const details = 'details' in error ? (error as { details: readonly string[] }).details : [];
    return { code: error.code, message: error.message, details };
  }
  const code = driverErrorCode(error);
  return code === undefined
    ? { code: 'UNEXPECTED', message: errorMessage(error), details: [] }
    : { code, message: errorMessage(error), details: [], driver: true };
}

/**
 * Writes a failed run's error: `{"error": {"code", "message"[, "details"]}}` on one line under
 * --json, else `tradeledger: message` and the details indented, escaped so they stay lines and
 * cannot drive the terminal (a message may quote what was given: a flag value, a file's content).
 */
export function reportError(io: CliIo, json: boolean, reported: ReportedError): void {
  if (json) {
    io.err(
      JSON.stringify({ error: { code: reported.code, message: reported.message, ...(reported.details.length > 0 ? { details: reported.details } : {}) } }),
    );
    return;
  }
  io.err(`tradeledger: ${reported.driver === true ? `[${reported.code}] ` : ''}${escapeControl(reported.message)}`);
  for (const line of reported.details) io.err(`  ${escapeControl(line)}`);
}
