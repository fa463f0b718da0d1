import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import ccxt from 'ccxt';

/** One of the account's trades, as the simulated Binance stores it (spot or USDⓈ-M futures). */
export interface SimulatedTrade {
  readonly market: 'spot' | 'usdm';
  /** The exchange's symbol id, e.g. BTCUSDT. */
  readonly symbol: string;
  readonly id: number;
  readonly orderId: number;
  readonly side: 'BUY' | 'SELL';
  readonly qty: string;
  readonly price: string;
  readonly time: number;
}

/** A request the simulator answered. */
export interface SimulatedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
}

interface Failure {
  readonly path: string;
  readonly status: number;
  readonly body: string;
  /** Calls to `path` that still succeed before it starts failing. */
  remainingOk: number;
}

const HOUR = 3_600_000;
// The real API's limits on one myTrades request, so that the adapter's window chunking is exercised.
const MAX_WINDOW = { spot: 24 * HOUR, usdm: 7 * 24 * HOUR } as const;
const MAX_LIMIT = 1000;

const SPOT_SYMBOLS = [
  { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' },
  { symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT' },
  { symbol: 'SOLUSDT', baseAsset: 'SOL', quoteAsset: 'USDT' },
];
const USDM_SYMBOLS = [
  { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' },
  { symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT' },
];

function spotMarket(s: (typeof SPOT_SYMBOLS)[number]): object {
  return {
    ...s,
    status: 'TRADING',
    baseAssetPrecision: 8,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'MARKET'],
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
      { filterType: 'LOT_SIZE', minQty: '0.00000001', maxQty: '9000.00000000', stepSize: '0.00000001' },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
  };
}

function usdmMarket(s: (typeof USDM_SYMBOLS)[number]): object {
  return {
    ...s,
    pair: s.symbol,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: 'TRADING',
    marginAsset: 'USDT',
    pricePrecision: 2,
    quantityPrecision: 3,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.10', maxPrice: '1000000', tickSize: '0.10' },
      { filterType: 'LOT_SIZE', minQty: '0.001', maxQty: '1000', stepSize: '0.001' },
    ],
    orderTypes: ['LIMIT', 'MARKET'],
    timeInForce: ['GTC'],
  };
}

/**
 * A small Binance (spot and USDⓈ-M futures) on 127.0.0.1 for the ccxt evidence source: it answers
 * the REST endpoints ccxt's `binance` class calls for loadMarkets, fetchMyTrades, fetchBalance and
 * fetchPositions, from trades, balances and positions a test puts in. Signatures are not checked.
 */
export class ExchangeSimulator {
  readonly trades: SimulatedTrade[] = [];
  /** Spot balances by asset. */
  readonly balances = new Map<string, { free: string; locked: string }>();
  /** USDⓈ-M position amounts by symbol id; a symbol not here is not reported at all. */
  readonly positions = new Map<string, string>();
  readonly requests: SimulatedRequest[] = [];
  readonly #server: Server;
  readonly #failures: Failure[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a simulator on a free port of 127.0.0.1. */
  static async start(): Promise<ExchangeSimulator> {
    let simulator: ExchangeSimulator | undefined;
    const server = createServer((request, response) => simulator!.#handle(request, response));
    simulator = new ExchangeSimulator(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return simulator;
  }

  /** http://127.0.0.1:PORT */
  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Makes `path` (e.g. /api/v3/myTrades) answer `status` with `body`, after `okCalls` more successful calls. */
  fail(path: string, status: number, body: string, okCalls = 0): void {
    this.#failures.push({ path, status, body, remainingOk: okCalls });
  }

  /** Forgets injected failures and the request log. */
  reset(): void {
    this.#failures.length = 0;
    this.requests.length = 0;
  }

  /** Requests made to `path`. */
  calls(path: string): SimulatedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /**
   * ccxt constructor settings pointing every Binance API host at this simulator (so that nothing
   * can reach the real network), with dummy keys and no client-side rate limiting.
   */
  ccxtOptions(): Record<string, unknown> {
    const api = new ccxt.binance().urls['api'] as Record<string, string>;
    const local = Object.fromEntries(Object.entries(api).map(([key, url]) => [key, url.replace(/^https:\/\/[^/]+/, this.origin)]));
    return { apiKey: 'simulated-key', secret: 'simulated-secret', enableRateLimit: false, urls: { api: local } };
  }

  /** Stops the server. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.origin);
    this.requests.push({ method: request.method ?? 'GET', path: url.pathname, query: url.searchParams });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const failure = this.#failures.find((f) => f.path === url.pathname);
    if (failure !== undefined) {
      if (failure.remainingOk > 0) failure.remainingOk -= 1;
      else return send(failure.status, failure.body);
    }
    const q = url.searchParams;
    switch (`${request.method} ${url.pathname}`) {
      case 'GET /api/v3/exchangeInfo':
        return send(200, { timezone: 'UTC', serverTime: Date.now(), rateLimits: [], exchangeFilters: [], symbols: SPOT_SYMBOLS.map(spotMarket) });
      case 'GET /fapi/v1/exchangeInfo':
        return send(200, { timezone: 'UTC', serverTime: Date.now(), rateLimits: [], assets: [], symbols: USDM_SYMBOLS.map(usdmMarket) });
      case 'GET /dapi/v1/exchangeInfo':
        return send(200, { timezone: 'UTC', serverTime: Date.now(), rateLimits: [], symbols: [] });
      // loadMarkets asks for currencies and margin pairs when it holds keys; an account without margin has none.
      case 'GET /sapi/v1/capital/config/getall':
      case 'GET /sapi/v1/margin/allPairs':
      case 'GET /sapi/v1/margin/isolated/allPairs':
        return send(200, []);
      case 'GET /api/v3/myTrades':
        return this.#myTrades('spot', q, send);
      case 'GET /fapi/v1/userTrades':
        return this.#myTrades('usdm', q, send);
      case 'GET /api/v3/account':
        return send(200, {
          makerCommission: 10,
          takerCommission: 10,
          canTrade: true,
          updateTime: Date.now(),
          accountType: 'SPOT',
          balances: [...this.balances].map(([asset, b]) => ({ asset, ...b })),
          permissions: ['SPOT'],
        });
      case 'GET /fapi/v1/leverageBracket':
        return send(
          200,
          USDM_SYMBOLS.map((s) => ({
            symbol: s.symbol,
            brackets: [{ bracket: 1, initialLeverage: 125, notionalCap: 50000, notionalFloor: 0, maintMarginRatio: 0.004, cum: 0 }],
          })),
        );
      case 'GET /fapi/v3/account':
        return send(200, {
          totalWalletBalance: '1000.00000000',
          totalUnrealizedProfit: '0.00000000',
          availableBalance: '1000.00000000',
          assets: [
            {
              asset: 'USDT',
              walletBalance: '1000.00000000',
              unrealizedProfit: '0',
              marginBalance: '1000',
              crossWalletBalance: '1000.00000000',
              crossUnPnl: '0.00000000',
              availableBalance: '1000',
              updateTime: Date.now(),
            },
          ],
          positions: [...this.positions].map(([symbol, amount]) => ({
            symbol,
            positionSide: 'BOTH',
            positionAmt: amount,
            unrealizedProfit: '0.00000000',
            isolatedMargin: '0',
            notional: '0',
            isolatedWallet: '0',
            initialMargin: '0',
            maintMargin: '0',
            updateTime: Date.now(),
          })),
        });
      // Like ccxt's default for Binance: only positions with an entry price survive its parsing.
      case 'GET /fapi/v3/positionRisk':
        return send(
          200,
          [...this.positions].map(([symbol, amount]) => ({
            symbol,
            positionSide: 'BOTH',
            positionAmt: amount,
            entryPrice: Number(amount) === 0 ? '0.0' : '60000.0',
            breakEvenPrice: '0.0',
            markPrice: '60000.00',
            unRealizedProfit: '0.00000000',
            liquidationPrice: '0',
            isolatedMargin: '0',
            notional: '0',
            marginAsset: 'USDT',
            isolatedWallet: '0',
            initialMargin: '0',
            maintMargin: '0',
            positionInitialMargin: '0',
            openOrderInitialMargin: '0',
            adl: 0,
            bidNotional: '0',
            askNotional: '0',
            updateTime: Date.now(),
          })),
        );
      default:
        return send(404, { code: -1, msg: `simulator: no endpoint ${request.method} ${url.pathname}` });
    }
  }

  #myTrades(market: 'spot' | 'usdm', q: URLSearchParams, send: (status: number, body: unknown) => void): void {
    const symbol = q.get('symbol');
    const start = q.get('startTime') === null ? undefined : Number(q.get('startTime'));
    const end = q.get('endTime') === null ? undefined : Number(q.get('endTime'));
    const limit = q.get('limit') === null ? 500 : Number(q.get('limit'));
    if (symbol === null) return send(400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
    if (limit > MAX_LIMIT) return send(400, { code: -1130, msg: 'Invalid data sent for a parameter.' });
    if (start !== undefined && end !== undefined && end - start > MAX_WINDOW[market]) {
      return send(400, { code: -1127, msg: `More than ${MAX_WINDOW[market] / HOUR} hours between startTime and endTime.` });
    }
    const page = this.trades
      .filter((t) => t.market === market && t.symbol === symbol && (start === undefined || t.time >= start) && (end === undefined || t.time <= end))
      .sort((a, b) => a.time - b.time || a.id - b.id)
      .slice(0, limit);
    const isBuyer = (t: SimulatedTrade) => t.side === 'BUY';
    send(
      200,
      page.map((t) =>
        market === 'spot'
          ? {
              symbol: t.symbol,
              id: t.id,
              orderId: t.orderId,
              orderListId: -1,
              price: t.price,
              qty: t.qty,
              quoteQty: '0',
              commission: '0',
              commissionAsset: 'BNB',
              time: t.time,
              isBuyer: isBuyer(t),
              isMaker: false,
              isBestMatch: true,
            }
          : {
              symbol: t.symbol,
              id: t.id,
              orderId: t.orderId,
              side: t.side,
              price: t.price,
              qty: t.qty,
              realizedPnl: '0',
              quoteQty: '0',
              commission: '0',
              commissionAsset: 'USDT',
              time: t.time,
              positionSide: 'BOTH',
              buyer: isBuyer(t),
              maker: false,
            },
      ),
    );
  }
}
