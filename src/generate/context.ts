import type { Prng } from './prng.ts';
import type { FillRow, OrderRow, RowSink } from './rows.ts';
import type { SymbolSpec } from './symbols.ts';
import { formatUnits, splitUnits } from './units.ts';

/** Counters shared by the whole run, so that ids are unique and follow generation order. */
export class RunCounters {
  history = 0;
  fill = 0;
  /** Exchange order and trade ids are numbers on most exchanges; these start high to look like it. */
  exchangeOrder = 4_100_000_000;
  exchangeTrade = 900_000_000;
  orders = 0;
  /** The next trade_history id. */
  nextHistoryId(): number {
    return ++this.history;
  }
  /** The next exchange order id. */
  nextExchangeOrderId(): string {
    return String(++this.exchangeOrder);
  }
}

/** One stream of lifecycles: a profile trading one symbol in one direction. */
export interface Stream {
  readonly spec: SymbolSpec;
  readonly direction: 'long' | 'short';
  /** The last traded price, in ticks; it walks as orders fill. */
  ticks: bigint;
}

/** What generating one profile needs: its random source, the run's counters and where rows go. */
export class ProfileContext {
  readonly rng: Prng;
  readonly counters: RunCounters;
  readonly sink: RowSink;
  readonly profileId: string;
  #orderSeq = 0;
  #tradeSeq = 0;

  constructor(rng: Prng, counters: RunCounters, sink: RowSink, profileId: string) {
    this.rng = rng;
    this.counters = counters;
    this.sink = sink;
    this.profileId = profileId;
  }

  /** A new order id: `<profile>-o0000001` for bot rows, `m` manual, `l` legacy. */
  nextOrderId(kind: 'o' | 'm' | 'l'): string {
    return `${this.profileId}-${kind}${String(++this.#orderSeq).padStart(7, '0')}`;
  }

  /** A fresh, well-formed trade id, unique in the profile. */
  nextTradeId(): string {
    return `TRD-${this.rng.hex8()}-${this.profileId}-${++this.#tradeSeq}`;
  }

  /** Writes an order row and counts it. */
  order(row: OrderRow): void {
    this.counters.orders++;
    this.sink.order(row);
  }

  /** Writes the exchange's fills of one order: 1–3 fills adding up to `units`, the last at `filledAt`. */
  fills(
    stream: Stream,
    exchangeOrderId: string,
    clientOrderId: string | null,
    side: 'buy' | 'sell',
    units: bigint,
    decimals: number,
    price: string,
    filledAt: number,
  ): void {
    const parts = splitUnits(this.rng, units, this.rng.between(1, 3));
    parts.forEach((part, i) => {
      const row: FillRow = {
        id: ++this.counters.fill,
        profileId: this.profileId,
        symbol: stream.spec.symbol,
        exchangeOrderId,
        exchangeTradeId: String(++this.counters.exchangeTrade),
        clientOrderId,
        side,
        quantity: formatUnits(part, decimals),
        price,
        // Earlier partial fills a few hundred milliseconds apart; the last one is the order's fill time.
        filledAt: filledAt - (parts.length - 1 - i) * (200 + this.rng.below(800)),
      };
      this.sink.fill(row);
    });
  }

  /** Moves the stream's price by up to ±0.8 % and returns it as a decimal string. */
  walkPrice(stream: Stream): string {
    const delta = BigInt(this.rng.between(-8, 8));
    const next = stream.ticks + (stream.ticks * delta) / 1000n;
    stream.ticks = next < 1n ? 1n : next;
    return formatUnits(stream.ticks, stream.spec.priceDecimals);
  }
}
