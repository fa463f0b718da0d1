import pg from 'pg';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { loadConfig } from '../../src/config/load.ts';
import { engineSettings, type EngineSettings } from '../../src/migrate/settings.ts';
import type { ShortTransactionSettings } from '../../src/lifecycle/short-transaction.ts';
import type { RunningPostgres } from '../../tools/embedded-postgres.ts';

/** Sizes of one benchmark run. */
export interface Sizes {
  readonly orders: number;
  readonly profiles: number;
  readonly ghosts: number;
  readonly sqliteRows: number;
  readonly executionOrders: number;
  readonly runs: number;
}

/** The full workload the issue asks for, and a small one for a smoke check. */
export const FULL: Sizes = { orders: 2_000_000, profiles: 10_000, ghosts: 10_000, sqliteRows: 1_000_000, executionOrders: 1_000_000, runs: 3 };
export const QUICK: Sizes = { orders: 40_000, profiles: 500, ghosts: 500, sqliteRows: 20_000, executionOrders: 20_000, runs: 3 };

/** One figure of the results table. */
export interface Figure {
  readonly bench: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly met?: boolean;
  readonly note?: string;
}

/** What every benchmark gets. */
export interface BenchContext {
  readonly server: RunningPostgres;
  readonly sizes: Sizes;
  readonly scratch: string;
  log(message: string): void;
}

/** The URL of database `name` on the benchmark server. */
export function databaseUrl(server: RunningPostgres, name: string): string {
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs SQL as the superuser on the `postgres` database (CREATE / DROP DATABASE). */
export async function admin(server: RunningPostgres, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh copy of a template database (a file copy on the server: seconds, not a reload). */
export async function copyDatabase(server: RunningPostgres, template: string, name: string): Promise<string> {
  await admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(server, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  return databaseUrl(server, name);
}

/** Opens a database of the benchmark server, runs `fn`, closes it. */
export async function withDb<T>(server: RunningPostgres, name: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(databaseUrl(server, name));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Engine settings with no backup and no prompts. */
export function settings(): EngineSettings {
  return { ...engineSettings(loadConfig({ env: {} }).config), createBackup: false };
}

/** Job settings for backfill and tighten. */
export function jobSettings(): ShortTransactionSettings {
  return { lockTimeoutMs: 2000, retry: { tries: 5, baseDelayMs: 200 } };
}
