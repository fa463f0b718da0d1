import { Command, Option } from 'commander';
import { withDatabase } from '../db/open.ts';
import type { Database } from '../db/port.ts';
import { runBackfill, type BackfillSummary } from '../lifecycle/backfill.ts';
import { listBackfillBatches, revertBackfill } from '../lifecycle/backfill-revert.ts';
import { lifecycleReport, type LifecycleReport } from '../lifecycle/report.ts';
import { requireBotLedger } from '../lifecycle/require-schema.ts';
import { compareSnapshots, readSnapshot, takeSnapshot } from '../lifecycle/snapshot.ts';
import { loosen, tighten } from '../lifecycle/tighten.ts';
import type { Config } from '../config/schema.ts';
import { integerArgument, resolveConfig, resolveJobSettings, resolveSettings, resolveUrl, withDatabaseFlags, type DatabaseFlags } from './context.ts';
import { csv } from './csv.ts';
import { addSummariesCommand } from './summaries-command.ts';
import { json, table } from './format.ts';
import type { CliIo } from './io.ts';
import { freqtradeLifecycleReport, LEDGER_CHOICES, ledgerOf } from './freqtrade-command.ts';
import { customLifecycleReport } from '../ledgers/custom/report.ts';

type Flags = DatabaseFlags & {
  readonly label?: string;
  readonly compare?: true | number;
  readonly apply?: boolean;
  readonly profile?: string;
  readonly revert?: string;
  readonly batches?: boolean;
  readonly batchRows?: number;
  readonly format?: 'table' | 'json' | 'csv';
  readonly force?: boolean;
  readonly ledger?: string;
};

async function onLedger(flags: Flags, fn: (db: Database, config: Config) => Promise<void>, readOnly = false): Promise<void> {
  const config = resolveConfig(flags);
  await withDatabase(
    resolveUrl(config),
    async (db) => {
      await requireBotLedger(db);
      await fn(db, config);
    },
    // A read-only command (report) never creates a database.
    { mustExist: readOnly },
  );
}

async function snapshot(io: CliIo, flags: Flags): Promise<void> {
  await onLedger(flags, async (db) => {
    const previous = flags.compare === undefined ? undefined : await readSnapshot(db, flags.compare === true ? undefined : flags.compare);
    const taken = await takeSnapshot(db, flags.label);
    const differences = previous === undefined ? undefined : compareSnapshots(previous, taken);
    if (flags.json === true) return io.out(json({ snapshot: taken, ...(previous === undefined ? {} : { comparedWith: previous.snapshotId, differences }) }));
    io.out(`snapshot ${taken.snapshotId} at ${taken.takenAt}${taken.label === null ? '' : ` (${taken.label})`}`);
    io.out(
      table(
        ['profile', 'orders', 'orders_missing_trade_id', 'orders_trade_ids', 'history', 'history_missing_trade_id', 'history_trade_ids'],
        taken.profiles.map((p) => [
          p.profileId === '*' ? 'total' : p.profileId,
          p.ordersTotal,
          p.ordersMissingTradeId,
          p.ordersDistinctTradeIds,
          p.historyTotal,
          p.historyMissingTradeId,
          p.historyDistinctTradeIds,
        ]),
      ),
    );
    if (previous !== undefined && differences !== undefined) {
      io.out(
        `\ncompared with snapshot ${previous.snapshotId} (${previous.takenAt}): ${differences.length === 0 ? 'no differences' : `${differences.length} difference(s)`}`,
      );
      if (differences.length > 0)
        io.out(
          table(
            ['profile', 'figure', 'before', 'after', 'change'],
            differences.map((d) => [
              d.profileId === '*' ? 'total' : d.profileId,
              d.figure,
              d.before,
              d.after,
              d.after - d.before > 0 ? `+${d.after - d.before}` : d.after - d.before,
            ]),
          ),
        );
    }
  });
}

