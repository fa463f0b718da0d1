import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { createTestDatabase, type TestDatabase } from './databases.ts';

const SCHEMA_DIR = new URL('../fixtures/freqtrade/', import.meta.url);

/** freqtrade's own DDL for `kind` (test/fixtures/freqtrade/schema-*.sql, written down from freqtrade 2024.9 / c9ae5e1). */
export function freqtradeDdl(kind: 'sqlite' | 'postgres'): string {
  return readFileSync(new URL(`schema-${kind}.sql`, SCHEMA_DIR), 'utf8');
}

type Value = string | number | boolean | null;

/** A trades row with freqtrade's defaults for what a test leaves out. */
export function tradeRow(fields: Record<string, Value> & { id: number; pair: string }): Record<string, Value> {
  return {
    exchange: 'binance',
    base_currency: fields.pair.split('/')[0] ?? null,
    stake_currency: 'USDT',
    is_open: true,
    fee_open: 0.001,
    fee_close: 0.001,
    open_rate: 1,
    stake_amount: 1,
    amount: 1,
    open_date: '2026-01-10 12:00:00.000000',
    is_stop_loss_trailing: false,
    is_short: false,
    interest_rate: 0,
    leverage: 1,
    trading_mode: 'SPOT',
    realized_profit: 0,
    funding_fees: 0,
    strategy: 'SampleStrategy',
    timeframe: 5,
    ...fields,
  };
}

/** An orders row with freqtrade's defaults: a closed, fully filled order. */
export function orderRow(
  fields: Record<string, Value> & { id: number; ft_trade_id: number; ft_pair: string; order_id: string; ft_order_side: string },
): Record<string, Value> {
  const amount = (fields['amount'] ?? fields['filled'] ?? 1) as number;
  const price = (fields['price'] ?? 1) as number;
  return {
    ft_is_open: false,
    ft_amount: amount,
    ft_price: price,
    status: 'closed',
    symbol: fields.ft_pair,
    order_type: 'limit',
    side: fields.ft_order_side === 'stoploss' ? 'sell' : fields.ft_order_side,
    price,
    average: price,
    amount,
    filled: amount,
    remaining: 0,
    cost: amount * price,
    order_date: '2026-01-10 12:00:00.000000',
    order_filled_date: '2026-01-10 12:00:01.000000',
    funding_fee: 0,
    ...fields,
  };
}

/** Inserts a row with the adapter's parameters (booleans become 0/1 on SQLite, as freqtrade stores them). */
export async function insertRow(db: Database, table: 'trades' | 'orders', row: Record<string, Value>): Promise<void> {
  const columns = Object.keys(row);
  const values = columns.map((c) => row[c] ?? null);
  await db.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, values);
}

/** A new freqtrade database of `kind` with freqtrade's schema: on SQLite in WAL mode and without foreign keys, as freqtrade runs it. */
export async function createFreqtradeDatabase(kind: 'sqlite' | 'postgres'): Promise<{ test: TestDatabase; db: Database }> {
  const test = await createTestDatabase(kind);
  const db = await openDatabase(test.url);
  if (kind === 'sqlite') await db.exec('PRAGMA journal_mode = wal; PRAGMA foreign_keys = OFF;');
  await db.exec(freqtradeDdl(kind));
  return { test, db };
}

/** Reads a whole table as plain rows, floats as numbers, for before/after comparisons. */
export async function dumpTable(db: Database, table: string): Promise<unknown[]> {
  const rows = await db.query(`SELECT * FROM ${table} ORDER BY id`);
  return rows.map((r) => JSON.parse(JSON.stringify(r, (_, v) => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? String(v) : v))));
}

/** Both freqtrade tables as plain rows, trades then orders: what a test compares before and after a run. */
export async function freqtradeRows(db: Database): Promise<unknown[][]> {
  return [await dumpTable(db, 'trades'), await dumpTable(db, 'orders')];
}

/** freqtradeRows of the database at `url`, opened for the read only. */
export async function freqtradeRowsAt(url: string): Promise<unknown[][]> {
  const db = await openDatabase(url);
  try {
    return await freqtradeRows(db);
  } finally {
    await db.close();
  }
}

/** A process that keeps the SQLite file open (in the real /proc), as a running freqtrade does; resolves once it has. */
export async function holdOpen(file: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(file)}); db.prepare('SELECT 1 FROM trades').get(); console.log('open'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'open');
  return child;
}
