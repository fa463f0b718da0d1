import { Decimal } from 'decimal.js';
import type { Database } from '../db/port.ts';
import { errorMessage } from '../errors.ts';
import { requireBotLedger } from '../lifecycle/require-schema.ts';
import type { EvidenceFill, EvidencePosition, EvidenceQuery, EvidenceResult, EvidenceSource } from './port.ts';
import { EVIDENCE_TABLES } from '../packs/bot-ledger/tables.ts';

interface FillRow {
  readonly profile_id: string;
  readonly id: string;
  readonly symbol: string;
  readonly exchange_order_id: string | null;
  readonly exchange_trade_id: string;
  readonly client_order_id: string | null;
  readonly side: string | null;
  readonly quantity: string;
  readonly price: string | null;
  readonly filled_at: Date | string;
}

interface PositionRow {
  readonly profile_id: string;
  readonly symbol: string;
  readonly quantity: string;
  readonly observed_at: Date | string;
}

// Quantities come back as text so that NUMERIC keeps every digit on its way into Decimal;
// profile_id leads every WHERE because it is the ledger's distribution key (see DESIGN.md).
// The = ANY conditions let the planner walk the (profile_id, symbol, …) indexes instead of hashing
// the tables against the key list; the join keeps exactly the pairs asked for.
const FILLS_SQL = `SELECT f.profile_id, f.id::text AS id, f.symbol, f.exchange_order_id, f.exchange_trade_id, f.client_order_id, f.side,
       f.quantity::text AS quantity, f.price::text AS price, f.filled_at
  FROM exchange_fills f
  JOIN unnest($1::text[], $2::text[]) AS k(p, s) ON f.profile_id = k.p AND f.symbol = k.s
 WHERE f.profile_id = ANY ($1::text[]) AND f.symbol = ANY ($2::text[])
   AND f.filled_at >= $3::timestamptz AND f.filled_at <= $4::timestamptz
 ORDER BY f.profile_id, f.filled_at, f.exchange_trade_id`;

const POSITIONS_SQL = `SELECT e.profile_id, e.symbol, e.quantity::text AS quantity, e.observed_at
  FROM exchange_positions e
  JOIN unnest($1::text[], $2::text[]) AS k(p, s) ON e.profile_id = k.p AND e.symbol = k.s
 WHERE e.profile_id = ANY ($1::text[]) AND e.symbol = ANY ($2::text[])`;

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Turns one exchange_fills row into a fill, or says why the row cannot serve as evidence. */
function toFill(profileId: string, row: FillRow): EvidenceFill | string {
  const where = `exchange_fills id ${row.id} (trade ${row.exchange_trade_id})`;
  const side = row.side?.trim().toLowerCase();
  if (side !== 'buy' && side !== 'sell') return `${where}: side ${row.side === null ? 'is null' : `'${row.side}' is not buy or sell`}`;
  // The backfill's idempotency key and the EXIT match both need the order id; a fill without one cannot be used.
  if (row.exchange_order_id === null || row.exchange_order_id.trim() === '') return `${where}: exchange_order_id is empty`;
  return {
    profileId,
    symbol: row.symbol,
    exchangeOrderId: row.exchange_order_id,
    exchangeTradeId: row.exchange_trade_id,
    clientOrderId: row.client_order_id === null || row.client_order_id.trim() === '' ? null : row.client_order_id,
    side,
    quantity: new Decimal(row.quantity),
    price: row.price === null ? null : new Decimal(row.price),
    filledAt: toDate(row.filled_at),
  };
}

/**
 * Reads the mirror for several profiles over one window in two statements (fills, positions),
 * whatever the number of profiles, so that a cycle costs the same round trips for one or a
 * hundred. A failed query or an unusable row makes that profile's result incomplete.
 */
async function gatherFromTables(db: Database, queries: readonly EvidenceQuery[]): Promise<Map<string, EvidenceResult>> {
  const results = new Map<string, { fills: EvidenceFill[]; positions: Map<string, EvidencePosition>; problems: string[] }>();
  const pairs: [string, string][] = [];
  for (const query of queries) {
    results.set(query.profileId, { fills: [], positions: new Map(), problems: [] });
    for (const symbol of new Set(query.symbols)) pairs.push([query.profileId, symbol]);
  }
  const everyone = (problem: string) => {
    for (const result of results.values()) result.problems.push(problem);
  };
  const first = queries[0];
  if (pairs.length > 0 && first !== undefined) {
    const keys = [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
    try {
      for (const row of await db.query<FillRow>(FILLS_SQL, [...keys, first.since.toISOString(), first.until.toISOString()])) {
        const result = results.get(row.profile_id)!;
        const fill = toFill(row.profile_id, row);
        if (typeof fill === 'string') result.problems.push(fill);
        else result.fills.push(fill);
      }
    } catch (error) {
      everyone(`exchange_fills could not be read: ${errorMessage(error)}`);
    }
    try {
      for (const row of await db.query<PositionRow>(POSITIONS_SQL, keys)) {
        results.get(row.profile_id)!.positions.set(row.symbol, {
          profileId: row.profile_id,
          symbol: row.symbol,
          quantity: new Decimal(row.quantity),
          observedAt: toDate(row.observed_at),
        });
      }
    } catch (error) {
      everyone(`exchange_positions could not be read: ${errorMessage(error)}`);
    }
  }
  // The mirror is the bot's own record of the exchange: its fills are complete unless a read failed
  // or a row was unusable. A symbol never observed is simply absent from `positions`, which the
  // decision treats as incomplete evidence for that symbol alone.
  return new Map(
    [...results].map(([profileId, r]) => [profileId, { fills: r.fills, positions: r.positions, complete: r.problems.length === 0, problems: r.problems }]),
  );
}

/** Groups queries by their window, so that each window is read in one pass. */
async function gatherByWindow(db: Database, queries: readonly EvidenceQuery[]): Promise<Map<string, EvidenceResult>> {
  const windows = new Map<string, EvidenceQuery[]>();
  for (const query of queries) {
    const key = `${query.since.toISOString()}/${query.until.toISOString()}`;
    windows.set(key, [...(windows.get(key) ?? []), query]);
  }
  const all = new Map<string, EvidenceResult>();
  for (const group of windows.values()) for (const [profileId, result] of await gatherFromTables(db, group)) all.set(profileId, result);
  return all;
}

/**
 * The `table` evidence source: exchange_fills and exchange_positions of the bot-ledger pack in the
 * ledger database itself. Refuses (UsageError) a database without those tables.
 */
export async function tableEvidence(db: Database): Promise<EvidenceSource> {
  await requireBotLedger(db, EVIDENCE_TABLES);
  return {
    kind: 'table',
    gather: async (query) => (await gatherFromTables(db, [query])).get(query.profileId)!,
    gatherMany: (queries) => gatherByWindow(db, queries),
    // The database belongs to the caller, who opened it for the whole cycle.
    close: async () => {},
  };
}
