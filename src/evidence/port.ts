import type { Decimal } from 'decimal.js';

/** One fill the exchange reports (the evidence that an order closed a position). */
export interface EvidenceFill {
  readonly profileId: string;
  readonly symbol: string;
  readonly exchangeOrderId: string;
  readonly exchangeTradeId: string;
  readonly clientOrderId: string | null;
  /** 'buy' or 'sell', lower case. */
  readonly side: 'buy' | 'sell';
  readonly quantity: Decimal;
  readonly price: Decimal | null;
  readonly filledAt: Date;
}

/** The exchange's reported position for a symbol; quantity 0 means flat. */
export interface EvidencePosition {
  readonly profileId: string;
  readonly symbol: string;
  readonly quantity: Decimal;
  readonly observedAt: Date;
}

/** What to gather: one profile's symbols over a time window. */
export interface EvidenceQuery {
  readonly profileId: string;
  readonly symbols: readonly string[];
  /** Start of the lookback window (inclusive). */
  readonly since: Date;
  /** End of the window (inclusive): the time of the cycle. */
  readonly until: Date;
}

/** What a source found, and whether it can vouch that nothing is missing. */
export interface EvidenceResult {
  /** Every fill of the profile on the requested symbols inside the window, any side. */
  readonly fills: readonly EvidenceFill[];
  /**
   * The position per requested symbol. A symbol that is absent was not observed: it never
   * counts as flat (an empty or failed response proves nothing).
   */
  readonly positions: ReadonlyMap<string, EvidencePosition>;
  /**
   * True only when the fills cover the whole window for every symbol (all pages fetched, every row
   * usable). A symbol whose position was not observed is not a reason to say false here: it is
   * absent from `positions`, and the decision refuses that symbol alone.
   */
  readonly complete: boolean;
  /** Why the evidence is incomplete, one line each (a failed call, a page limit, a malformed row). */
  readonly problems: readonly string[];
}

/** The evidence port: a table in the ledger database, an exported file, or a live exchange. */
export interface EvidenceSource {
  readonly kind: 'table' | 'file' | 'ccxt';
  /** Gathers fills and positions; a failure is reported as incomplete evidence, not thrown. */
  gather(query: EvidenceQuery): Promise<EvidenceResult>;
  /** The same for several profiles at once, when the source can do it in fewer round trips (one result per profile). */
  gatherMany?(queries: readonly EvidenceQuery[]): Promise<ReadonlyMap<string, EvidenceResult>>;
  /** Releases connections the source holds. */
  close(): Promise<void>;
}
