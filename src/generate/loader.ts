import type { Queryable } from '../db/port.ts';
import { insertSql, type TableSpec } from './tables.ts';

/**
 * A PostgreSQL array literal of text values (`{"a",null,"b\\"c"}`), cast in SQL to the column's
 * array type. Built here rather than by the driver because it is several times faster, and so
 * that it happens while the previous statement is still running. JSON's quoting is the array
 * literal's as long as no value holds a control character (JSON writes `\n` where the literal
 * needs the character itself); such a column takes the slow path.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  const json = JSON.stringify(values);
  if (!/\\[^"\\]/.test(json)) return `{${json.slice(1, -1)}}`;
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ',';
    if (value === null || value === undefined) {
      out += 'NULL';
      continue;
    }
    const text = String(value);
    out += text.includes('"') || text.includes('\\') ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`;
  }
  return `${out}}`;
}

interface Buffer {
  readonly spec: TableSpec<never>;
  readonly sql: string;
  readonly lane: Lane;
  columns: unknown[][];
  rows: number;
}

/** A connection (in its own transaction) and the statement it is running. */
interface Lane {
  readonly db: Queryable;
  inflight: Promise<void>;
}

/**
 * Collects rows per table in column arrays and sends each table's rows as one multi-row INSERT of
 * unnested arrays once `batchRows` are waiting. Each table is written on one lane (a connection in
 * its own transaction); a lane runs one statement at a time while the caller goes on generating,
 * and lanes run side by side. A failed statement fails the next call.
 */
export class BatchLoader {
  readonly #lanes: readonly Lane[];
  readonly #laneOf: (table: string) => number;
  readonly #batchRows: number;
  readonly #buffers = new Map<string, Buffer>();
  readonly #onInserted: (table: string, rows: number) => void;
  #failed: { error: unknown } | undefined;

  constructor(lanes: readonly Queryable[], laneOf: (table: string) => number, batchRows: number, onInserted: (table: string, rows: number) => void) {
    this.#lanes = lanes.map((db) => ({ db, inflight: Promise.resolve() }));
    this.#laneOf = laneOf;
    this.#batchRows = batchRows;
    this.#onInserted = onInserted;
  }

  /** Queues one row. */
  add<T>(spec: TableSpec<T>, row: T): void {
    let buffer = this.#buffers.get(spec.name);
    if (buffer === undefined) {
      const lane = this.#lanes[this.#laneOf(spec.name)] ?? this.#lanes[0]!;
      buffer = { spec: spec as TableSpec<never>, sql: insertSql(spec as TableSpec<never>), lane, columns: spec.columns.map(() => []), rows: 0 };
      this.#buffers.set(spec.name, buffer);
    }
    const values = spec.values(row);
    for (let i = 0; i < values.length; i++) buffer.columns[i]!.push(values[i]);
    buffer.rows++;
  }

  /** Sends every table whose batch is full. */
  async flushFull(): Promise<void> {
    for (const buffer of this.#buffers.values()) if (buffer.rows >= this.#batchRows) await this.#send(buffer);
    this.#throwIfFailed();
  }

  /** Sends what is left and waits for the last statement. */
  async finish(): Promise<void> {
    for (const buffer of this.#buffers.values()) if (buffer.rows > 0) await this.#send(buffer);
    await Promise.all(this.#lanes.map((lane) => lane.inflight));
    this.#throwIfFailed();
  }

  async #send(buffer: Buffer): Promise<void> {
    const { columns, rows } = buffer;
    buffer.columns = buffer.spec.columns.map(() => []);
    buffer.rows = 0;
    const params = columns.map(arrayLiteral);
    const { lane } = buffer;
    await lane.inflight;
    this.#throwIfFailed();
    // Not awaited here: the next batch is generated while this one is written.
    lane.inflight = lane.db.query(buffer.sql, params).then(
      () => this.#onInserted(buffer.spec.name, rows),
      (error: unknown) => {
        this.#failed = { error };
      },
    );
  }

  #throwIfFailed(): void {
    if (this.#failed !== undefined) throw this.#failed.error;
  }
}
