import { pino, type DestinationStream, type Logger } from 'pino';
import { UsageError } from '../errors.ts';

/** The daemon's logger: pino JSON lines. */
export type DaemonLogger = Logger;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A pino logger writing JSON lines to `destination` (default: stdout, written synchronously so
 * that the last lines before an exit are never lost). Times are ISO-8601 for people reading them.
 */
export function daemonLogger(destination?: DestinationStream, level = process.env['TRADELEDGER_LOG_LEVEL'] ?? 'info'): DaemonLogger {
  if (!LEVELS.includes(level)) throw new UsageError(`TRADELEDGER_LOG_LEVEL '${level}' is not a log level: use one of ${LEVELS.join(', ')}`, 'BAD_ENV');
  return pino({ name: 'tradeledger', level, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ dest: 1, sync: true }));
}
