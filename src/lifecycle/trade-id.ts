import { createHash } from 'node:crypto';

/**
 * The deterministic trade_id of a lifecycle: `TRD-` and 20 hex digits of sha256 over
 * profile_id, symbol and the opening order_id, so the same ledger always gives the same ids.
 */
export function deterministicTradeId(profileId: string, symbol: string, openingOrderId: string): string {
  const digest = createHash('sha256').update(`${profileId}\u0000${symbol}\u0000${openingOrderId}`, 'utf8').digest('hex');
  return `TRD-${digest.slice(0, 20)}`;
}
