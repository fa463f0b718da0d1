import { Command, Option } from 'commander';
import type { Database } from '../db/port.ts';
import type { Config } from '../config/schema.ts';
import { MAX_LOOKBACK_HOURS } from '../config/recon-schema.ts';
import { openEvidenceSource } from '../evidence/open.ts';
import { DETECT_TABLES, RECON_AUDIT_TABLES, RECON_REPORT_TABLES, RECON_TABLES } from '../packs/bot-ledger/tables.ts';
import { applyBatch } from '../recon/apply-batch.ts';
import type { CycleResult, ReconDeps } from '../recon/cycle.ts';
import { runReconCycle } from '../recon/cycle.ts';
import { detectOpenLifecycles } from '../recon/detect.ts';
import { reconFlags } from '../recon/flags.ts';
import { MismatchThrottle } from '../recon/mismatch-throttle.ts';
import { listAudit, verifyRecon } from '../recon/report.ts';
import { rollbackBatch } from '../recon/rollback.ts';
import { UsageError } from '../errors.ts';
import { resolveConfig, withDatabaseFlags, type DatabaseFlags } from './context.ts';
import { json, table } from './format.ts';
import type { CliIo } from './io.ts';
import { freqtradeRecon, LEDGER_CHOICES } from './freqtrade-command.ts';
import { withReconLedger, type CustomAccess } from './recon-ledger.ts';

type Flags = DatabaseFlags & {
  readonly profile?: string;
  readonly batch?: string;
  readonly enable?: boolean;
  readonly dryRun?: boolean;
  readonly requirePause?: boolean;
  readonly dustAbsQty?: string;
  readonly dustRelPct?: string;
  readonly lookbackHours?: string;
  readonly evidence?: 'table' | 'file' | 'ccxt';
  readonly evidenceFile?: string;
  readonly allowWideDust?: boolean;
  readonly full?: boolean;
  readonly ledger?: string;
  readonly botStopped?: boolean;
};

const DECIMAL = /^\d+(\.\d+)?$/;

