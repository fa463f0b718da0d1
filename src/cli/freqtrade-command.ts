import type { Config } from '../config/schema.ts';
import { existsSync } from 'node:fs';
import { parseDatabaseUrl, withDatabase } from '../db/open.ts';
import { UsageError } from '../errors.ts';
import { readFile } from 'node:fs/promises';
import type { Database } from '../db/port.ts';
import { readCcxtDump } from '../evidence/ccxt-dump.ts';
import { openEvidenceSource } from '../evidence/open.ts';
import { dumpEvidence, sourceEvidence, type FtEvidenceLoader } from '../ledgers/freqtrade/evidence.ts';
import { listFreqtradeAudit } from '../ledgers/freqtrade/audit.ts';
import { detectFreqtradeOpen } from '../ledgers/freqtrade/detect.ts';
import { reconcileFreqtrade, type FreqtradeReconResult } from '../ledgers/freqtrade/reconcile.ts';
import { freqtradeReport, type FreqtradeReport } from '../ledgers/freqtrade/report.ts';
import { rollbackFreqtradeBatch } from '../ledgers/freqtrade/rollback.ts';
import { requireFreqtradeSchema } from '../ledgers/freqtrade/schema.ts';
import type { StopGateOptions } from '../ledgers/freqtrade/stop-gate.ts';
import { verifyFreqtrade } from '../ledgers/freqtrade/verify.ts';
import { reconFlags } from '../recon/flags.ts';
import { resolveUrl, type DatabaseFlags } from './context.ts';
import { csv } from './csv.ts';
import { json, table } from './format.ts';
import type { CliIo } from './io.ts';

/** Refuses a sqlite: URL whose file does not exist: opening it would create an empty database where freqtrade's was expected. */
function requireExistingFile(url: string): void {
  const { kind, target, display } = parseDatabaseUrl(url);
  if (kind === 'sqlite' && target !== ':memory:' && !existsSync(target)) {
    throw new UsageError(`${display}: no such file; point --db at freqtrade's database (user_data/tradesv3.sqlite by default)`, 'NO_DATABASE');
  }
}

/** The ledgers `--ledger` takes. */
export const LEDGER_CHOICES = ['bot-ledger', 'freqtrade', 'custom'] as const;

/** The ledger a command reads: `--ledger`, else tradeledger.yaml's `ledger:`. */
export function ledgerOf(flags: { readonly ledger?: string }, config: Config): (typeof LEDGER_CHOICES)[number] {
  return (flags.ledger as (typeof LEDGER_CHOICES)[number] | undefined) ?? config.ledger;
}

function printFreqtradeReport(io: CliIo, report: FreqtradeReport, format: 'table' | 'json' | 'csv'): void {
  if (format === 'json') return io.out(json(report));
  const proof = (a: FreqtradeReport['anomalies'][number]) => a.rows.map((r) => `${r.table}:${r.key}`);
  if (format === 'csv') {
    return io.out(
      csv(
        ['kind', 'trade_id', 'pair', 'detail', 'rows'],
        report.anomalies.map((a) => [a.kind, a.tradeId, a.pair, a.detail, proof(a).join(';')]),
      ),
    );
  }
  io.out(`${report.schema}: ${report.trades} trade(s) (${report.openTrades} open, ${report.closedTrades} closed), ${report.orders} order(s)`);
  if (report.anomalies.length === 0) return io.out('no anomalies');
  io.out(
    table(
      ['kind', 'trade_id', 'pair', 'detail', 'rows'],
      report.anomalies.map((a) => {
        const rows = proof(a);
        return [a.kind, a.tradeId, a.pair, a.detail, rows.slice(0, 4).join(' ') + (rows.length > 4 ? ` +${rows.length - 4}` : '')];
      }),
    ),
  );
  io.out(`\n${report.anomalies.length} anomal${report.anomalies.length === 1 ? 'y' : 'ies'} (exit 1)`);
}

