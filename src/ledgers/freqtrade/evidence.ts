import { Decimal } from 'decimal.js';
import type { CcxtDump, DumpTrade } from '../../evidence/ccxt-dump.ts';
import type { EvidenceSource } from '../../evidence/port.ts';
import { MATCH_LEAD_MS, ftDateMs } from './match.ts';
import type { FtTrade } from './rows.ts';

/** What the exchange reports, in the shape the freqtrade decision reads. */
export interface FtEvidence {
  /** Every fill seen, as ccxt's unified trade structure (fees only where the source knows them). */
  readonly fills: readonly DumpTrade[];
  /** Futures: the signed position of the trade's pair; spot: its base currency's total balance; null when not observed. */
  exchangeQty(trade: FtTrade): Decimal | null;
  /** Why the fills may not be whole (a failed call, a page limit); empty when the source vouches for them. */
  readonly problems: readonly string[];
}

/** Gathers the evidence for the open trades it is given. */
export type FtEvidenceLoader = (open: readonly FtTrade[]) => Promise<FtEvidence>;

/** Evidence from a ccxt dump: fills with their fees, positions and the balance. */
export function dumpEvidence(dump: CcxtDump): FtEvidence {
  return {
    fills: dump.trades,
    problems: [],
    exchangeQty(trade) {
      if (trade.tradingMode === 'futures') {
        const positions = dump.positions.filter((p) => p.symbol === trade.pair);
        // fetchPositions leaves flat symbols out on many exchanges: a dump with a positions list vouches for a missing one being flat.
        // A balance does not: fetchBalance says nothing about open contracts.
        if (positions.length === 0) return dump.positionsListed ? new Decimal(0) : null;
        return positions.reduce((s, p) => s.plus(p.quantity), new Decimal(0));
      }
      if (dump.balanceTotal === null || trade.baseCurrency === null) return null;
      return dump.balanceTotal.get(trade.baseCurrency) ?? new Decimal(0);
    },
  };
}

/**
 * Evidence from one of the recon evidence sources (the bot-ledger `file` export or a live `ccxt`
 * exchange), asked for the open trades' pairs from the oldest open_date − 10 s until now, under
 * `profileId` (the profile the source's fills belong to). Those sources carry no fees: a close from
 * them keeps the trade's fee_close estimate.
 */
export async function sourceEvidence(source: EvidenceSource, profileId: string, open: readonly FtTrade[], now: Date): Promise<FtEvidence> {
  if (open.length === 0) return { fills: [], problems: [], exchangeQty: () => null };
  const since = new Date(Math.min(...open.map((t) => ftDateMs(t.openDate))) - MATCH_LEAD_MS);
  const result = await source.gather({ profileId, symbols: [...new Set(open.map((t) => t.pair))], since, until: now });
  const problems = [...result.problems];
  if (!result.complete && problems.length === 0) problems.push(`the ${source.kind} evidence is incomplete`);
  const fills: DumpTrade[] = [];
  for (const fill of result.fills) {
    if (fill.price === null) {
      problems.push(`fill ${fill.exchangeTradeId} of ${fill.symbol} has no price: a close needs the exit price`);
      continue;
    }
    fills.push({
      id: fill.exchangeTradeId,
      order: fill.exchangeOrderId,
      symbol: fill.symbol,
      side: fill.side,
      type: null,
      price: fill.price,
      amount: fill.quantity,
      cost: fill.price.times(fill.quantity),
      timestamp: fill.filledAt.getTime(),
      fees: [],
    });
  }
  return { fills, problems, exchangeQty: (trade) => result.positions.get(trade.pair)?.quantity ?? null };
}
