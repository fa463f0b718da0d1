import { createHash } from 'node:crypto';

/** The exchange order id a dust row records. */
export const DUST = 'dust';

/**
 * The specification's deterministic order id: `BFILL-` + md5 of
 * `profile_id:trade_id:exchange_order_id:filled_at`, filled_at as ISO-8601 UTC with milliseconds.
 */
export function backfillOrderId(profileId: string, tradeId: string, exchangeOrderId: string, filledAt: Date): string {
  return `BFILL-${createHash('md5').update(`${profileId}:${tradeId}:${exchangeOrderId}:${filledAt.toISOString()}`, 'utf8').digest('hex')}`;
}
