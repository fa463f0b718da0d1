import { Decimal } from 'decimal.js';
import type { Database } from '../db/port.ts';
import { errorMessage } from '../errors.ts';
import { requireBotLedger } from '../lifecycle/require-schema.ts';
import type { EvidenceFill, EvidencePosition, EvidenceQuery, EvidenceResult, EvidenceSource } from './port.ts';

interface FillRow {
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
  readonly symbol: string;
  readonly quantity: string;
  readonly observed_at: Date | string;
}

// Quantities come back as text so that NUMERIC keeps every digit on its way into Decimal;
// profile_id leads every WHERE because it is the ledger's distribution key (see DESIGN.md).
const FILLS_SQL = `SELECT id::text AS id, symbol, exchange_order_id, exchange_trade_id, client_order_id, side,
       quantity::text AS quantity, price::text AS price, filled_at
  FROM exchange_fills
 WHERE profile_id = $1 AND symbol = ANY($2::text[])
   AND filled_at >= $3::timestamptz AND filled_at <= $4::timestamptz
 ORDER BY filled_at, exchange_trade_id`;

const POSITIONS_SQL = `SELECT symbol, quantity::text AS quantity, observed_at
  FROM exchange_positions
 WHERE profile_id = $1 AND symbol = ANY($2::text[])`;

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

/** Reads the whole mirror for one query; a failed query or an unusable row makes the result incomplete. */
async function gatherFromTables(db: Database, query: EvidenceQuery): Promise<EvidenceResult> {
  const fills: EvidenceFill[] = [];
  const positions = new Map<string, EvidencePosition>();
  const problems: string[] = [];
  if (query.symbols.length === 0) return { fills, positions, complete: true, problems };
  const symbols = [...new Set(query.symbols)];
  try {
    const rows = await db.query<FillRow>(FILLS_SQL, [query.profileId, symbols, query.since.toISOString(), query.until.toISOString()]);
    for (const row of rows) {
      const fill = toFill(query.profileId, row);
      if (typeof fill === 'string') problems.push(fill);
      else fills.push(fill);
    }
  } catch (error) {
    problems.push(`exchange_fills could not be read: ${errorMessage(error)}`);
  }
  try {
    const rows = await db.query<PositionRow>(POSITIONS_SQL, [query.profileId, symbols]);
    for (const row of rows) {
      positions.set(row.symbol, { profileId: query.profileId, symbol: row.symbol, quantity: new Decimal(row.quantity), observedAt: toDate(row.observed_at) });
    }
  } catch (error) {
    problems.push(`exchange_positions could not be read: ${errorMessage(error)}`);
  }
  // The mirror is the bot's own record of the exchange: its fills are complete unless a read failed
  // or a row was unusable. A symbol never observed is simply absent from `positions`, which the
  // decision treats as incomplete evidence for that symbol alone.
  return { fills, positions, complete: problems.length === 0, problems };
}

/**
 * The `table` evidence source: exchange_fills and exchange_positions of the bot-ledger pack in the
 * ledger database itself. Refuses (UsageError) a database without those tables.
 */
export async function tableEvidence(db: Database): Promise<EvidenceSource> {
  await requireBotLedger(db, ['exchange_fills', 'exchange_positions']);
  return {
    kind: 'table',
    gather: (query) => gatherFromTables(db, query),
    // The database belongs to the caller, who opened it for the whole cycle.
    close: async () => {},
  };
}
