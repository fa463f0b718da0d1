import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { withDatabase } from '../db/open.ts';
import { generateLedger, type GenerateProgress, type GenerateResult } from '../generate/generate.ts';
import { DEFAULT_ANOMALY_RATE, DEFAULT_BATCH_ROWS, DEFAULT_END_AT } from '../generate/options.ts';
import { resolveConfig, resolveUrl, withDatabaseFlags, type DatabaseFlags } from './context.ts';
import { json, table } from './format.ts';
import type { CliIo } from './io.ts';

type Flags = DatabaseFlags & {
  readonly profiles?: string;
  readonly orders?: string;
  readonly anomalyRate?: string;
  readonly seed?: string;
  readonly endAt?: string;
  readonly batchRows?: string;
  readonly expected?: boolean;
};

/** A progress bar on a terminal; elsewhere (a pipe, a log) a line at every tenth of the orders. */
function progressReporter(io: CliIo): { update: (p: GenerateProgress) => void; stop: () => void } {
  if (process.stderr.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'generate [{bar}] {percentage}% | {value}/{total} orders | {rows} rows | {eta_formatted} left', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        if (!started) bar.start(p.ordersTotal, 0, { rows: 0 });
        started = true;
        bar.update(p.orders, { rows: p.rows });
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let nextTenth = 1;
  return {
    update: (p) => {
      while (p.ordersTotal > 0 && p.orders * 10 >= p.ordersTotal * nextTenth && nextTenth <= 10) {
        io.err(`generate: ${nextTenth * 10} % (${p.orders}/${p.ordersTotal} orders, ${p.rows} rows)`);
        nextTenth++;
      }
    },
    stop: () => undefined,
  };
}

function printSummary(io: CliIo, result: GenerateResult): void {
  const { summary, expected } = result;
  io.out(
    `seed ${summary.seed}: ${summary.profiles} profile(s), ${summary.lifecycles} lifecycles (${summary.openLifecycles} open), history to ${summary.endAt}`,
  );
  io.out(
    table(
      ['table', 'rows'],
      Object.entries(summary.rows).map(([name, n]) => [name, n]),
    ),
  );
  const total = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  io.out(`\n${total} rows in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.rowsPerSecond} rows/s)`);
  const byKind = new Map<string, number>();
  for (const i of expected.injections) byKind.set(i.injection, (byKind.get(i.injection) ?? 0) + 1);
  io.out(`\n${summary.injected} injected anomalies at rate ${summary.anomalyRate}${summary.unplaced > 0 ? ` (${summary.unplaced} more found no place)` : ''}:`);
  if (byKind.size > 0)
    io.out(
      table(
        ['injection', 'count'],
        [...byKind.entries()].sort().map(([kind, n]) => [kind, n]),
      ),
    );
  const closes = expected.recon.decisions.filter((d) => d.decision === 'close').length;
  io.out(
    `\nexpected: ${expected.anomalies.length} report anomalies, ${expected.backfill.assigned} trade_id(s) for the backfill, ${closes} ghost(s) recon closes at ${expected.recon.now}; print them with --expected`,
  );
}

async function generate(io: CliIo, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  await withDatabase(resolveUrl(config), async (db) => {
    const progress = progressReporter(io);
    let result: GenerateResult;
    try {
      result = await generateLedger(
        db,
        { profiles: flags.profiles, orders: flags.orders, anomalyRate: flags.anomalyRate, seed: flags.seed, endAt: flags.endAt, batchRows: flags.batchRows },
        progress.update,
      );
    } finally {
      progress.stop();
    }
    if (flags.expected === true) return io.out(json(result.expected));
    if (flags.json === true) return io.out(json(result));
    printSummary(io, result);
  });
}

/** `tradeledger generate`: reproducible sample history with injected anomalies, and what the tools must find in it. */
export function generateCommand(io: CliIo): Command {
  return withDatabaseFlags(new Command('generate'))
    .description('fill an empty bot-ledger database with reproducible sample history, anomalies injected at a known rate')
    .option('--profiles <n>', 'profiles to generate (default 20)')
    .option('--orders <m>', 'orders rows in all, exactly (default 10000)')
    .option('--anomaly-rate <r>', `fraction of lifecycles given an anomaly (default ${DEFAULT_ANOMALY_RATE})`)
    .option('--seed <text>', 'the same seed and options give the same rows (default 1)')
    .option('--end-at <time>', `ISO-8601 time the history ends at; recon's evidence lies in the 48 h before it (default ${DEFAULT_END_AT})`)
    .option('--batch-rows <n>', `rows per INSERT statement (default ${DEFAULT_BATCH_ROWS})`)
    .option('--expected', 'print what the report, the backfill and recon must find, as JSON')
    .action((flags: Flags) => generate(io, flags));
}
