import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ANOMALY_KINDS, type AnomalyKind } from '../lifecycle/anomalies.ts';

/** How a cycle ended: it ran, the feature flag had it do nothing, or it threw. */
export type CycleOutcome = 'ok' | 'disabled' | 'failed';

/** The decisions a cycle's audit rows record. */
const DECISIONS = ['DRY_RUN', 'PENDING_APPLY', 'APPLIED', 'SKIP_EXISTING', 'NO_GO'] as const;

/**
 * The daemon's Prometheus metrics, in a registry of its own so that two daemons in one process
 * (tests, an embedding application) never share counters.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  readonly #cycles: Counter<'outcome'>;
  readonly #decisions: Counter<'decision'>;
  readonly #duration: Histogram<'outcome'>;
  readonly #mismatches: Counter;
  readonly #anomalies: Gauge<'kind'>;
  readonly #anomalyReportTime: Gauge;
  readonly #schemaVersion: Gauge;
  readonly #lastCycle: Gauge;
  readonly #statusChanges: Counter<'state'>;
  readonly #enforcement: Counter<'action' | 'success'>;

  constructor() {
    const registers = [this.registry];
    // Process metrics (CPU, resident memory, heap, event-loop lag, open file descriptors), so a
    // leak or a stall shows next to the cycle counters without a second exporter.
    collectDefaultMetrics({ register: this.registry });
    this.#cycles = new Counter({
      name: 'tradeledger_recon_cycles_total',
      help: 'Reconciliation cycles run, by outcome (ok, disabled, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.#decisions = new Counter({
      name: 'tradeledger_recon_decisions_total',
      help: 'Reconciliation audit rows written, by decision',
      labelNames: ['decision'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'tradeledger_recon_cycle_duration_seconds',
      help: 'How long a reconciliation cycle took, by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.#mismatches = new Counter({
      name: 'tradeledger_recon_mismatch_events_total',
      help: 'Symbols whose ledger open quantity and exchange position disagreed, counted every cycle (the log is throttled)',
      registers,
    });
    this.#anomalies = new Gauge({
      name: 'tradeledger_lifecycle_anomalies',
      help: 'Lifecycle anomalies found by the last lifecycle report, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.#anomalyReportTime = new Gauge({
      name: 'tradeledger_lifecycle_report_timestamp_seconds',
      help: 'When the last lifecycle report for the anomaly figures finished (Unix time)',
      registers,
    });
    this.#schemaVersion = new Gauge({ name: 'tradeledger_schema_version', help: 'The schema version the database was at when the daemon started', registers });
    this.#lastCycle = new Gauge({
      name: 'tradeledger_recon_last_cycle_timestamp_seconds',
      help: 'When the last reconciliation cycle ended (Unix time)',
      registers,
    });
    this.#statusChanges = new Counter({
      name: 'tradeledger_trading_status_changes_total',
      help: 'Pauses and resumes made through the admin routes, by new state',
      labelNames: ['state'],
      registers,
    });
    this.#enforcement = new Counter({
      name: 'tradeledger_enforcement_actions_total',
      help: 'Enforcement actions recorded, by action and success',
      labelNames: ['action', 'success'],
      registers,
    });
    // Zero-valued series from the start, so that rate() and alerts see a counter before its first increment.
    for (const outcome of ['ok', 'disabled', 'failed'] as const) this.#cycles.labels(outcome).inc(0);
    for (const decision of DECISIONS) this.#decisions.labels(decision).inc(0);
  }

  /** Records one cycle: its outcome, duration and decisions. */
  cycle(outcome: CycleOutcome, seconds: number, counts: Readonly<Record<string, number>> = {}, mismatches = 0): void {
    this.#cycles.labels(outcome).inc();
    this.#duration.labels(outcome).observe(seconds);
    for (const [decision, n] of Object.entries(counts)) this.#decisions.labels(decision).inc(n);
    this.#mismatches.inc(mismatches);
    this.#lastCycle.set(Date.now() / 1000);
  }

  /** Replaces the anomaly figures with a new report's counts. */
  anomalies(counts: Readonly<Partial<Record<AnomalyKind, number>>>): void {
    for (const kind of ANOMALY_KINDS) this.#anomalies.labels(kind).set(counts[kind] ?? 0);
    this.#anomalyReportTime.set(Date.now() / 1000);
  }

  /** The schema version found (or reached) at start-up. */
  schemaVersion(version: number): void {
    this.#schemaVersion.set(version);
  }

  /** A pause or resume that changed a profile's state. */
  statusChange(state: string): void {
    this.#statusChanges.labels(state).inc();
  }

  /** An enforcement action logged. */
  enforcement(action: string, success: boolean): void {
    this.#enforcement.labels(action, String(success)).inc();
  }

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
