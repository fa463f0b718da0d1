import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Database } from '../db/port.ts';
import { errorMessage, isDatabaseUnreachable, isTradeledgerError } from '../errors.ts';
import type { CycleRecord } from './cycle-loop.ts';
import { requireReadToken } from './auth.ts';
import { databaseHealth } from './health.ts';
import type { DaemonLogger } from './logger.ts';
import type { DaemonMetrics } from './metrics.ts';
import { enforcementRoutes } from './routes-enforcement.ts';
import { healthRoutes } from './routes-health.ts';
import { reconRoutes } from './routes-recon.ts';
import { boundedPath } from './request-path.ts';
import { isSchemaError, type SchemaFault } from './schema-fault.ts';
import { formatSchemaErrors, refuseNulBytes } from './schemas.ts';
import { tradingRoutes } from './routes-trading.ts';
import { openApiRoute, registerOpenApi } from './openapi.ts';

/** What the HTTP routes read and write. */
export interface AppContext {
  readonly db: Database;
  readonly log: DaemonLogger;
  readonly metrics: DaemonMetrics;
  readonly pack: string;
  readonly expectedVersion: number;
  /** database.migrations_table, the history /healthz reads the version from; default schema_version. */
  readonly historyTable?: string;
  /** Null: the admin routes are not registered. */
  readonly adminToken: string | null;
  /** Opens the read routes; null when unset. */
  readonly readToken?: string | null;
  /** True: every route but /healthz and /metrics needs the read or the admin token. */
  readonly readsNeedToken?: boolean;
  readonly lastCycle: () => CycleRecord | null;
  /** A schema error a request met (a column or table missing): /healthz then answers 503 with it. */
  readonly schemaFault?: SchemaFault;
}

/** The routes a daemon serves, decided by its pack. */
export interface AppFeatures {
  /** bot-ledger: trading status, pause and resume, and the reconciliation audit. */
  readonly trading: boolean;
  /** risk-state: enforcement actions logged with their execution time. */
  readonly enforcement: boolean;
}

/** The routes each pack brings besides /healthz and /metrics. */
export function featuresOf(pack: string): AppFeatures {
  return { trading: pack === 'bot-ledger', enforcement: pack === 'risk-state' };
}

const ADMIN_PATHS = /^\/internal\/(trading\/(pause|resume)|enforcement)\/?$/;

function requestPath(request: FastifyRequest): string {
  // Echo at most a short, printable path: the message must not carry whatever a caller sent.
  return boundedPath(request.url);
}

// A route as the schema fault keys it: the method and the registered pattern, not the caller's URL.
function routeKey(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? ''}`;
}

function notFound(context: AppContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = requestPath(request);
    const hint = context.adminToken === null && ADMIN_PATHS.test(path) ? ': the admin routes are off because TRADELEDGER_ADMIN_TOKEN is not set' : '';
    await reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${path}${hint}` });
  };
}

function errorHandler(context: AppContext) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const record = (typeof error === 'object' && error !== null ? error : {}) as { validation?: unknown; statusCode?: unknown };
    if (record.validation !== undefined) {
      await reply.code(400).send({ error: 'bad_request', message: errorMessage(error) });
      return;
    }
    // Our own bad-input errors (a domain ValidationError, a UsageError) are the caller's to fix.
    if (isTradeledgerError(error) && error.exitCode === 2) {
      await reply.code(400).send({ error: 'bad_request', message: error.message });
      return;
    }
    // A safety gate's refusal (exit 3 on the command line) changed nothing: a conflict with the current state.
    if (isTradeledgerError(error) && error.exitCode === 3) {
      await reply.code(409).send({ error: 'refused', message: error.message });
      return;
    }
    const status = typeof record.statusCode === 'number' ? record.statusCode : 500;
    if (status >= 400 && status < 500) {
      await reply
        .code(status)
        .send({ error: status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request', message: errorMessage(error) });
      return;
    }
    // The database did not answer (stopped, dropped, unreachable): the request was fine and may be
    // retried, so 503 as /healthz says, not a 500. An error of an unknown kind is checked with a probe.
    if (isDatabaseUnreachable(error) || !(await databaseHealth(context.db, context.historyTable)).reachable) {
      const cause = errorMessage(error).slice(0, 200);
      context.log.warn({ err: error, route: requestPath(request), method: request.method }, `Request failed, the database is unreachable: ${cause}`);
      await reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'unavailable', message: `the database is unreachable (${cause}): retry once it is back; GET /healthz shows its state` });
      return;
    }
    // The schema lacks what the route needs (a file migrated by hand, an index or column dropped):
    // no retry helps, and /healthz must stop saying ok.
    if (context.schemaFault !== undefined && isSchemaError(error)) {
      const reason = context.schemaFault.record(error, routeKey(request));
      context.log.error({ err: error, route: requestPath(request), method: request.method }, `Request failed: ${reason}`);
      await reply.code(503).send({ error: 'schema_mismatch', message: `${reason}; GET /healthz shows it, 'tradeledger serve --check' says what to run` });
      return;
    }
    context.log.error({ err: error, route: requestPath(request), method: request.method }, `Request failed: ${errorMessage(error)}`);
    await reply.code(500).send({ error: 'internal', message: 'internal error: see the daemon log' });
  };
}

/**
 * The daemon's HTTP application: /healthz and /metrics always; the pack's own routes; the admin
 * routes only with a token. Bodies, query strings and headers are validated by JSON schema
 * (unknown keys refused, no type coercion); bad input is a 400 with a one-line message, an
 * unknown route a 404, and a failure a 500 whose details stay in the log.
 */
export function buildApp(context: AppContext): FastifyInstance {
  const app = fastify({
    // Typed as fastify's logger interface so that route modules take a plain FastifyInstance.
    loggerInstance: context.log as FastifyBaseLogger,
    // The daemon logs what changes; a line per /metrics scrape would drown it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, verbose: true } },
    schemaErrorFormatter: formatSchemaErrors,
    forceCloseConnections: 'idle',
  });
  app.setNotFoundHandler(notFound(context));
  app.setErrorHandler(errorHandler(context));
  app.addHook('preValidation', refuseNulBytes);
  const { schemaFault } = context;
  if (schemaFault !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode >= 200 && reply.statusCode < 300) schemaFault.succeeded(routeKey(request));
    });
  }
  if (context.readsNeedToken === true) {
    app.addHook('onRequest', requireReadToken([context.readToken, context.adminToken].filter((token) => token !== null && token !== undefined)));
  }
  registerOpenApi(app, context.pack);
  const features = featuresOf(context.pack);
  // The routes load after @fastify/swagger, so the document holds every one of them.
  void app.register(async (scope) => {
    healthRoutes(scope, context);
    if (features.trading) {
      tradingRoutes(scope, context);
      reconRoutes(scope, context);
    }
    if (features.enforcement) enforcementRoutes(scope, context);
    openApiRoute(scope, app);
  });
  return app;
}
