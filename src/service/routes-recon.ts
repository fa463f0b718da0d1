import type { FastifyInstance } from 'fastify';
import { listAudit } from '../recon/report.ts';
import type { AppContext } from './app.ts';
import { listBatches } from './recon-batches.ts';
import { READ_SECURITY } from './openapi.ts';
import { BATCH_BODY, BATCHES_BODY, ERROR_BODY, GUARDED_ERRORS } from './response-schemas.ts';
import { PROFILE } from './schemas.ts';

interface BatchesQuery {
  readonly profile?: string;
  readonly limit?: string;
}

// A batch holds one row per decision; far more than any cycle writes, so one answer holds it whole.
const BATCH_ROWS_LIMIT = 10_000;

const BATCHES_QUERY = {
  type: 'object',
  additionalProperties: false,
  // Query values arrive as text and are not coerced, so a limit is written as digits: 1 to 500.
  properties: {
    profile: PROFILE,
    limit: { type: 'string', pattern: '^(?:[1-9]\\d{0,1}|[1-4]\\d{2}|500)$', description: 'must be a whole number from 1 to 500' },
  },
} as const;

const BATCH_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'must be a batch id such as RBF-20260201_100000-a1b2c3' } },
} as const;

/** GET /recon/batches[?profile=ID&limit=N] (newest first, default 50) and GET /recon/batches/:id (its audit rows). */
export function reconRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Querystring: BatchesQuery }>(
    '/recon/batches',
    {
      schema: {
        summary: 'Reconciliation batches, newest first (default 50)',
        tags: ['recon'],
        security: READ_SECURITY,
        querystring: BATCHES_QUERY,
        response: { 200: BATCHES_BODY, ...GUARDED_ERRORS },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
      return { batches: await listBatches(context.db, { profileId: request.query.profile, limit }) };
    },
  );
  app.get<{ Params: { id: string } }>(
    '/recon/batches/:id',
    {
      schema: {
        summary: 'One reconciliation batch: its audit rows and their counts by decision',
        tags: ['recon'],
        security: READ_SECURITY,
        params: BATCH_PARAMS,
        response: { 200: BATCH_BODY, 404: ERROR_BODY, ...GUARDED_ERRORS },
      },
    },
    async (request, reply) => {
      const rows = await listAudit(context.db, { batchId: request.params.id, limit: BATCH_ROWS_LIMIT });
      if (rows.length === 0)
        return reply.code(404).send({ error: 'not_found', message: `no reconciliation batch ${request.params.id}: GET /recon/batches lists them` });
      const counts: Record<string, number> = {};
      for (const row of rows) counts[row.decision] = (counts[row.decision] ?? 0) + 1;
      return { batchId: request.params.id, counts, rows };
    },
  );
}
