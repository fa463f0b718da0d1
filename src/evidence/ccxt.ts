import { Decimal } from 'decimal.js';
import { hideSecrets } from '../config/secrets.ts';
import { UsageError } from '../errors.ts';
import { gatherFills, type CcxtTradeSource } from './ccxt-trades.ts';
import { ccxtDecimal, ccxtProblem, type CcxtMarket, type Numeric } from './ccxt-values.ts';
import type { EvidenceFill, EvidencePosition, EvidenceQuery, EvidenceResult, EvidenceSource } from './port.ts';

// The slice of a ccxt exchange this adapter uses (ccxt's own types are not imported, so that the
// rest of tradeledger never depends on them). Numbers arrive as strings: see `number` below.
interface CcxtPosition {
  readonly symbol?: string;
  readonly contracts?: Numeric;
  readonly timestamp?: number | undefined;
}

interface CcxtBalance {
  readonly total?: Record<string, Numeric>;
  readonly timestamp?: number | undefined;
}

interface CcxtExchange extends CcxtTradeSource {
  readonly id: string;
  readonly has: Record<string, unknown>;
  readonly features?: Record<string, unknown>;
  readonly markets?: Record<string, CcxtMarket>;
  readonly markets_by_id?: Record<string, CcxtMarket[]>;
  number: unknown;
  loadMarkets(): Promise<unknown>;
  fetchPositions(symbols?: string[]): Promise<CcxtPosition[]>;
  fetchBalance(params?: Record<string, unknown>): Promise<CcxtBalance>;
  close?(): Promise<void>;
}

/** Settings of the ccxt evidence source. */
export interface CcxtEvidenceOptions {
  /** A ccxt exchange id: binance, kraken, okx, … */
  readonly exchange: string;
  /** The ccxt constructor settings: apiKey, secret, password, urls, options, timeout, … */
  readonly options: Readonly<Record<string, unknown>>;
  /** The ledger profile these credentials trade for; other profiles get no evidence from it. */
  readonly profileId: string;
  /** Trades asked for per request (capped at what the exchange allows); default 500. */
  readonly pageLimit?: number;
  /** Requests per symbol before giving up and reporting the evidence incomplete; default 50. */
  readonly maxPages?: number;
}

function resolveMarket(exchange: CcxtExchange, symbol: string): CcxtMarket | string {
  const bySymbol = exchange.markets?.[symbol];
  if (bySymbol !== undefined) return bySymbol;
  const byId = exchange.markets_by_id?.[symbol] ?? [];
  if (byId.length === 1 && byId[0] !== undefined) return byId[0];
  if (byId.length > 1)
    return `${symbol} names ${byId.length} ${exchange.id} markets (${byId.map((m) => m.symbol).join(', ')}): use the ccxt symbol in the ledger`;
  return `${symbol} is not a ${exchange.id} market (ccxt symbols look like BTC/USDT or BTC/USDT:USDT)`;
}

/** Spot holdings: the base currency's total balance is the position (0 is flat). */
async function spotPositions(
  exchange: CcxtExchange,
  markets: ReadonlyMap<string, CcxtMarket>,
  query: EvidenceQuery,
  into: Map<string, EvidencePosition>,
  problems: string[],
): Promise<void> {
  if (markets.size === 0) return;
  let balance: CcxtBalance;
  try {
    balance = await exchange.fetchBalance({ type: 'spot' });
  } catch (error) {
    problems.push(`${exchange.id} fetchBalance failed, no position for ${[...markets.keys()].join(', ')}: ${ccxtProblem(error)}`);
    return;
  }
  const observedAt = new Date(balance.timestamp ?? Date.now());
  for (const [symbol, market] of markets) {
    const total = ccxtDecimal(balance.total?.[market.base]);
    // A currency missing from the balance proves nothing: the symbol stays unobserved, never flat.
    if (total !== undefined) into.set(symbol, { profileId: query.profileId, symbol, quantity: total, observedAt });
  }
}

/** Contract positions: the sum of the symbol's open contracts (hedge mode reports a long and a short). */
async function contractPositions(
  exchange: CcxtExchange,
  markets: ReadonlyMap<string, CcxtMarket>,
  query: EvidenceQuery,
  into: Map<string, EvidencePosition>,
  problems: string[],
): Promise<void> {
  if (markets.size === 0) return;
  if (exchange.has['fetchPositions'] !== true) {
    problems.push(`${exchange.id} cannot report positions (no fetchPositions), so ${[...markets.keys()].join(', ')} were not observed`);
    return;
  }
  let reported: CcxtPosition[];
  try {
    reported = await exchange.fetchPositions([...markets.values()].map((m) => m.symbol));
  } catch (error) {
    problems.push(`${exchange.id} fetchPositions failed, no position for ${[...markets.keys()].join(', ')}: ${ccxtProblem(error)}`);
    return;
  }
  for (const [symbol, market] of markets) {
    const mine = reported.filter((p) => p.symbol === market.symbol);
    const amounts = mine.map((p) => ccxtDecimal(p.contracts));
    // Many exchanges list open positions only; an unlisted symbol stays unobserved, never flat.
    if (mine.length === 0) continue;
    if (amounts.some((a) => a === undefined)) problems.push(`${exchange.id} reported a position for ${market.symbol} without a contract count`);
    else {
      const quantity = amounts.reduce<Decimal>((sum, a) => sum.plus(a as Decimal), new Decimal(0));
      const observedAt = new Date(Math.max(...mine.map((p) => p.timestamp ?? Date.now())));
      into.set(symbol, { profileId: query.profileId, symbol, quantity, observedAt });
    }
  }
}