/** `lifecycle report --ledger freqtrade`: reads freqtrade's trades and orders as they are; exit 1 when an anomaly is found. */
export async function freqtradeLifecycleReport(io: CliIo, config: Config, format: 'table' | 'json' | 'csv'): Promise<void> {
  requireExistingFile(resolveUrl(config));
  await withDatabase(resolveUrl(config), async (db) => {
    const report = await freqtradeReport(db);
    printFreqtradeReport(io, report, format);
    if (report.anomalies.length > 0) io.exitCode = 1;
  });
}

/** The recon flags a freqtrade run reads from the command line (the rest comes from tradeledger.yaml and the environment). */
interface FreqtradeReconFlags {
  readonly ledger?: string;
  readonly profile?: string;
  readonly batch?: string;
  readonly json?: boolean;
  readonly evidenceFile?: string;
  readonly botStopped?: boolean;
}

function printDecisions(io: CliIo, result: FreqtradeReconResult): void {
  if (result.mode === 'disabled') return io.out('reconciliation backfill is disabled (ENABLE_RECON_EXIT_BACKFILL=false); nothing was looked at or written');
  io.out(
    `${result.mode === 'dry-run' ? 'dry run (nothing written; --enable --no-dry-run to apply)' : result.mode}: ${result.decisions.length} open trade(s); batch ${result.batchId ?? '(none)'}; ${
      Object.entries(result.counts)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ') || 'no decisions'
    }`,
  );
  if (result.backup !== null) io.out(`backup: ${result.backup}`);
  if (result.decisions.length > 0)
    io.out(
      table(
        ['trade_id', 'pair', 'decision', 'reason', 'open', 'filled', 'dust', 'threshold', 'exit_orders', 'close_rate', 'close_profit_abs'],
        result.decisions.map((d) => [
          d.tradeId,
          d.pair,
          d.decision,
          d.reason,
          d.openQty,
          d.filledQty,
          d.dustQty,
          d.threshold,
          d.exitOrderIds.join(' '),
          String(d.close?.['close_rate'] ?? ''),
          String(d.close?.['close_profit_abs'] ?? ''),
        ]),
      ),
    );
  if (result.mode === 'plan' && result.batchId !== null)
    io.out(`apply with: tradeledger recon apply --ledger freqtrade --batch ${result.batchId} --no-dry-run`);
  if (result.mode === 'apply' && result.batchId !== null) io.out(`undo with: tradeledger recon rollback --ledger freqtrade --batch ${result.batchId}`);
}

/** True when the file is a ccxt dump (`{"trades": [...]}`) rather than the bot-ledger export (`{"fills": [...]}` or CSV). */
async function isCcxtDump(path: string): Promise<boolean> {
  if (!path.toLowerCase().endsWith('.json')) return false;
  try {
    const root: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof root === 'object' && root !== null && Array.isArray((root as { trades?: unknown }).trades);
  } catch {
    // Unreadable or not JSON: the bot-ledger file source reports it, located.
    return false;
  }
}

/** The evidence of a freqtrade run: a ccxt dump file, or the recon `file` / `ccxt` source under recon.evidence.profile (default 'freqtrade'). */
async function evidenceOf(config: Config, db: Database): Promise<{ load: FtEvidenceLoader; close(): Promise<void> }> {
  const settings = config.recon.evidence;
  if (settings.source === 'file' && settings.file !== undefined && (await isCcxtDump(settings.file))) {
    const dump = await readCcxtDump(settings.file);
    return { load: async () => dumpEvidence(dump), close: async () => {} };
  }
  if (settings.source === 'table') {
    throw new UsageError(
      'a freqtrade database has no exchange_fills table: give --evidence-file dump.json (a ccxt dump: {"trades": fetchMyTrades, "positions": fetchPositions, "balance": fetchBalance}) or --evidence ccxt',
      'BAD_FLAG',
    );
  }
  const source = await openEvidenceSource(settings, db);
  const profile = settings.profile ?? 'freqtrade';
  return { load: (open) => sourceEvidence(source, profile, open, new Date()), close: () => source.close() };
}

