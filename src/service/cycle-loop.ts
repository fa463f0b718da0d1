import type { Database } from '../db/port.ts';
import { errorMessage } from '../errors.ts';
import { lifecycleReport } from '../lifecycle/report.ts';
import { runReconCycle, type ReconDeps } from '../recon/cycle.ts';
import type { MismatchThrottle } from '../recon/mismatch-throttle.ts';
import type { DaemonLogger } from './logger.ts';
import type { CycleOutcome, DaemonMetrics } from './metrics.ts';

/** The last cycle, as /healthz reports it. */
export interface CycleRecord {
  /** When it ended (ISO-8601). */
  readonly at: string;
  readonly outcome: CycleOutcome;
  readonly durationMs: number;
  readonly mode: 'dry-run' | 'plan' | 'apply' | null;
  readonly batchId: string | null;
  readonly counts: Readonly<Record<string, number>>;
  readonly error: string | null;
}

/** What the loop runs with. */
export interface CycleLoopOptions {
  readonly db: Database;
  readonly deps: ReconDeps;
  readonly intervalMs: number;
  /** 0: no lifecycle report. */
  readonly anomalyIntervalMs: number;
  readonly log: DaemonLogger;
  readonly metrics: DaemonMetrics;
  /** Kept for the daemon's lifetime, so a standing mismatch is logged once per throttle window. */
  readonly throttle: MismatchThrottle;
}

/**
 * Runs a reconciliation cycle (the same `runReconCycle` as `recon run`), then waits `intervalMs`
 * from its end before the next: cycles never overlap, and a slow one delays the next rather than
 * doubling up. A failing cycle is logged and counted; the next one runs all the same. On the
 * anomaly cadence, the lifecycle report runs after a cycle, never beside one.
 */
export class CycleLoop {
  readonly #options: CycleLoopOptions;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | null = null;
  #halted = false;
  #last: CycleRecord | null = null;
  #nextReportAt = 0;

  constructor(options: CycleLoopOptions) {
    this.#options = options;
  }

  /** The last finished cycle, or null before the first. */
  get lastCycle(): CycleRecord | null {
    return this.#last;
  }

  /** Schedules the first cycle `delayMs` from now. */
  start(delayMs = 0): void {
    this.#schedule(delayMs);
  }

  /** No cycle starts after this; one already running goes on to its end. */
  halt(): void {
    this.#halted = true;
    clearTimeout(this.#timer);
  }

  /** Waits up to `timeoutMs` for the running cycle to end; false when it is still running. */
  async settle(timeoutMs: number): Promise<boolean> {
    const current = this.#current;
    if (current === null) return true;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([current.then(() => true as const), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  #schedule(delayMs: number): void {
    if (this.#halted) return;
    this.#timer = setTimeout(() => {
      this.#current = this.#iteration().finally(() => {
        this.#current = null;
        this.#schedule(this.#options.intervalMs);
      });
    }, delayMs);
  }

  async #iteration(): Promise<void> {
    await this.#cycle();
    if (this.#options.anomalyIntervalMs > 0 && Date.now() >= this.#nextReportAt && !this.#halted) await this.#report();
  }

  async #cycle(): Promise<void> {
    const { db, deps, log, metrics, throttle } = this.#options;
    const started = performance.now();
    try {
      const result = await runReconCycle(db, deps);
      const durationMs = Math.round(performance.now() - started);
      const outcome: CycleOutcome = result.disabled ? 'disabled' : 'ok';
      metrics.cycle(outcome, durationMs / 1000, result.counts, result.mismatches.length);
      for (const event of throttle.admit(result.mismatches)) {
        log.warn(
          { mismatch: event },
          `Exchange state mismatch: profile ${event.profileId} ${event.symbol}: ledger open ${event.ledgerOpen}, exchange ${event.exchange ?? 'not observed'}`,
        );
      }
      this.#last = { at: new Date().toISOString(), outcome, durationMs, mode: result.mode, batchId: result.batchId, counts: result.counts, error: null };
      if (result.disabled) log.debug({ cycle: this.#last }, 'Reconciliation cycle: disabled (ENABLE_RECON_EXIT_BACKFILL=false)');
      else
        log.info(
          { cycle: { ...this.#last, lifecycles: result.lifecycles } },
          `Reconciliation cycle (${result.mode}): ${result.lifecycles} open lifecycle(s), batch ${result.batchId ?? 'none'}`,
        );
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      metrics.cycle('failed', durationMs / 1000);
      this.#last = { at: new Date().toISOString(), outcome: 'failed', durationMs, mode: null, batchId: null, counts: {}, error: errorMessage(error) };
      log.error({ cycle: this.#last, err: error }, `Reconciliation cycle failed: ${errorMessage(error)}; the next one runs in ${this.#options.intervalMs} ms`);
    }
  }

  async #report(): Promise<void> {
    const { db, log, metrics, anomalyIntervalMs } = this.#options;
    this.#nextReportAt = Date.now() + anomalyIntervalMs;
    const started = performance.now();
    try {
      const report = await lifecycleReport(db);
      metrics.anomalies(report.counts);
      log.info({ anomalies: report.counts, durationMs: Math.round(performance.now() - started) }, `Lifecycle report: ${report.anomalies.length} anomaly(ies)`);
    } catch (error) {
      log.warn({ err: error }, `Lifecycle report for the anomaly metrics failed: ${errorMessage(error)}`);
    }
  }
}
