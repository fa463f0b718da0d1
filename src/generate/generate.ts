import type { Database, Queryable } from '../db/port.ts';
import { SafetyError, UsageError } from '../errors.ts';
import { requireBotLedger } from '../lifecycle/require-schema.ts';
import { RunCounters } from './context.ts';
import { ExpectedBuilder, type Expected } from './expected.ts';
import { BatchLoader } from './loader.ts';
import { generateOptions, type GenerateInput, type GenerateOptions } from './options.ts';
import { AnomalyScheduler, apportion } from './plan.ts';
import { generateProfile } from './profile.ts';
import { Prng, seedOf } from './prng.ts';
import type { RowSink } from './rows.ts';
import { EXCHANGE_FILLS, EXCHANGE_POSITIONS, GENERATED_TABLES, ORDERS, POSITIONS, TRADE_HISTORY, TRADING_STATUS } from './tables.ts';
import { GUARDRAILS } from '../packs/bot-ledger/tables.ts';

/** Progress after each statement. */
export interface GenerateProgress {
  readonly orders: number;
  readonly ordersTotal: number;
  /** Rows written so far, every table. */
  readonly rows: number;
}

/** What a run wrote and how fast. */
export interface GenerateSummary {
  readonly seed: string;
  readonly profiles: number;
  readonly anomalyRate: string;
  readonly endAt: string;
  /** Rows per table. */
  readonly rows: Readonly<Record<string, number>>;
  readonly lifecycles: number;
  readonly openLifecycles: number;
  /** Injections made; `unplaced` were triggered too late in the data to find a place. */
  readonly injected: number;
  readonly unplaced: number;
  readonly elapsedMs: number;
  readonly rowsPerSecond: number;
}

/** The summary, and what the tools must find in the generated ledger. */
export interface GenerateResult {
  readonly summary: GenerateSummary;
  readonly expected: Expected;
}

// Migration 007's guardrails reject blank, malformed and missing trade_ids on bot rows.
const GUARDRAIL_NAMES = GUARDRAILS.map((g) => g.name);

/** Which lane writes a table: with two, orders go on one and every other table on the other (about half the work each). */
function laneOf(lanes: number): (table: string) => number {
  return (table) => (lanes > 1 && table !== ORDERS.name ? 1 : 0);
}

/**
 * Runs `fn` with `count` transactions open, each on its own connection, nested: when `fn` resolves
 * they commit innermost first, and when it (or a commit) throws, every one not yet committed rolls back.
 */
function inTransactions<T>(db: Database, count: number, fn: (txs: Queryable[]) => Promise<T>, open: Queryable[] = []): Promise<T> {
  return open.length === count ? fn(open) : db.transaction((tx) => inTransactions(db, count, fn, [...open, tx]));
}

