import type { FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { nulBytePath } from '../domain/nul-byte.ts';
import { UsageError } from '../errors.ts';

// JSON schemas shared by the routes. A `description` on a pattern is what a 400 says instead of
// the regular expression. Profile ids are free text in trading_status, so the rule is only what a
// safe id never holds: whitespace and control characters, and more than 128 characters.

/** A profile id. */
export const PROFILE = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\s\\x00-\\x1f\\x7f]+$',
  description: 'must be a profile id without spaces or control characters',
} as const;

/** A human reason, recorded in the audit columns: not blank, at most 500 characters. */
export const REASON = { type: 'string', minLength: 1, maxLength: 500, pattern: '\\S', description: 'must not be blank' } as const;

/** The optional X-Actor header: who asks, recorded as `<actor>@<address>`. */
export const ACTOR_HEADERS = {
  type: 'object',
  properties: {
    'x-actor': { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'must be a name of 1 to 64 letters, digits, dots, dashes or underscores' },
  },
} as const;

/**
 * One line for the first thing wrong with a request: where (`body.reason`), then what, in words
 * rather than the schema's regular expression. Fastify turns it into the 400.
 */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  if (first === undefined) return new Error(`${dataVar} is not valid`);
  const where = `${dataVar}${first.instancePath.replaceAll('/', '.')}`;
  // ajv's verbose mode hands over the schema that failed, so its description can speak for it.
  const description = (first as { parentSchema?: { description?: unknown } }).parentSchema?.description;
  if (first.keyword === 'pattern' && typeof description === 'string') return new Error(`${where} ${description}`);
  if (first.keyword === 'additionalProperties') return new Error(`${where} has an unknown key '${String(first.params['additionalProperty'])}'`);
  return new Error(`${where} ${first.message ?? 'is not valid'}`);
}

/**
 * A preValidation hook: a NUL byte anywhere in the body, the query string or the path parameters
 * is a 400 naming where (`body.reason`), before any route reads it. PostgreSQL cannot store one in
 * text; without this check the write fails halfway with a 500.
 */
export async function refuseNulBytes(request: FastifyRequest): Promise<void> {
  for (const [part, value] of [
    ['body', request.body],
    ['querystring', request.query],
    ['params', request.params],
  ] as const) {
    const where = nulBytePath(value, part);
    if (where !== null) throw new UsageError(`${where} holds a NUL byte (\\u0000), which the database cannot store: remove it`, 'BAD_REQUEST');
  }
}