/**
 * The freqtrade branch of every `recon` command: returns false when the ledger is not freqtrade (the
 * caller goes on with the bot ledger, or a custom ledger's views). `configOf` applies the recon flags the caller parsed.
 */
export async function freqtradeRecon(
  io: CliIo,
  command: 'detect' | 'run' | 'plan' | 'apply' | 'verify' | 'rollback' | 'audit',
  flags: FreqtradeReconFlags & DatabaseFlags,
  configOf: () => Config,
): Promise<boolean> {
  const config = configOf();
  const ledger = ledgerOf(flags, config);
  if (ledger !== 'freqtrade') {
    if (flags.botStopped === true) throw new UsageError(`--bot-stopped is for --ledger freqtrade (this ledger is ${ledger}): drop it`, 'BAD_FLAG');
    return false;
  }
  const gate: StopGateOptions = {
    apiUrl: config.freqtrade.api_url,
    botStopped: flags.botStopped === true,
    procRoot: config.freqtrade.proc_root,
  };
  requireExistingFile(resolveUrl(config));
  await withDatabase(resolveUrl(config), async (db) => {
    switch (command) {
      case 'detect': {
        const rows = await detectFreqtradeOpen(db);
        if (flags.json === true) return io.out(json(rows));
        return io.out(
          rows.length === 0
            ? 'no open trades'
            : table(
                ['trade_id', 'pair', 'direction', 'mode', 'open_date', 'amount', 'entry_filled', 'exit_filled'],
                rows.map((r) => [r.tradeId, r.pair, r.direction, r.tradingMode, r.openDate, r.amount, r.entryFilled, r.exitFilled]),
              ),
        );
      }
      case 'run':
      case 'plan':
      case 'apply': {
        await requireFreqtradeSchema(db);
        const evidence = await evidenceOf(config, db);
        try {
          const result = await reconcileFreqtrade(db, {
            flags: reconFlags(config.recon),
            evidence: evidence.load,
            mode: command,
            ...(flags.batch === undefined ? {} : { batchId: flags.batch }),
            gate,
            backupDir: config.database.backup.directory,
          });
          return flags.json === true ? io.out(json(result)) : printDecisions(io, result);
        } finally {
          await evidence.close();
        }
      }
      case 'verify': {
        const result = await verifyFreqtrade(db);
        if (flags.json === true) io.out(json(result));
        else {
          io.out(`${result.applied} applied close(s) stand; ${result.openTrades.length} trade(s) open in the database`);
          for (const problem of result.problems) io.out(`  ${problem}`);
        }
        if (result.problems.length > 0) io.exitCode = 1;
        return;
      }
      case 'rollback': {
        if (flags.batch === undefined) throw new UsageError('--batch <id> is required (see recon audit --ledger freqtrade for batch ids)', 'BAD_FLAG');
        const result = await rollbackFreqtradeBatch(db, flags.batch, { gate, backupDir: config.database.backup.directory });
        if (flags.json === true) return io.out(json(result));
        return io.out(
          result.alreadyReverted
            ? `batch ${result.batchId} was already rolled back; nothing changed`
            : `batch ${result.batchId}: ${result.reopened} trade(s) open again, ${result.canceled} exit order(s) canceled; nothing was deleted${
                result.conflicts.length > 0 ? `; changed since and left as they are: trade ${result.conflicts.join(', ')}` : ''
              }`,
        );
      }
      case 'audit': {
        const { dialect } = await requireFreqtradeSchema(db);
        const rows = await listFreqtradeAudit(db, dialect, { batchId: flags.batch });
        if (flags.json === true) return io.out(json(rows));
        return io.out(
          table(
            ['batch', 'trade_id', 'pair', 'decision', 'reason', 'filled_qty', 'dust_qty', 'exit_orders', 'created_at', 'reverted_at'],
            rows.map((r) => [r.batchId, r.tradeId, r.pair, r.decision, r.reason, r.filledQty, r.dustQty, r.exitOrderIds.join(' '), r.createdAt, r.revertedAt]),
          ),
        );
      }
    }
  });
  return true;
}