async function checkTarget(txs: readonly Queryable[], db: Database, options: GenerateOptions): Promise<void> {
  // Two generators on one ledger wait for each other here; readers are not held up. Each table is
  // locked by the transaction that writes it.
  const lane = laneOf(txs.length);
  for (const [i, tx] of txs.entries()) {
    const mine = GENERATED_TABLES.filter((t) => lane(t) === i);
    if (mine.length > 0) await tx.exec(`LOCK TABLE ${mine.join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
  }
  const tx = txs[0]!;
  const filled = await tx.query<{ name: string }>(
    `SELECT name FROM (VALUES ${GENERATED_TABLES.map((t, i) => `(${i}, '${t}', EXISTS (SELECT 1 FROM ${t}))`).join(', ')}) AS v(n, name, nonempty) WHERE nonempty ORDER BY n`,
  );
  if (filled.length > 0) {
    throw new SafetyError(
      `${db.url} already holds rows in ${filled.map((r) => r.name).join(', ')}: generate only fills an empty ledger; create a new database and run 'tradeledger migrate up --pack bot-ledger --to 6' on it`,
      'LEDGER_NOT_EMPTY',
    );
  }
  if (options.anomalyPpm === 0) return;
  const guards = await tx.query<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE conname = ANY ($1::text[]) ORDER BY conname`, [GUARDRAIL_NAMES]);
  if (guards.length > 0) {
    throw new UsageError(
      `${db.url} has bot-ledger 007's guardrails (${guards.map((g) => g.conname).join(', ')}), which reject the injected anomalies: generate into a version-6 ledger ('migrate up --pack bot-ledger --to 6'), run 'tradeledger lifecycle loosen' first, or pass --anomaly-rate 0`,
      'GUARDRAILS_IN_PLACE',
    );
  }
}

/**
 * Fills an empty bot-ledger database with reproducible history (the same options give the same
 * rows, byte for byte) and returns what the lifecycle report, the backfill and reconciliation must
 * find in it. Everything is written in one transaction per connection, committed together at the
 * end: a failure leaves the ledger empty.
 */
export async function generateLedger(db: Database, input: GenerateInput, onProgress?: (progress: GenerateProgress) => void): Promise<GenerateResult> {
  const options = generateOptions(input);
  // PostgreSQL writes orders and the other tables on two connections at once; PGlite has one.
  const lanes = input.connections ?? (db.capabilities.concurrentSessions ? 2 : 1);
  await requireBotLedger(db, GENERATED_TABLES);
  const started = performance.now();
  const rows: Record<string, number> = Object.fromEntries(GENERATED_TABLES.map((t) => [t, 0]));
  let written = 0;
  const expected = new ExpectedBuilder();
  const counters = new RunCounters();
  let lifecycles = 0;
  let openLifecycles = 0;
  const scheduler = new AnomalyScheduler(new Prng(seedOf(options.seed, 0)), options.anomalyPpm);
  await inTransactions(db, lanes, async (txs) => {
    await checkTarget(txs, db, options);
    const loader = new BatchLoader(txs, laneOf(lanes), options.batchRows, (table, n) => {
      rows[table] = (rows[table] ?? 0) + n;
      written += n;
      onProgress?.({ orders: rows['orders'] ?? 0, ordersTotal: options.orders, rows: written });
    });
    const sink: RowSink = {
      order: (row) => loader.add(ORDERS, row),
      history: (row) => loader.add(TRADE_HISTORY, row),
      position: (row) => loader.add(POSITIONS, row),
      status: (row) => loader.add(TRADING_STATUS, row),
      fill: (row) => loader.add(EXCHANGE_FILLS, row),
      exchangePosition: (row) => loader.add(EXCHANGE_POSITIONS, row),
    };
    const master = new Prng(seedOf(options.seed, 0x9e3779b9));
    // Some profiles trade up to four times as much as others; the budgets add up to --orders exactly.
    const budgets = apportion(
      options.orders,
      Array.from({ length: options.profiles }, () => master.between(1, 4)),
    );
    const width = Math.max(4, String(options.profiles).length);
    for (const [index, budget] of budgets.entries()) {
      const outcome = await generateProfile({
        index,
        profileId: `p${String(index + 1).padStart(width, '0')}`,
        budget,
        seed: options.seed,
        endAt: options.endAt.getTime(),
        scheduler,
        counters,
        sink,
        checkpoint: () => loader.flushFull(),
      });
      expected.add(outcome);
      for (const stream of outcome.streams) {
        lifecycles += stream.lifecycles;
        if (stream.finalOpen) openLifecycles++;
      }
    }
    await loader.finish();
    if (counters.orders !== options.orders) throw new Error(`generate wrote ${counters.orders} orders rows where ${options.orders} were asked for`);
    // Ids were given explicitly: move the identity sequences past them for whoever inserts next.
    for (const table of [TRADE_HISTORY.name, EXCHANGE_FILLS.name]) {
      await txs[laneOf(lanes)(table)]!.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), max(id)) FROM ${table} HAVING max(id) IS NOT NULL`);
    }
  });
  const elapsedMs = Math.round(performance.now() - started);
  const built = expected.build(options.endAt);
  return {
    summary: {
      seed: options.seed,
      profiles: options.profiles,
      anomalyRate: options.anomalyRate,
      endAt: options.endAt.toISOString(),
      rows,
      lifecycles,
      openLifecycles,
      injected: built.injections.length,
      unplaced: scheduler.unplaced,
      elapsedMs,
      rowsPerSecond: elapsedMs === 0 ? written : Math.round((written * 1000) / elapsedMs),
    },
    expected: built,
  };
}
