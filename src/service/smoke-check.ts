import type { Config } from '../config/schema.ts';
import { errorMessage } from '../errors.ts';
import { packDefinition } from '../packs/registry.ts';
import { startDaemon } from './daemon.ts';
import type { DaemonLogger } from './logger.ts';

/** One smoke check and what it found. */
export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What `serve --check` found. */
export interface SmokeReport {
  readonly ok: boolean;
  readonly schemaVersion: number;
  readonly checks: readonly SmokeCheck[];
}

/**
 * `serve --check`, for an operator after a migration (docs/runbooks/risk-state-v2.md Phase 6): starts
 * the daemon as `serve` would (its lock, the schema verify, the start-up lines) on a free local port,
 * asks its /healthz over HTTP, runs the sample reads, and stops it. A refusal at start-up is thrown as
 * `serve` throws it; a failed check is in the report (ok false).
 */
export async function smokeCheck(config: Config, url: string, log: DaemonLogger, env: NodeJS.ProcessEnv = process.env): Promise<SmokeReport> {
  const daemon = await startDaemon({ config: { ...config, serve: { ...config.serve, host: '127.0.0.1', port: 0 } }, url, log, env });
  const checks: SmokeCheck[] = [];
  try {
    checks.push({ name: 'start-up', ok: true, detail: `schema version ${daemon.schema.version} verified; listening on ${daemon.address}` });
    try {
      const response = await fetch(`${daemon.address}/healthz`);
      const body = (await response.json()) as { status?: string; reason?: string };
      checks.push({
        name: 'healthz',
        ok: response.status === 200,
        detail: `${response.status} ${body.status ?? ''}${body.reason === undefined ? '' : `: ${body.reason}`}`,
      });
    } catch (error) {
      checks.push({ name: 'healthz', ok: false, detail: errorMessage(error) });
    }
    // The pack names the tables (docs/runbooks/risk-state-v2.md Phase 4's sample reads); the daemon's own pack was checked at start-up.
    for (const table of (await packDefinition(daemon.settings.pack)).sampleTables ?? []) {
      try {
        const rows = await daemon.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
        checks.push({ name: `SELECT COUNT(*) FROM ${table}`, ok: true, detail: `${String(rows[0]?.n ?? 0)} rows` });
      } catch (error) {
        checks.push({ name: `SELECT COUNT(*) FROM ${table}`, ok: false, detail: errorMessage(error) });
      }
    }
  } finally {
    await daemon.stop('serve --check');
  }
  return { ok: checks.every((check) => check.ok), schemaVersion: daemon.schema.version, checks };
}