function printBackfill(io: CliIo, summary: BackfillSummary): void {
  const verb = summary.applied ? 'changed' : 'would change';
  io.out(
    `${summary.applied ? `batch ${summary.batchId}${summary.resumed ? ' (resumed)' : ''}` : 'dry run (nothing written; --apply to write)'}: ${summary.partitions} partition(s) to visit`,
  );
  io.out(`  normalise blank trade_id → NULL: ${summary.normalised} row(s) ${verb}`);
  io.out(`  deterministic trade_id for bot ENTRY/EXIT rows: ${summary.assigned} row(s) ${verb}`);
  io.out(`  trade_history trade_id from its orders: ${summary.history} row(s) ${verb}`);
  io.out(`  orphan EXIT rows left NULL (see lifecycle report): ${summary.orphanExits.length}`);
  if (summary.sample.length > 0) {
    io.out(
      table(
        ['table', 'row', 'profile', 'step', 'old', 'new'],
        summary.sample.map((c) => [
          c.table,
          c.rowKey,
          c.profileId,
          c.step,
          c.oldTradeId === null ? 'NULL' : JSON.stringify(c.oldTradeId),
          c.newTradeId ?? 'NULL',
        ]),
      ),
    );
  }
  if (summary.applied && !summary.completed) io.out(`stopped before the end; run the same command again to resume batch ${summary.batchId}`);
  if (summary.applied && summary.batchId !== null) io.out(`undo with: tradeledger lifecycle backfill --revert ${summary.batchId}`);
}

async function backfill(io: CliIo, flags: Flags): Promise<void> {
  await onLedger(flags, async (db, config) => {
    const settings = resolveJobSettings(config);
    if (flags.batches === true) {
      const batches = await listBackfillBatches(db);
      if (flags.json === true) return io.out(json(batches));
      return io.out(
        table(
          ['batch', 'status', 'profile', 'rows_changed', 'started_at', 'finished_at', 'reverted_at'],
          batches.map((b) => [b.batchId, b.status, b.profileId ?? 'all', b.rowsChanged, b.startedAt, b.finishedAt, b.revertedAt]),
        ),
      );
    }
    if (flags.revert !== undefined) {
      const result = await revertBackfill(db, flags.revert, settings);
      if (flags.json === true) return io.out(json(result));
      return io.out(
        result.alreadyReverted
          ? `batch ${result.batchId} was already reverted; nothing changed`
          : `batch ${result.batchId} reverted: ${result.restored} value(s) restored, ${result.conflicts} changed since and left as they are`,
      );
    }
    const controller = new AbortController();
    const stop = () => {
      io.err('stopping after the current transaction …');
      controller.abort();
    };
    process.once('SIGINT', stop);
    let lastPrint = 0;
    try {
      const summary = await runBackfill(db, {
        apply: flags.apply === true,
        profileId: flags.profile,
        ...(flags.batchRows === undefined ? {} : { rowsPerBatch: flags.batchRows }),
        settings,
        signal: controller.signal,
        onProgress: (p) => {
          if (Date.now() - lastPrint < 1000 && p.partitionsDone < p.partitionsTotal) return;
          lastPrint = Date.now();
          io.err(`  ${p.partitionsDone}/${p.partitionsTotal} partitions, ${p.rowsChanged} row(s) ${flags.apply === true ? 'changed' : 'to change'}`);
        },
      });
      if (flags.json === true) io.out(json(summary));
      else printBackfill(io, summary);
    } finally {
      process.removeListener('SIGINT', stop);
    }
  });
}

function printReport(io: CliIo, report: LifecycleReport, format: 'table' | 'json' | 'csv'): void {
  if (format === 'json') return io.out(json(report));
  const proof = (rows: readonly { table: string; key: string }[]) => rows.map((r) => `${r.table}:${r.key}`);
  if (format === 'csv') {
    return io.out(
      csv(
        ['kind', 'profile_id', 'symbol', 'trade_id', 'blocking', 'detail', 'rows'],
        report.anomalies.map((a) => [a.kind, a.profileId, a.symbol, a.tradeId, a.blocking, a.detail, proof(a.rows).join(';')]),
      ),
    );
  }
  io.out(
    table(
      ['profile', 'orders', 'lifecycles', 'open', 'closed', 'history', 'positions', 'anomalies'],
      report.profiles.map((p) => [
        p.profileId,
        p.orders,
        p.lifecycles,
        p.openLifecycles,
        p.closedLifecycles,
        p.historyRows,
        p.openPositions,
        Object.entries(p.anomalies)
          .map(([k, n]) => `${k}=${n}`)
          .join(' ') || 'none',
      ]),
    ),
  );
  if (report.anomalies.length === 0) return io.out('\nno anomalies');
  io.out('');
  io.out(
    table(
      ['kind', 'profile', 'symbol', 'trade_id', 'blocks', 'detail', 'rows'],
      report.anomalies.map((a) => {
        const rows = proof(a.rows);
        return [
          a.kind,
          a.profileId,
          a.symbol,
          a.tradeId,
          a.blocking ? 'yes' : 'no',
          a.detail,
          rows.slice(0, 4).join(' ') + (rows.length > 4 ? ` +${rows.length - 4}` : ''),
        ];
      }),
    ),
  );
  io.out(
    `\n${report.anomalies.length} anomal${report.anomalies.length === 1 ? 'y' : 'ies'}; ${report.blocking ? 'some block validation (exit 1)' : 'none blocks validation'}`,
  );
}

