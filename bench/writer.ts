// A bot's writer for the benchmarks: inserts a new order and updates an existing one, over and
// over, on its own connection, and prints each operation's start time and latency when told to
// stop (SIGTERM). It runs as a separate process so that its timings do not share an event loop
// with the migration being measured.
import pg from 'pg';

const [url, existingRows] = process.argv.slice(2);
if (url === undefined || existingRows === undefined) throw new Error('usage: writer.ts URL EXISTING_LIFECYCLES');
const client = new pg.Client({ connectionString: url, application_name: 'bench-writer' });
await client.connect();
const samples: [number, number][] = [];
let errors = 0;
let stop = false;
process.once('SIGTERM', () => (stop = true));
let n = 0;
const origin = performance.timeOrigin;
process.stdout.write('ready\n');
while (!stop) {
  n++;
  const id = `w${process.pid}-${n}`;
  for (const [sql, params] of [
    [
      `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, price, source, filled_at)
       VALUES ($1, 'writer', 'BTC', $2, 'ENTRY', 'buy', 'filled', 1, 100, 'bot', now())`,
      [id, `TRD-${id}`],
    ],
    [`UPDATE orders SET updated_at = now() WHERE order_id = $1`, [`o${1 + ((n * 7919) % Number(existingRows))}e`]],
  ] as const) {
    const started = performance.now();
    try {
      await client.query(sql, [...params]);
    } catch {
      errors++;
    }
    samples.push([origin + started, performance.now() - started]);
  }
}
await client.end();
process.stdout.write(`${JSON.stringify({ errors, samples })}\n`);
