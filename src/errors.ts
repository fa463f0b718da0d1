/** Exit code a CLI run ends with: 1 a check failed, 2 bad usage or input, 3 refused by a safety gate. */
export type ExitCode = 1 | 2 | 3;

/** Base of every error tradeledger raises on purpose; `code` is stable for scripts, `exitCode` for the CLI. */
export class TradeledgerError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(message: string, code: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad usage or input: an unknown flag, a malformed URL or file, a bad configuration value (exit 2). */
export class UsageError extends TradeledgerError {
  constructor(message: string, code = 'USAGE', options?: { cause?: unknown }) {
    super(message, code, 2, options);
  }
}

/** A safety gate refused to go on: a held lock, drift, an unsafe migration, a no-go (exit 3). */
export class SafetyError extends TradeledgerError {
  readonly details: readonly string[];
  constructor(message: string, code = 'REFUSED', details: readonly string[] = []) {
    super(message, code, 3);
    this.details = details;
  }
}

/** A check or operation ran and failed: verification, a failed migration, anomalies found (exit 1). */
export class CheckFailedError extends TradeledgerError {
  readonly details: readonly string[];
  constructor(message: string, code = 'CHECK_FAILED', details: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, code, 1, options);
    this.details = details;
  }
}

/** True when `error` is one of ours rather than a driver's or Node's. */
export function isTradeledgerError(error: unknown): error is TradeledgerError {
  return error instanceof TradeledgerError;
}

/** The SQLSTATE (PostgreSQL) or SQLite error code a driver error carries, when it carries one. */
export function driverErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as { code?: unknown; errcode?: unknown; errstr?: unknown };
  if (typeof record.errcode === 'number') return `SQLITE_${record.errcode}`;
  return typeof record.code === 'string' ? record.code : undefined;
}

// Codes that say the database cannot be reached, rather than that a statement was wrong: network
// errors, SQLSTATE class 08 (connection exception), 57P01-57P03 (the server shut the session down
// or is starting), 3D000 (the database is gone) and 53300 (no connection slot left).
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '3D000',
  '53300',
]);

/** True when a driver error says the database could not be reached (as opposed to refusing a statement). */
export function isDatabaseUnreachable(error: unknown): boolean {
  const code = driverErrorCode(error);
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  // node-postgres reports a connection lost mid-query without a code.
  const message = error instanceof Error ? error.message : '';
  return /^Connection terminated|is not queryable/.test(message);
}

/** The message of anything thrown, on one line. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
