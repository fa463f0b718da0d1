// JSON schemas of what the routes answer, for the OpenAPI document (src/service/openapi.ts).
// Fastify also serializes each answer by its schema, which drops any key a schema does not
// name: a route that grows a field adds it here (test/service/openapi.test.ts compares answers).

const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const counts = { type: 'object', additionalProperties: { type: 'integer' }, description: 'rows by decision' } as const;

/** Every error answer: a stable word and one line saying what to do. */
export const ERROR_BODY = {
  type: 'object',
  description: 'an error: a stable word and one line saying what to do',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'bad_request, unauthorized, not_found, refused, payload_too_large, unsupported_media_type, unavailable or internal' },
    message: text,
  },
} as const;

/** The error answers every route can give. */
export const COMMON_ERRORS = { 400: ERROR_BODY, 500: ERROR_BODY, 503: ERROR_BODY } as const;

/** The error answers of a route that needs a token (the read token beyond loopback, the admin token on writes). */
export const GUARDED_ERRORS = { ...COMMON_ERRORS, 401: ERROR_BODY } as const;

/** The last reconciliation cycle, or null before the first. */
const LAST_CYCLE = {
  type: ['object', 'null'],
  properties: {
    at: time,
    outcome: { type: 'string', enum: ['ok', 'disabled', 'failed'] },
    durationMs: { type: 'number' },
    mode: { type: ['string', 'null'], enum: ['dry-run', 'plan', 'apply', null] },
    batchId: nullableText,
    counts,
    error: nullableText,
  },
} as const;

/** GET /healthz. Open keys: the start-up checks may add facts. */
export const HEALTH_BODY = {
  type: 'object',
  description: 'the database state: 200 when it answers, 503 when it does not',
  additionalProperties: true,
  required: ['status', 'pack', 'database'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    pack: text,
    database: {
      type: 'object',
      additionalProperties: true,
      properties: {
        url: { type: 'string', description: 'the database URL with any password hidden' },
        reachable: { type: 'boolean' },
        schemaVersion: { type: ['integer', 'null'] },
        expectedVersion: { type: 'integer' },
        error: nullableText,
      },
    },
    lastCycle: LAST_CYCLE,
    uptimeSeconds: { type: 'integer' },
  },
} as const;

/** One profile's row of trading_status. */
export const TRADING_STATUS = {
  type: 'object',
  required: ['profile', 'state'],
  properties: {
    profile: text,
    state: { type: 'string', enum: ['RUNNING', 'PAUSED'] },
    reason: nullableText,
    updatedBy: nullableText,
    updatedAt: nullableTime,
  },
} as const;

/** GET /internal/trading/status: one profile (with ?profile) or all of them. */
export const TRADING_STATUS_BODY = {
  description: 'one profile ({ profile, state, … }, the shape the recon url pause source reads) or { profiles: […] }',
  anyOf: [TRADING_STATUS, { type: 'object', required: ['profiles'], properties: { profiles: { type: 'array', items: TRADING_STATUS } } }],
} as const;

/** POST /internal/trading/pause and /resume. */
export const TRADING_CHANGE_BODY = {
  type: 'object',
  description: 'the profile after the change, its previous state, and whether anything changed',
  required: ['profile', 'state', 'previous', 'changed'],
  properties: {
    ...TRADING_STATUS.properties,
    previous: { type: 'string', enum: ['RUNNING', 'PAUSED'] },
    changed: { type: 'boolean', description: 'false when the profile was already in that state (nothing written)' },
  },
} as const;

/** GET /recon/batches. */
export const BATCHES_BODY = {
  type: 'object',
  description: 'reconciliation batches, newest first',
  required: ['batches'],
  properties: {
    batches: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          batchId: text,
          startedAt: time,
          rows: { type: 'integer' },
          profiles: { type: 'array', items: text },
          counts,
          revertedRows: { type: 'integer', description: 'rows a rollback marked reverted' },
        },
      },
    },
  },
} as const;

/** GET /recon/batches/:id. */
export const BATCH_BODY = {
  type: 'object',
  description: "the batch's audit rows and their counts by decision",
  required: ['batchId', 'counts', 'rows'],
  properties: {
    batchId: text,
    counts,
    rows: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          batchId: text,
          profileId: text,
          symbol: nullableText,
          tradeId: nullableText,
          decision: text,
          reason: nullableText,
          filledQty: { type: ['string', 'null'], description: 'a decimal, as text' },
          dustQty: { type: ['string', 'null'], description: 'a decimal, as text' },
          backfillOrderId: nullableText,
          dustThreshold: { type: ['string', 'null'], description: 'a decimal, as text' },
          createdAt: time,
          revertedAt: nullableTime,
        },
      },
    },
  },
} as const;

/** POST /internal/enforcement: the enforcement_log row written. */
export const ENFORCEMENT_LOGGED_BODY = {
  type: 'object',
  description: 'the enforcement_log row written',
  properties: {
    id: { type: 'integer' },
    timestamp: time,
    accountId: { type: 'integer' },
    ruleId: text,
    action: text,
    reason: text,
    success: { type: 'boolean' },
    details: { type: ['object', 'null'], additionalProperties: true },
    executionTimeMs: { type: ['integer', 'null'] },
  },
} as const;
