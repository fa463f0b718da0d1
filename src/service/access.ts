import type { DaemonLogger } from './logger.ts';
import { isIP } from 'node:net';

/**
 * True when `host` is a loopback address (127.0.0.0/8, ::1, an IPv4-mapped 127.x) or `localhost`:
 * only this machine can connect. Any other name or address, 0.0.0.0 and :: included, counts as
 * beyond loopback, since a name may resolve anywhere.
 */
export function isLoopback(host: string): boolean {
  const address = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (address === 'localhost') return true;
  const mapped = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(mapped) === 4) return mapped.startsWith('127.');
  return isIP(address) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(address);
}

/** What the access log line needs to know (a subset of ServeSettings, which imports this file). */
interface Access {
  readonly host: string;
  readonly adminToken: string | null;
  readonly readToken: string | null;
  readonly readsNeedToken: boolean;
}

/** Logs at start-up who may read: a warning when the daemon listens beyond loopback without any token. */
export function warnAboutAccess(access: Access, log: DaemonLogger): void {
  const fields = { host: access.host, readsNeedToken: access.readsNeedToken, readToken: access.readToken !== null, adminToken: access.adminToken !== null };
  if (!access.readsNeedToken) {
    log.info(fields, `The read routes answer without a token: the daemon listens on loopback (${access.host}) and TRADELEDGER_READ_TOKEN is not set`);
  } else if (access.readToken === null && access.adminToken === null) {
    log.warn(
      fields,
      `The daemon listens beyond loopback (${access.host}) with neither TRADELEDGER_READ_TOKEN nor TRADELEDGER_ADMIN_TOKEN set: only /healthz and /metrics answer, every other route is 401`,
    );
  } else {
    log.info(fields, 'Every route but /healthz and /metrics needs a bearer token (TRADELEDGER_READ_TOKEN or TRADELEDGER_ADMIN_TOKEN)');
  }
}
