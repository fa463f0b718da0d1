import { fastifySwagger, type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { GUARDED_ERRORS } from './response-schemas.ts';

/** The version of the HTTP interface the document describes; raised when a route changes incompatibly. */
export const API_VERSION = '1.0.0';

/** The security requirement of a read route: a token beyond loopback (or when a read token is set), none otherwise. */
export const READ_SECURITY = [{ readToken: [] }, { adminToken: [] }, {}];

/** The security requirement of a write route: the admin token. */
export const ADMIN_SECURITY = [{ adminToken: [] }];

/** The OpenAPI 3 document's frame; the paths come from the route schemas. */
function options(pack: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tradeledger serve',
        version: API_VERSION,
        description: [
          `The routes of a tradeledger daemon serving the ${pack} pack.`,
          'GET /healthz and GET /metrics answer without a token. When the daemon listens beyond loopback, or TRADELEDGER_READ_TOKEN is set,',
          'every other route needs Authorization: Bearer with the read token or the admin token; the write routes need the admin token',
          '(TRADELEDGER_ADMIN_TOKEN) wherever the daemon listens, and are not registered without it.',
        ].join(' '),
      },
      components: {
        securitySchemes: {
          readToken: { type: 'http', scheme: 'bearer', description: 'TRADELEDGER_READ_TOKEN: the read routes, no write route' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'TRADELEDGER_ADMIN_TOKEN: every route' },
        },
      },
      tags: [
        { name: 'health', description: 'probes and metrics, open to all' },
        { name: 'trading', description: 'bot-ledger: trading status, pause and resume' },
        { name: 'recon', description: 'bot-ledger: the reconciliation audit' },
        { name: 'enforcement', description: 'risk-state: enforcement actions' },
        { name: 'meta', description: 'this document' },
      ],
    },
  };
}

/** Registers @fastify/swagger on `app`; call before the routes are registered, so that it sees them all. */
export function registerOpenApi(app: FastifyInstance, pack: string): void {
  void app.register(fastifySwagger, options(pack));
}

/** GET /openapi.json: the OpenAPI 3 document of the routes this daemon serves. */
export function openApiRoute(app: FastifyInstance, root: FastifyInstance): void {
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI 3 document',
        tags: ['meta'],
        security: READ_SECURITY,
        response: { 200: { type: 'object', additionalProperties: true, description: 'an OpenAPI 3.0 document' }, ...GUARDED_ERRORS },
      },
    },
    async () => root.swagger(),
  );
}
