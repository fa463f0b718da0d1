import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/port.ts';
import { UsageError, errorMessage } from '../errors.ts';
import { openEvidenceSource } from '../evidence/open.ts';
import type { EvidenceSource } from '../evidence/port.ts';
import { requireBotLedger } from '../lifecycle/require-schema.ts';
import { packSource } from '../packs/registry.ts';
import { reconFlags } from '../recon/flags.ts';
import { MismatchThrottle } from '../recon/mismatch-throttle.ts';
import type { PauseSource } from '../recon/pause.ts';
import { buildApp, featuresOf } from './app.ts';
import { CycleLoop } from './cycle-loop.ts';
import { loadLedgerState, type LoadedState } from './ledger-state.ts';
import type { DaemonLogger } from './logger.ts';
import { DaemonMetrics } from './metrics.ts';
import { ensureSchema, type SchemaCheck } from './schema-check.ts';
import { warnAboutAccess } from './access.ts';
import { SchemaFault } from './schema-fault.ts';
import { serveSettings, type ServeSettings } from './settings.ts';
import { RECON_TABLES } from '../packs/bot-ledger/tables.ts';
import { openDatabaseWhenReady } from './wait-database.ts';

/** What starting a daemon needs. */
export interface DaemonOptions {
  /** Configuration with flags applied. */
  readonly config: Config;
  readonly url: string;
  readonly log: DaemonLogger;
  /** Where TRADELEDGER_ADMIN_TOKEN is read (default: the process's environment). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A running daemon. */
export interface Daemon {
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  readonly address: string;
  readonly port: number;
  readonly db: Database;
  readonly settings: ServeSettings;
  readonly schema: SchemaCheck;
  readonly loaded: LoadedState | null;
  /**
   * Stops taking requests and cycles, waits for a running cycle to finish its transaction (up to
   * serve.shutdown_grace), then closes the database. `clean` is false when the cycle was still running.
   */
  stop(signal?: string): Promise<{ readonly clean: boolean }>;
}

function pauseSource(config: Config): PauseSource {
  if (config.recon.pause_source === 'table') return { kind: 'table' };
  if (config.recon.status_url === undefined) throw new UsageError('recon.pause_source is url but recon.status_url (RECON_STATUS_URL) is not set', 'BAD_CONFIG');
  return { kind: 'url', url: config.recon.status_url };
}

async function reconLoop(
  db: Database,
  config: Config,
  settings: ServeSettings,
  log: DaemonLogger,
  metrics: DaemonMetrics,
): Promise<{ loop: CycleLoop; evidence: EvidenceSource }> {
  await requireBotLedger(db, RECON_TABLES);
  const pause = pauseSource(config);
  const evidence = await openEvidenceSource(config.recon.evidence, db);
  const flags = reconFlags(config.recon);
  const mode = !flags.enabled
    ? 'disabled (ENABLE_RECON_EXIT_BACKFILL=false): cycles look at nothing'
    : flags.dryRun
      ? 'dry-run: audit rows only'
      : 'apply: compensating EXIT rows are inserted';
  log.info(
    {
      recon: {
        enabled: flags.enabled,
        dryRun: flags.dryRun,
        requirePause: flags.requirePause,
        evidence: evidence.kind,
        pause: pause.kind,
        intervalMs: settings.intervalMs,
      },
    },
    `Reconciliation every ${settings.intervalMs} ms, ${mode}`,
  );
  const loop = new CycleLoop({
    db,
    deps: { evidence, flags, pause },
    intervalMs: settings.intervalMs,
    anomalyIntervalMs: settings.anomalyIntervalMs,
    log,
    metrics,
    throttle: new MismatchThrottle(flags.mismatchThrottleMs),
  });
  return { loop, evidence };
}

async function listen(server: FastifyInstance, settings: ServeSettings): Promise<void> {
  try {
    await server.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const fix =
      code === 'EADDRINUSE' ? 'pick another with --port (0 picks a free one)' : 'check --host (an address of this machine, e.g. 127.0.0.1 or 0.0.0.0)';
    throw new UsageError(`cannot listen on ${settings.host} port ${settings.port} (${String(code ?? errorMessage(error))}): ${fix}`, 'LISTEN', {
      cause: error,
    });
  }
}

/**
 * Starts `tradeledger serve`: opens the database, checks (and, when allowed, migrates) its schema
 * against the pack, logs the schema version and what it loaded, listens, and runs reconciliation
 * cycles (bot-ledger). A refusal is thrown before anything listens: a SafetyError for the schema
 * (exit 3), a UsageError for bad settings (exit 2).
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const began = performance.now();
  const { config, url, log } = options;
  const settings = serveSettings(config, url, options.env);
  const source = await packSource(settings.pack, { ...config.migrations.options, track_unrealized_pnl: config.database.track_unrealized_pnl });
  const db = await openDatabaseWhenReady(url, settings.waitMs, log, { daemon: true });
  let evidence: EvidenceSource | undefined;
  let app: FastifyInstance | undefined;
  try {
    const schema = await ensureSchema(db, source, settings.pack, config, log);
    log.info({ schemaVersion: schema.version, expected: schema.expected, pack: settings.pack, database: db.url }, `Database schema version: ${schema.version}`);
    const loaded = await loadLedgerState(db, settings.pack);
    if (loaded !== null) {
      log.info({ positions: loaded.positions }, `Loaded ${loaded.positions} positions`);
      log.info({ openOrders: loaded.openOrders }, `Loaded ${loaded.openOrders} open orders`);
    }
    const metrics = new DaemonMetrics();
    metrics.schemaVersion(schema.version);
    const features = featuresOf(settings.pack);
    let loop: CycleLoop | undefined;
    if (features.trading) ({ loop, evidence } = await reconLoop(db, config, settings, log, metrics));
    if (settings.adminToken === null && (features.trading || features.enforcement)) {
      log.warn('TRADELEDGER_ADMIN_TOKEN is not set: the admin routes (pause, resume, enforcement) are off and answer 404');
    }
    warnAboutAccess(settings, log);
    const server = buildApp({
      db,
      log,
      metrics,
      pack: settings.pack,
      expectedVersion: schema.expected,
      ...(config.database.migrations_table === undefined ? {} : { historyTable: config.database.migrations_table.trim() }),
      adminToken: settings.adminToken,
      readToken: settings.readToken,
      readsNeedToken: settings.readsNeedToken,
      lastCycle: () => loop?.lastCycle ?? null,
      schemaFault: new SchemaFault(),
    });
    app = server;
    await listen(server, settings);
    const bound = server.server.address() as AddressInfo;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    const address = `http://${host}:${bound.port}`;
    log.info({ host: bound.address, port: bound.port, address }, `Listening on ${address}`);
    loop?.start(0);
    log.info(
      { startupMs: Math.round(performance.now() - began), sinceProcessStartMs: Math.round(performance.now()), port: bound.port, pack: settings.pack },
      'Daemon started successfully',
    );
    let stopping: Promise<{ clean: boolean }> | undefined;
    const stop = async (signal?: string): Promise<{ clean: boolean }> => {
      log.info({ signal: signal ?? null }, 'Stopping: no new requests or cycles; a running cycle finishes its transaction');
      loop?.halt();
      await server.close();
      const clean = loop === undefined || (await loop.settle(settings.shutdownGraceMs));
      await evidence?.close();
      if (clean) {
        await db.close();
      } else {
        log.error(
          { graceMs: settings.shutdownGraceMs },
          `The running cycle did not finish within ${settings.shutdownGraceMs} ms; its transaction rolls back if the process ends before it does`,
        );
        // Closes once the cycle lets go of its connection; nothing else is waiting for it.
        db.close().catch((error: unknown) => log.warn({ err: error }, `Closing the database failed: ${errorMessage(error)}`));
      }
      log.info({ clean }, 'Daemon stopped');
      return { clean };
    };
    return {
      address,
      port: bound.port,
      db,
      settings,
      schema,
      loaded,
      stop: (signal) => (stopping ??= stop(signal)),
    };
  } catch (error) {
    await app?.close();
    await evidence?.close();
    await db.close();
    throw error;
  }
}