/** Applies the recon flags given on the command line over file and environment. */
function reconConfig(flags: Flags): Config {
  const config = resolveConfig(flags);
  const recon = { ...config.recon, evidence: { ...config.recon.evidence } };
  if (flags.enable !== undefined) recon.enabled = flags.enable;
  if (flags.dryRun !== undefined) recon.dry_run = flags.dryRun;
  if (flags.requirePause !== undefined) recon.require_pause = flags.requirePause;
  for (const [flag, key] of [
    ['dustAbsQty', 'dust_abs_qty'],
    ['dustRelPct', 'dust_rel_pct'],
  ] as const) {
    const value = flags[flag];
    if (value === undefined) continue;
    if (!DECIMAL.test(value))
      throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} '${value}' is not a non-negative decimal such as 0.001`, 'BAD_FLAG');
    recon[key] = value;
  }
  if (flags.lookbackHours !== undefined) {
    if (!DECIMAL.test(flags.lookbackHours) || Number(flags.lookbackHours) <= 0)
      throw new UsageError(`--lookback-hours '${flags.lookbackHours}' is not a positive number`, 'BAD_FLAG');
    // A lookback longer than the calendar reaches makes no date at all ("Invalid time value" deep in a cycle).
    if (Number(flags.lookbackHours) > MAX_LOOKBACK_HOURS)
      throw new UsageError(`--lookback-hours '${flags.lookbackHours}' is too long: use at most ${MAX_LOOKBACK_HOURS} (100 years)`, 'BAD_FLAG');
    recon.lookback_hours = Number(flags.lookbackHours);
  }
  if (flags.allowWideDust !== undefined) recon.allow_wide_dust = flags.allowWideDust;
  if (flags.evidenceFile !== undefined) {
    // A file of evidence means file evidence; naming another source beside it is a contradiction.
    if (flags.evidence !== undefined && flags.evidence !== 'file') {
      throw new UsageError(`--evidence-file goes with --evidence file, not --evidence ${flags.evidence}: drop one of them`, 'BAD_FLAG');
    }
    recon.evidence.source = 'file';
    recon.evidence.file = flags.evidenceFile;
  } else if (flags.evidence !== undefined) recon.evidence.source = flags.evidence;
  return { ...config, recon };
}

async function withRecon(flags: Flags, access: CustomAccess, fn: (db: Database, deps: ReconDeps, config: Config) => Promise<void>): Promise<void> {
  const config = reconConfig(flags);
  await withReconLedger(config, flags, RECON_TABLES, access, async (db) => {
    const evidence = await openEvidenceSource(config.recon.evidence, db);
    try {
      if (config.recon.pause_source === 'url' && config.recon.status_url === undefined) {
        throw new UsageError('recon.pause_source is url but recon.status_url (RECON_STATUS_URL) is not set', 'BAD_CONFIG');
      }
      const pause = config.recon.pause_source === 'url' ? { kind: 'url' as const, url: config.recon.status_url! } : { kind: 'table' as const };
      await fn(db, { evidence, flags: reconFlags(config.recon), pause }, config);
    } finally {
      await evidence.close();
    }
  });
}

function printCycle(io: CliIo, result: CycleResult, flags: Flags, throttleMs: number): void {
  for (const event of new MismatchThrottle(throttleMs).admit(result.mismatches)) {
    io.err(`mismatch: profile ${event.profileId} ${event.symbol}: ledger open ${event.ledgerOpen}, exchange ${event.exchange ?? 'not observed'}`);
  }
  if (flags.json === true) return io.out(json(result));
  if (result.disabled) return io.out('reconciliation backfill is disabled (ENABLE_RECON_EXIT_BACKFILL=false); nothing was looked at or written');
  io.out(
    `${result.mode}: ${result.lifecycles} open lifecycle(s); batch ${result.batchId ?? '(none: nothing to record)'}; ${
      Object.entries(result.counts)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ') || 'no decisions'
    }`,
  );
  if (result.audit.length > 0) {
    io.out(
      table(
        ['profile', 'symbol', 'trade_id', 'decision', 'reason', 'filled_qty', 'dust_qty', 'dust_threshold', 'backfill_order_id'],
        result.audit.map((a) => [
          a.profileId,
          a.symbol,
          a.tradeId,
          a.decision,
          a.reason,
          a.filledQty?.toString(),
          a.dustQty?.toString(),
          thresholdOf(a.evidence),
          a.backfillOrderId,
        ]),
      ),
    );
  }
  if (result.mode === 'plan' && result.batchId !== null) io.out(`apply with: tradeledger recon apply --batch ${result.batchId}`);
  if (result.mode === 'apply' && result.batchId !== null) io.out(`undo with: tradeledger recon rollback --batch ${result.batchId}`);
}

/** The dust threshold a decision used, as its audit evidence records it. */
function thresholdOf(evidence: unknown): string | undefined {
  const value = (evidence as { threshold?: unknown } | null)?.threshold;
  return typeof value === 'string' ? value : undefined;
}

function requireBatch(flags: Flags): string {
  if (flags.batch === undefined) throw new UsageError('--batch <id> is required (see recon audit for batch ids)', 'BAD_FLAG');
  return flags.batch;
}

/**
 * The flags of the commands that decide (run, plan, apply). A command offers only the dry-run
 * flags it honours: `run` both, `apply` only --no-dry-run (it refuses in a dry run), `plan` none
 * (a plan writes audit rows only, dry run or not).
 */
function withReconFlags(command: Command, dryRun: 'both' | 'off-only' | 'none'): Command {
  command.option('--profile <id>', 'only this profile').option('--enable', 'ENABLE_RECON_EXIT_BACKFILL=true for this run');
  if (dryRun === 'both') command.option('--dry-run', 'RECON_EXIT_BACKFILL_DRY_RUN=true for this run: audit rows only');
  if (dryRun !== 'none') command.option('--no-dry-run', 'RECON_EXIT_BACKFILL_DRY_RUN=false for this run: apply');
  return command
    .option('--no-require-pause', 'RECON_EXIT_BACKFILL_REQUIRE_PAUSE=false for this run')
    .option('--dust-abs-qty <qty>', 'RECON_EXIT_BACKFILL_DUST_ABS_QTY')
    .option('--dust-rel-pct <fraction>', 'RECON_EXIT_BACKFILL_DUST_REL_PCT (0.002 is 0.2 %; above 0.01 needs --allow-wide-dust)')
    .option('--allow-wide-dust', 'accept a --dust-rel-pct above 0.01; no remainder above 1 % of the open quantity is dust even then')
    .option('--lookback-hours <hours>', 'RECON_EXIT_BACKFILL_LOOKBACK_HOURS')
    .addOption(new Option('--evidence <source>', 'evidence source').choices(['table', 'file', 'ccxt']))
    .option('--evidence-file <path>', 'a JSON or CSV export of fills and positions (implies --evidence file)')
    .option('--bot-stopped', BOT_STOPPED);
}

const BOT_STOPPED =
  '--ledger freqtrade: the bot is stopped (for this run only); needed where open files cannot be checked (not Linux, no readable /proc, hidepid)';

/** `tradeledger recon …`: the reconciliation EXIT backfill procedure (docs/runbooks/reconciliation-exit-backfill.md). */
export function reconCommand(io: CliIo): Command {
  const recon = new Command('recon').description('compensating EXIT rows from exchange evidence: detect, run, plan, apply, verify, rollback, audit');
  const sub = (name: string, description: string) =>
    withDatabaseFlags(recon.command(name).description(description)).addOption(
      new Option('--ledger <kind>', "the ledger's schema (default: tradeledger.yaml ledger:, else bot-ledger)").choices(LEDGER_CHOICES),
    );

  sub('detect', 'open lifecycles with entry, exit and open quantity (docs/runbooks/reconciliation-exit-backfill.md §1)')
    .option('--profile <id>', 'only this profile')
    .action(async (flags: Flags) => {
      if (await freqtradeRecon(io, 'detect', flags, () => resolveConfig(flags))) return;
      const config = resolveConfig(flags);
      await withReconLedger(
        config,
        flags,
        DETECT_TABLES,
        'read',
        async (db) => {
          const rows = await detectOpenLifecycles(db, flags.profile);
          if (flags.json === true) return io.out(json(rows));
          io.out(
            rows.length === 0
              ? 'no open lifecycles'
              : table(
                  ['profile', 'symbol', 'trade_id', 'entry_qty', 'exit_qty', 'open_qty'],
                  rows.map((r) => [r.profileId, r.symbol, r.tradeId, r.entryQty, r.exitQty, r.openQty]),
                ),
          );
        },
        { mustExist: true },
      );
    });
  withReconFlags(sub('run', 'one reconciliation cycle: audit only while dry-run is on; plan and apply in one batch when it is off'), 'both')
    .option('--full', 'look at every lifecycle, not only those open at the last cycle or written since')
    .action(async (flags: Flags) => {
      if (await freqtradeRecon(io, 'run', flags, () => reconConfig(flags))) return;
      // A dry run writes audit rows only; a custom ledger's orders must take EXIT rows only when it applies.
      return withRecon(flags, reconConfig(flags).recon.dry_run ? 'audit' : 'write', async (db, deps, config) => {
        const result = await runReconCycle(db, deps, { scope: { profileId: flags.profile }, full: flags.full === true });
        printCycle(io, result, flags, config.recon.mismatch_throttle_ms);
      });
    });
  withReconFlags(sub('plan', 'record candidates as PENDING_APPLY under a new batch, with a hash of their evidence (refused while disabled)'), 'none').action(
    async (flags: Flags) => {
      if (await freqtradeRecon(io, 'plan', flags, () => reconConfig(flags))) return;
      return withRecon(flags, 'audit', async (db, deps, config) => {
        const result = await runReconCycle(db, deps, { mode: 'plan', scope: { profileId: flags.profile } });
        printCycle(io, result, flags, config.recon.mismatch_throttle_ms);
      });
    },
  );
  withReconFlags(sub('apply', "re-check and insert a plan's PENDING_APPLY candidates (refused while disabled or in dry run)"), 'off-only')
    .option('--batch <id>', 'the batch recon plan made')
    .action(async (flags: Flags) => {
      if (await freqtradeRecon(io, 'apply', flags, () => reconConfig(flags))) return;
      return withRecon(flags, 'write', async (db, deps, config) => {
        printCycle(io, await applyBatch(db, deps, requireBatch(flags)), flags, config.recon.mismatch_throttle_ms);
      });
    });
  sub('verify', 'lifecycles still open above 0.000001, and the decision counts; exit 1 if any is open (docs/runbooks/reconciliation-exit-backfill.md §8)')
    .option('--profile <id>', 'only this profile')
    .action(async (flags: Flags) => {
      if (await freqtradeRecon(io, 'verify', flags, () => resolveConfig(flags))) return;
      const config = resolveConfig(flags);
      await withReconLedger(config, flags, RECON_REPORT_TABLES, 'audit', async (db) => {
        const result = await verifyRecon(db, flags.profile);
        if (flags.json === true) io.out(json(result));
        else {
          io.out(
            result.stillOpen.length === 0
              ? 'no lifecycle is open above 0.000001'
              : table(
                  ['profile', 'symbol', 'trade_id', 'entry_qty', 'exit_qty', 'open_qty'],
                  result.stillOpen.map((r) => [r.profileId, r.symbol, r.tradeId, r.entryQty, r.exitQty, r.openQty]),
                ),
          );
          io.out(
            table(
              ['decision', 'rows'],
              result.decisions.map((d) => [d.decision, d.rows]),
            ),
          );
        }
        if (result.stillOpen.length > 0) io.exitCode = 1;
      });
    });
  sub(
    'rollback',
    "cancel the batch's APPLIED and SKIP_EXISTING backfill orders (status only), mark its audit rows (docs/runbooks/reconciliation-exit-backfill.md §9)",
  )
    .option('--batch <id>', 'the batch to roll back')
    .option('--bot-stopped', BOT_STOPPED)
    .action(async (flags: Flags) => {
      if (await freqtradeRecon(io, 'rollback', flags, () => resolveConfig(flags))) return;
      const config = resolveConfig(flags);
      await withReconLedger(config, flags, RECON_REPORT_TABLES, 'write', async (db) => {
        const result = await rollbackBatch(db, requireBatch(flags));
        if (flags.json === true) return io.out(json(result));
        io.out(
          `batch ${result.batchId}: ${result.canceled} backfill order(s) canceled, ${result.auditRowsMarked} audit row(s) marked reverted; nothing was deleted`,
        );
      });
    });
  sub('audit', 'the audit listing, newest first (docs/runbooks/reconciliation-exit-backfill.md §5)')
    .option('--batch <id>', 'only this batch')
    .option('--profile <id>', 'only this profile')
    .action(async (flags: Flags) => {
      if (await freqtradeRecon(io, 'audit', flags, () => resolveConfig(flags))) return;
      const config = resolveConfig(flags);
      await withReconLedger(
        config,
        flags,
        RECON_AUDIT_TABLES,
        'audit',
        async (db) => {
          const rows = await listAudit(db, { batchId: flags.batch, profileId: flags.profile });
          if (flags.json === true) return io.out(json(rows));
          io.out(
            table(
              [
                'batch',
                'profile',
                'symbol',
                'trade_id',
                'decision',
                'reason',
                'filled_qty',
                'dust_threshold',
                'backfill_order_id',
                'created_at',
                'reverted_at',
              ],
              rows.map((r) => [
                r.batchId,
                r.profileId,
                r.symbol,
                r.tradeId,
                r.decision,
                r.reason,
                r.filledQty ?? r.dustQty,
                r.dustThreshold,
                r.backfillOrderId,
                r.createdAt,
                r.revertedAt,
              ]),
            ),
          );
        },
        { mustExist: true },
      );
    });
  return recon;
}
