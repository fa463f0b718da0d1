import { parseDecimal, positiveDecimal, type DecimalString } from './decimal.ts';
import { pastTimestamp, requiredText } from './fields.ts';
import { ValidationError } from './validation-error.ts';

/** A market quote for one contract, validated on creation; unrealized P&L is priced from it. */
export interface Quote {
  readonly contractId: string;
  readonly bid: DecimalString;
  readonly ask: DecimalString;
  readonly last: DecimalString;
  readonly timestamp: string;
}

/** What createQuote takes: a market-data payload, not yet trusted. */
export interface QuoteInput {
  readonly contractId: string;
  readonly bid: DecimalString;
  readonly ask: DecimalString;
  readonly last: DecimalString;
  readonly timestamp: string | Date;
}

const MODEL = 'Quote';

/** Validates a quote: positive bid, ask and last, ask ≥ bid (a crossed book is bad data), a time not in the future. */
export function createQuote(input: QuoteInput, now: Date = new Date()): Quote {
  const contractId = requiredText(MODEL, 'contractId', input.contractId);
  const bid = positiveDecimal(MODEL, 'bid', input.bid);
  const ask = positiveDecimal(MODEL, 'ask', input.ask);
  if (parseDecimal(MODEL, 'ask', ask).lt(parseDecimal(MODEL, 'bid', bid))) {
    throw new ValidationError('ask', `${MODEL}.ask ${ask} must be >= ${MODEL}.bid ${bid} for ${contractId}`);
  }
  return {
    contractId,
    bid,
    ask,
    last: positiveDecimal(MODEL, 'last', input.last),
    timestamp: pastTimestamp(MODEL, 'timestamp', input.timestamp, now),
  };
}
