import type { FastifyInstance } from 'fastify';
import type { AppContext } from './app.ts';
import { databaseHealth } from './health.ts';
import { HEALTH_BODY } from './response-schemas.ts';

const HEALTH_SCHEMA = {
  summary: 'Whether the database answers, its schema version and the last reconciliation cycle',
  tags: ['health'],
  security: [],
  response: { 200: HEALTH_BODY, 503: HEALTH_BODY },
};

const METRICS_SCHEMA = {
  summary: 'Prometheus metrics: reconciliation cycles and decisions, anomalies, schema version, process figures',
  tags: ['health'],
  security: [],
  produces: ['text/plain'],
  response: { 200: { type: 'string', description: 'the Prometheus text exposition format' } },
};

/** GET /healthz (503 when the database does not answer, or a request met a schema that lacks what it needs) and GET /metrics (Prometheus text). */
export function healthRoutes(app: FastifyInstance, context: AppContext): void {
  const startedAt = Date.now();
  app.get('/healthz', { schema: HEALTH_SCHEMA }, async (_request, reply) => {
    const database = await databaseHealth(context.db, context.historyTable);
    const schemaFault = context.schemaFault?.reason ?? null;
    const healthy = database.reachable && schemaFault === null;
    const body = {
      status: !database.reachable ? 'unavailable' : schemaFault !== null ? 'schema_mismatch' : 'ok',
      ...(schemaFault === null ? {} : { reason: schemaFault }),
      pack: context.pack,
      database: {
        url: context.db.url,
        reachable: database.reachable,
        schemaVersion: database.schemaVersion,
        expectedVersion: context.expectedVersion,
        error: database.error,
      },
      lastCycle: context.lastCycle(),
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
    return reply.code(healthy ? 200 : 503).send(body);
  });
  app.get('/metrics', { schema: METRICS_SCHEMA }, async (_request, reply) => {
    return reply.header('content-type', context.metrics.contentType).send(await context.metrics.text());
  });
}