async function report(io: CliIo, flags: Flags): Promise<void> {
  const config = resolveConfig(flags);
  const ledger = ledgerOf(flags, config);
  if (ledger === 'freqtrade') return freqtradeLifecycleReport(io, config, flags.json === true ? 'json' : (flags.format ?? 'table'));
  if (ledger === 'custom') {
    const result = await customLifecycleReport(resolveUrl(config), config.mapping, flags.profile);
    printReport(io, result, flags.json === true ? 'json' : (flags.format ?? 'table'));
    if (result.blocking) io.exitCode = 1;
    return;
  }
  await onLedger(
    flags,
    async (db) => {
      const result = await lifecycleReport(db, flags.profile);
      printReport(io, result, flags.json === true ? 'json' : (flags.format ?? 'table'));
      if (result.blocking) io.exitCode = 1;
    },
    true,
  );
}

async function tightenCommand(io: CliIo, flags: Flags): Promise<void> {
  await onLedger(flags, async (db, config) => {
    const result = await tighten(db, resolveJobSettings(config), flags.force === true);
    if (flags.json === true) return io.out(json(result));
    if (result.forced) io.err(`--force: validating despite ${result.blockers.length} blocker(s):\n  ${result.blockers.join('\n  ')}`);
    io.out(
      table(
        ['table', 'constraint', 'convalidated', 'violations'],
        result.constraints.map((c) => [c.table, c.name, String(c.convalidated), c.violations]),
      ),
    );
  });
}

async function loosenCommand(io: CliIo, flags: Flags): Promise<void> {
  await onLedger(flags, async (db, config) => {
    const result = await loosen(db, resolveSettings(config));
    if (flags.json === true) return io.out(json(result));
    io.out(
      result.reverted.length === 0
        ? 'the guardrails are not in place; nothing to loosen'
        : 'dropped the five guardrail constraints (bot-ledger 007 rolled back); the trade_id indexes stay',
    );
  });
}

/** `tradeledger lifecycle …`: the trade lifecycle integrity procedure, docs/runbooks/trade-lifecycle-integrity.md Phase A to D and its rollback. */
export function lifecycleCommand(io: CliIo): Command {
  const lifecycle = new Command('lifecycle').description('trace trades by profile_id + trade_id: snapshot, backfill, report, tighten, loosen, summaries');
  const sub = (name: string, description: string) => withDatabaseFlags(lifecycle.command(name).description(description));
  sub(
    'snapshot',
    'store the counts per profile: orders and trade_history totals, missing trade_id, distinct ids (docs/runbooks/trade-lifecycle-integrity.md Phase A)',
  )
    .option('--label <text>', 'a note stored with the snapshot')
    .option('--compare [id]', 'show what changed since snapshot <id> (default: the previous one)', (value) => integerArgument(value, undefined, 'snapshot id'))
    .action((flags: Flags) => snapshot(io, flags));
  sub('backfill', 'normalise blank trade_ids and give bot rows deterministic TRD- ids (dry run unless --apply)')
    .option('--apply', 'write the changes, in short transactions, logged by batch')
    .option('--profile <id>', 'only this profile')
    .option('--revert <batch>', 'restore every value a batch changed')
    .option('--batches', 'list backfill batches')
    .option('--batch-rows <n>', 'rows per transaction (default 5000)', (value) => integerArgument(value, undefined, 'of rows'))
    .action((flags: Flags) => backfill(io, flags));
  sub('report', 'reconcile orders → positions → history per profile and list anomalies (exit 1 if one blocks validation)')
    .option('--profile <id>', 'only this profile')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .addOption(new Option('--ledger <kind>', "the ledger's schema (default: tradeledger.yaml ledger:, else bot-ledger)").choices(LEDGER_CHOICES))
    .action((flags: Flags) => report(io, flags));
  sub(
    'tighten',
    'validate the five guardrail constraints once nothing blocks, else exit 3 with the blockers (docs/runbooks/trade-lifecycle-integrity.md Phase D)',
  )
    .option('--force', 'validate even while missing_entry_order / orphan_exit anomalies remain')
    .action((flags: Flags) => tightenCommand(io, flags));
  sub('loosen', 'the rollback plan: drop the five guardrail constraints, keep the indexes').action((flags: Flags) => loosenCommand(io, flags));
  addSummariesCommand(lifecycle, io);
  return lifecycle;
}
