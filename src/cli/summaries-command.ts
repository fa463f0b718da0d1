import type { Command } from 'commander';
import { withDatabase } from '../db/open.ts';
import { UsageError } from '../errors.ts';
import { requireBotLedger } from '../lifecycle/require-schema.ts';
import { checkSummaries, dropSummaries, rebuildSummaries, summariesReady } from '../lifecycle/summaries.ts';
import { resolveConfig, resolveJobSettings, resolveUrl, withDatabaseFlags, type DatabaseFlags } from './context.ts';
import { json, table } from './format.ts';
import type { CliIo } from './io.ts';

type Flags = DatabaseFlags & { readonly rebuild?: boolean; readonly check?: boolean; readonly drop?: boolean; readonly profile?: string };

async function summaries(io: CliIo, flags: Flags): Promise<void> {
  const chosen = [flags.rebuild, flags.check, flags.drop].filter((f) => f === true).length;
  if (chosen > 1) throw new UsageError('give one of --rebuild, --check or --drop', 'BAD_FLAG');
  if (flags.profile !== undefined && flags.check !== true) throw new UsageError('--profile goes with --check', 'BAD_FLAG');
  const config = resolveConfig(flags);
  await withDatabase(resolveUrl(config), async (db) => {
    await requireBotLedger(db);
    if (flags.rebuild === true) {
      const result = await rebuildSummaries(db, { lockTimeoutMs: resolveJobSettings(config).lockTimeoutMs });
      if (flags.json === true) return io.out(json(result));
      return io.out(`${db.url}: ${result.lifecycles} lifecycle summaries rebuilt from orders and trade_history; triggers keep them from now on`);
    }
    if (flags.drop === true) {
      await dropSummaries(db, { lockTimeoutMs: resolveJobSettings(config).lockTimeoutMs });
      if (flags.json === true) return io.out(json({ dropped: true }));
      return io.out(`${db.url}: lifecycle summaries and their triggers dropped; the report aggregates the ledger again`);
    }
    if (flags.check === true) {
      const result = await checkSummaries(db, flags.profile);
      if (!result.ok) io.exitCode = 1;
      if (flags.json === true) return io.out(json(result));
      io.out(
        result.ok
          ? `${db.url}: ${result.lifecycles} lifecycle summaries match a recount of orders and trade_history`
          : `${db.url}: ${result.mismatchCount} lifecycle summaries differ from a recount: run 'tradeledger lifecycle summaries --rebuild'`,
      );
      if (!result.ok)
        io.out(
          table(
            ['profile', 'lifecycle', 'problem', 'columns'],
            result.mismatches.map((m) => [m.profileId, m.lifecycleKey, m.problem, m.columns.join(', ')]),
          ),
        );
      return;
    }
    const ready = await summariesReady(db);
    if (flags.json === true) return io.out(json({ ready }));
    io.out(
      ready
        ? `${db.url} keeps lifecycle summaries: the report and reconciliation read them (--check compares them with a recount)`
        : `${db.url} keeps no complete lifecycle summaries: 'lifecycle summaries --rebuild' builds them`,
    );
  });
}

/** Adds `lifecycle summaries`: keep, rebuild, check or drop the per-lifecycle summaries the report reads. */
export function addSummariesCommand(lifecycle: Command, io: CliIo): void {
  withDatabaseFlags(
    lifecycle
      .command('summaries')
      .description('per-lifecycle summaries kept by triggers, which the report and reconciliation read: status, or --rebuild, --check, --drop'),
  )
    .option('--rebuild', 'install the summaries and their triggers if missing and recount them (locks out writers while it runs)')
    .option('--check', 'compare every summary with a recount of orders and trade_history (exit 1 on a difference)')
    .option('--drop', 'drop the summaries and their triggers')
    .option('--profile <id>', 'with --check: only this profile')
    .action((flags: Flags) => summaries(io, flags));
}