async function gatherFromExchange(
  exchange: CcxtExchange,
  settings: Required<Pick<CcxtEvidenceOptions, 'profileId' | 'pageLimit' | 'maxPages'>>,
  query: EvidenceQuery,
): Promise<EvidenceResult> {
  const fills: EvidenceFill[] = [];
  const positions = new Map<string, EvidencePosition>();
  // Fill problems make the evidence incomplete; a position call that failed only leaves its
  // symbols unobserved (the decision refuses those alone), but its line still says why.
  const fillProblems: string[] = [];
  const positionProblems: string[] = [];
  const result = (): EvidenceResult => ({ fills, positions, complete: fillProblems.length === 0, problems: [...fillProblems, ...positionProblems] });
  if (query.profileId !== settings.profileId) {
    fillProblems.push(`the ccxt evidence source holds the credentials of profile ${settings.profileId}, not ${query.profileId} (recon.evidence.profile)`);
    return result();
  }
  try {
    await exchange.loadMarkets();
  } catch (error) {
    fillProblems.push(`${exchange.id} loadMarkets failed: ${ccxtProblem(error)}`);
    return result();
  }
  const spot = new Map<string, CcxtMarket>();
  const contracts = new Map<string, CcxtMarket>();
  for (const symbol of new Set(query.symbols)) {
    const market = resolveMarket(exchange, symbol);
    if (typeof market === 'string') {
      fillProblems.push(market);
      continue;
    }
    (market.spot ? spot : contracts).set(symbol, market);
    // One symbol at a time: exchanges rate-limit private endpoints, and the pages are sequential anyway.
    const found = await gatherFills(exchange, symbol, market, query, settings);
    fills.push(...found.fills);
    fillProblems.push(...found.problems);
  }
  await spotPositions(exchange, spot, query, positions, positionProblems);
  await contractPositions(exchange, contracts, query, positions, positionProblems);
  return result();
}

// The ccxt settings that hold credentials (apiKey, secret, password, uid, privateKey, token, …).
const CREDENTIAL_KEY = /key|secret|password|token|uid|login|private/i;

function credentials(options: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(options)
    .filter(([key, value]) => CREDENTIAL_KEY.test(key) && typeof value === 'string')
    .map(([, value]) => value as string);
}

/**
 * The `ccxt` evidence source: a live exchange through the ccxt library. fetchMyTrades is paged
 * over the window (and cut into the windows the exchange allows); the position comes from
 * fetchPositions for contracts and from the base currency's total balance for spot. Every failed
 * call, page limit or unusable trade makes the evidence incomplete with a line saying which.
 */
export async function ccxtEvidence(settings: CcxtEvidenceOptions): Promise<EvidenceSource> {
  // Loaded here rather than at the top: ccxt is large, and only this source needs it.
  const ccxt = (await import('ccxt')).default as unknown as { exchanges: string[] } & Record<string, unknown>;
  const Exchange = ccxt[settings.exchange];
  if (!ccxt.exchanges.includes(settings.exchange) || typeof Exchange !== 'function') {
    throw new UsageError(`recon.evidence.exchange '${settings.exchange}' is not a ccxt exchange id (for example binance, kraken, okx)`, 'EVIDENCE_CONFIG');
  }
  if (settings.profileId.trim() === '')
    throw new UsageError('recon.evidence.profile is empty: name the profile these exchange credentials belong to', 'EVIDENCE_CONFIG');
  const pageLimit = settings.pageLimit ?? 500;
  const maxPages = settings.maxPages ?? 50;
  if (!Number.isSafeInteger(pageLimit) || pageLimit < 1 || !Number.isSafeInteger(maxPages) || maxPages < 1) {
    throw new UsageError(`ccxt evidence pageLimit and maxPages must be whole numbers above 0 (got ${pageLimit} and ${maxPages})`, 'EVIDENCE_CONFIG');
  }
  const exchange = new (Exchange as new (config: Record<string, unknown>) => CcxtExchange)({ ...settings.options });
  // ccxt turns every amount it parses into `this.number` ("Number, or String", says its base
  // class). String keeps the exchange's decimal text (normalised: 1e-8 becomes 0.00000001), where a
  // float would round 1234567890.123456789; Decimal then takes the text as it is. A JS number that
  // still slips through is read via String(), exact up to 15 significant digits.
  exchange.number = String;
  const resolved = { profileId: settings.profileId, pageLimit, maxPages };
  const secrets = credentials(settings.options);
  return {
    kind: 'ccxt',
    // A problem line reaches the log and the audit; an exchange may echo a key or a signed URL in its error.
    gather: async (query) => {
      const result = await gatherFromExchange(exchange, resolved, query);
      return { ...result, problems: result.problems.map((problem) => hideSecrets(problem, secrets)) };
    },
    close: async () => {
      await exchange.close?.();
    },
  };
}
