import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from './app.ts';
import { actorOf, requireAdminToken } from './auth.ts';
import { ADMIN_SECURITY, READ_SECURITY } from './openapi.ts';
import { ERROR_BODY, GUARDED_ERRORS, TRADING_CHANGE_BODY, TRADING_STATUS_BODY } from './response-schemas.ts';
import { ACTOR_HEADERS, PROFILE, REASON } from './schemas.ts';
import { readTradingStatus, setTradingState, type TradingState } from './trading-status.ts';

interface StatusQuery {
  readonly profile?: string;
}

interface ChangeBody {
  readonly profile: string;
  readonly reason: string;
}

const STATUS_QUERY = { type: 'object', additionalProperties: false, properties: { profile: PROFILE } } as const;
const CHANGE_BODY = { type: 'object', additionalProperties: false, required: ['profile', 'reason'], properties: { profile: PROFILE, reason: REASON } } as const;

/**
 * GET /internal/trading/status[?profile=ID]: RUNNING or PAUSED from trading_status. With a profile,
 * `{ profile, state, … }` (the shape recon's `url` pause source reads); without, `{ profiles: […] }`.
 * POST /internal/trading/pause and /resume `{ profile, reason }`, with the admin token only.
 */
export function tradingRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Querystring: StatusQuery }>(
    '/internal/trading/status',
    {
      schema: {
        summary: 'RUNNING or PAUSED: one profile (?profile=ID) or every profile',
        tags: ['trading'],
        security: READ_SECURITY,
        querystring: STATUS_QUERY,
        response: { 200: TRADING_STATUS_BODY, ...GUARDED_ERRORS },
      },
    },
    async (request) => {
      const rows = await readTradingStatus(context.db, request.query.profile);
      return request.query.profile === undefined ? { profiles: rows } : rows[0];
    },
  );
  if (context.adminToken === null) return;
  const guard = requireAdminToken(context.adminToken);
  const change = (state: TradingState) => async (request: FastifyRequest<{ Body: ChangeBody }>) => {
    const actor = actorOf(request);
    const result = await setTradingState(context.db, { profile: request.body.profile, state, reason: request.body.reason, actor });
    if (result.changed) {
      context.metrics.statusChange(state);
      context.log.info(
        { profile: result.status.profile, state, previous: result.previous, reason: result.status.reason, actor },
        `Profile ${result.status.profile} ${state} by ${actor}`,
      );
    } else {
      context.log.info(
        { profile: result.status.profile, state, actor },
        `Profile ${result.status.profile} was already ${state}; nothing changed (asked by ${actor})`,
      );
    }
    return { ...result.status, previous: result.previous, changed: result.changed };
  };
  const options = (summary: string) => ({
    onRequest: guard,
    schema: {
      summary,
      tags: ['trading'],
      security: ADMIN_SECURITY,
      body: CHANGE_BODY,
      headers: ACTOR_HEADERS,
      response: { 200: TRADING_CHANGE_BODY, 409: ERROR_BODY, 413: ERROR_BODY, 415: ERROR_BODY, ...GUARDED_ERRORS },
    },
  });
  app.post<{ Body: ChangeBody }>('/internal/trading/pause', options('Pause a profile (admin token; X-Actor names who)'), change('PAUSED'));
  app.post<{ Body: ChangeBody }>('/internal/trading/resume', options('Resume a profile (admin token; X-Actor names who)'), change('RUNNING'));
}
