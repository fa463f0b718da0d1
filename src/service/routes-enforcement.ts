import type { FastifyInstance } from 'fastify';
import { timestamp } from '../domain/fields.ts';
import type { AppContext } from './app.ts';
import { requireAdminToken } from './auth.ts';
import { ENFORCEMENT_ACTIONS, recordEnforcement, type EnforcementAction } from './enforcement.ts';
import { ADMIN_SECURITY } from './openapi.ts';
import { ENFORCEMENT_LOGGED_BODY, ERROR_BODY, GUARDED_ERRORS } from './response-schemas.ts';
import { REASON } from './schemas.ts';

interface EnforcementBody {
  readonly account_id: number;
  readonly rule_id: string;
  readonly action: EnforcementAction;
  readonly reason: string;
  readonly locked_until?: string | null;
}

const ENFORCEMENT_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['account_id', 'rule_id', 'action', 'reason'],
  properties: {
    account_id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    rule_id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'must be a rule id of 1 to 64 letters, digits, dots, dashes or underscores' },
    action: { type: 'string', enum: ENFORCEMENT_ACTIONS },
    reason: REASON,
    locked_until: { type: ['string', 'null'], maxLength: 40 },
  },
} as const;

/**
 * POST /internal/enforcement (risk-state, admin token): carries out set_lockout or clear_lockout on
 * the state file and logs it to enforcement_log with execution_time_ms; answers 201 with the row.
 */
export function enforcementRoutes(app: FastifyInstance, context: AppContext): void {
  if (context.adminToken === null) return;
  app.post<{ Body: EnforcementBody }>(
    '/internal/enforcement',
    {
      onRequest: requireAdminToken(context.adminToken),
      schema: {
        summary: 'Carry out set_lockout or clear_lockout and log it with its execution time (admin token)',
        tags: ['enforcement'],
        security: ADMIN_SECURITY,
        body: ENFORCEMENT_BODY,
        response: { 201: ENFORCEMENT_LOGGED_BODY, 409: ERROR_BODY, 413: ERROR_BODY, 415: ERROR_BODY, ...GUARDED_ERRORS },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const lockedUntil = body.locked_until === undefined || body.locked_until === null ? null : timestamp('enforcement', 'locked_until', body.locked_until);
      if (lockedUntil !== null && body.action !== 'set_lockout') {
        return reply.code(400).send({ error: 'bad_request', message: `locked_until goes with set_lockout, not ${body.action}: leave it out` });
      }
      const logged = await recordEnforcement(context.db, {
        accountId: body.account_id,
        ruleId: body.rule_id,
        action: body.action,
        reason: body.reason,
        lockedUntil,
      });
      context.metrics.enforcement(logged.action, logged.success);
      context.log.info(
        { enforcement: logged },
        `Enforcement ${logged.action} on account ${logged.accountId} (${logged.ruleId}): ${logged.success ? 'done' : 'failed'} in ${logged.executionTimeMs} ms`,
      );
      return reply.code(201).send(logged);
    },
  );
}
