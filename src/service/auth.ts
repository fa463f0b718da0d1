import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { boundedPath } from './request-path.ts';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * True when `given` equals `expected`, in time that does not depend on where they differ or on
 * their lengths (both are hashed to 32 bytes first), so the token cannot be guessed byte by byte.
 */
export function tokensMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match === null ? null : match[1]!;
}

/**
 * An onRequest hook that answers 401 unless the request carries the admin token. It runs before
 * the body is parsed or validated, so a caller without the token learns nothing about the route.
 */
export function requireAdminToken(token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const given = bearerToken(request.headers.authorization);
    if (given !== null && tokensMatch(given, token)) return;
    request.log.warn(
      // The path alone, bounded and printable: a caller without the token must not fill the log or write into it.
      { route: boundedPath(request.url), remote: request.ip },
      given === null ? 'Admin request without a bearer token refused' : 'Admin request with a wrong token refused',
    );
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="tradeledger"')
      .send({ error: 'unauthorized', message: 'this route needs Authorization: Bearer <TRADELEDGER_ADMIN_TOKEN>' });
  };
}

/** Who made an admin change: the X-Actor header (a name the caller gives) or "admin", at the caller's address. */
export function actorOf(request: FastifyRequest): string {
  const header = request.headers['x-actor'];
  const name = typeof header === 'string' && header !== '' ? header : 'admin';
  return `${name}@${request.ip}`;
}

/** The routes that answer without a token wherever the daemon listens: probes and scrapers hold no secret. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/metrics']);

/**
 * An onRequest hook for every route (registered on the app): /healthz and /metrics pass; anything
 * else, an unknown path included, needs the read or the admin token. The admin routes then check
 * for the admin token themselves, so a read token never opens them.
 */
export function requireReadToken(tokens: readonly string[]): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && OPEN_ROUTES.has(route)) return;
    const given = bearerToken(request.headers.authorization);
    // Every token is compared, so the time taken does not say which one nearly matched.
    const matches = given === null ? [] : tokens.filter((token) => tokensMatch(given, token));
    if (matches.length > 0) return;
    request.log.warn(
      { route: boundedPath(request.url), remote: request.ip },
      given === null ? 'Request without a bearer token refused' : 'Request with a wrong token refused',
    );
    const fix =
      tokens.length === 0
        ? 'the daemon has neither TRADELEDGER_READ_TOKEN nor TRADELEDGER_ADMIN_TOKEN set, so only /healthz and /metrics answer'
        : 'this route needs Authorization: Bearer <TRADELEDGER_READ_TOKEN or TRADELEDGER_ADMIN_TOKEN>';
    await reply.code(401).header('www-authenticate', 'Bearer realm="tradeledger"').send({ error: 'unauthorized', message: fix });
  };
}
