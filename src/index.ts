// The library's public entry (`import … from 'tradeledger'`): the same functions the CLI and the
// daemon call, with their option, result and error types. Only re-exports: what is not named here
// is internal and may change between versions.
import type { runReconCycle } from './recon/cycle.ts';

// Errors: `code` is stable for scripts; `exitCode` is what the CLI would exit with.
export { CheckFailedError, isTradeledgerError, SafetyError, TradeledgerError, UsageError, type ExitCode } from './errors.ts';
export { MigrationFailedError } from './migrate/run-plan.ts';

// Databases: `pglite:<dir>`, `postgres://…`, `sqlite:<file>`.
export { DEFAULT_DATABASE_URL, maskDatabaseUrl, openDatabase, withDatabase, type OpenOptions } from './db/open.ts';
export type {
  Capabilities,
  Database,
  DatabaseKind,
  Dialect,
  LockOptions,
  Queryable,
  Row,
  StatementTracer,
  TracedStatement,
  TransactionOptions,
} from './db/port.ts';

// Configuration: defaults ← tradeledger.yaml ← environment, validated.
export { databaseUrl, loadConfig, type LoadedConfig } from './config/load.ts';
export { configSchema, type Config, type ConfigInput } from './config/schema.ts';
export type { ReconConfig } from './config/recon-schema.ts';

// Migrations.
export { directorySource, type MigrationSource } from './migrate/source.ts';
export { packNames, packSource } from './packs/registry.ts';
export { engineSettings, type EngineSettings } from './migrate/settings.ts';
export { migrateUp, type UpOptions, type UpPhase, type UpResult } from './migrate/up.ts';
export { previewUp, type UpPreview } from './migrate/preview.ts';
export { migrateDown, type DownOptions, type DownResult } from './migrate/down.ts';
export { verifyDatabase, type VerifyReport } from './migrate/verify.ts';
export type { DownTarget, Plan, PlanStep } from './migrate/planner.ts';
export type { RetryPolicy, RunEvent, StepResult } from './migrate/run-plan.ts';
export type { LintFinding } from './migrate/lint.ts';
export type { Migration } from './migrate/migration.ts';
export { ForeignHistoryError, readHistory, type HistoryRow, type HistoryState } from './migrate/history.ts';
export { dumpSchema, type SchemaDump } from './migrate/dump.ts';
export { waitForDatabase, type WaitOptions } from './migrate/wait.ts';
export { createMigrationFile, type NewMigration } from './migrate/new-file.ts';

// Trade lifecycle integrity.
export { lifecycleReport, type LifecycleReport, type ProfileSummary } from './lifecycle/report.ts';
export { ANOMALY_KINDS, type Anomaly, type AnomalyKind, type AnomalyRow } from './lifecycle/anomalies.ts';

// Per-lifecycle summaries (`lifecycle summaries`): the report and full recon cycles read them when they are kept.
export {
  checkSummaries,
  dropSummaries,
  rebuildSummaries,
  summariesReady,
  type SummaryCheck,
  type SummaryLockSettings,
  type SummaryMismatch,
  type SummaryRebuild,
} from './lifecycle/summaries.ts';

// freqtrade databases (`--ledger freqtrade`): the report, reconciling ghost trades, rolling a batch back.
export { freqtradeReport, type FreqtradeReport } from './ledgers/freqtrade/report.ts';
export { reconcileFreqtrade, type FreqtradeReconOptions, type FreqtradeReconResult, type FtDecisionSummary } from './ledgers/freqtrade/reconcile.ts';
export { rollbackFreqtradeBatch, type FreqtradeRollbackResult } from './ledgers/freqtrade/rollback.ts';
export type { StopGateOptions } from './ledgers/freqtrade/stop-gate.ts';

// Reconciliation exit backfill.
export { runReconCycle, type CycleResult, type ReconDeps } from './recon/cycle.ts';
export { reconFlags, type ReconFlags } from './recon/flags.ts';
export type { PauseSource } from './recon/pause.ts';
export type { AuditDecision, AuditRow } from './recon/audit-rows.ts';
export type { LifecycleDecision, MismatchEvent } from './recon/gather.ts';
export { openEvidenceSource } from './evidence/open.ts';
export type { EvidenceFill, EvidencePosition, EvidenceQuery, EvidenceResult, EvidenceSource } from './evidence/port.ts';

/** The third argument of `runReconCycle`: mode (default from the flags), one profile, the cycle's time, a full scan. */
export type ReconCycleOptions = NonNullable<Parameters<typeof runReconCycle>[2]>;

// Sample ledgers.
export { generateLedger, type GenerateProgress, type GenerateResult, type GenerateSummary } from './generate/generate.ts';
export type { GenerateInput } from './generate/options.ts';

// The daemon (`tradeledger serve`).
export { startDaemon, type Daemon, type DaemonOptions } from './service/daemon.ts';
export { daemonLogger, type DaemonLogger } from './service/logger.ts';
export type { ServeSettings } from './service/settings.ts';
export type { SchemaCheck } from './service/schema-check.ts';
export type { LoadedState } from './service/ledger-state.ts';
