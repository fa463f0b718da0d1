import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import type { Database, Queryable } from '../../src/db/port.ts';
import { tableEvidence } from '../../src/evidence/table.ts';
import type { Expected, ExpectedAnomaly } from '../../src/generate/expected.ts';
import { sortAnomalies } from '../../src/generate/expected.ts';
import type { LifecycleReport } from '../../src/lifecycle/report.ts';
import type { AuditRow } from '../../src/recon/audit-rows.ts';
import type { ReconDeps } from '../../src/recon/cycle.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import type { DatabaseKind } from '../../src/db/port.ts';

/** A new database of `kind` with the bot-ledger base schema (version 6). */
export async function baseLedger(kind: DatabaseKind, to = '6'): Promise<TestDatabase> {
  const test = await createTestDatabase(kind);
  const up = await cli('migrate', 'up', '--pack', 'bot-ledger', '--to', to, '--db', test.url);
  assert.equal(up.code, 0, up.stderr);
  return test;
}

/** A report's anomalies in the expected list's shape and order, so that the two compare as they are. */
export function found(report: LifecycleReport): ExpectedAnomaly[] {
  return sortAnomalies(report.anomalies.map(({ kind, profileId, symbol, tradeId, rows }) => ({ kind, profileId, symbol, tradeId, rows })));
}

/**
 * Row count and sha256 of every generated table's rows in key order, times in UTC: equal digests
 * mean byte-for-byte equal ledgers, on any server.
 */
export async function digest(db: Database): Promise<Record<string, string>> {
  return db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL TimeZone = 'UTC'`);
    return tableDigests(tx);
  });
}

async function tableDigests(db: Queryable): Promise<Record<string, string>> {
  const keys: Record<string, string> = {
    orders: 'order_id',
    trade_history: 'id',
    positions: 'profile_id, symbol',
    trading_status: 'profile_id',
    exchange_fills: 'id',
    exchange_positions: 'profile_id, symbol',
  };
  const out: Record<string, string> = {};
  for (const [table, key] of Object.entries(keys)) {
    const rows = await db.query<{ d: string | null; n: string }>(
      `SELECT encode(sha256(convert_to(string_agg(t::text, E'\\n' ORDER BY ${key
        .split(', ')
        .map((k) => `t.${k}`)
        .join(', ')}), 'UTF8')), 'hex') AS d, count(*)::text AS n FROM ${table} t`,
    );
    out[table] = `${rows[0]!.n}:${rows[0]!.d}`;
  }
  return out;
}

/** Reconciliation as the expected list assumes it: enabled, applying, the defaults, the table evidence, the pause table. */
export async function reconDeps(db: Database, expected: Expected): Promise<ReconDeps> {
  const { recon } = expected;
  return {
    evidence: await tableEvidence(db),
    flags: {
      enabled: true,
      dryRun: false,
      requirePause: recon.requirePause,
      dustAbsQty: new Decimal(recon.dustAbsQty),
      dustRelPct: new Decimal(recon.dustRelPct),
      lookbackMs: recon.lookbackHours * 3_600_000,
      mismatchThrottleMs: 300_000,
    },
    pause: { kind: 'table' },
  };
}

const qty = (value: Decimal | string | null) => (value === null ? null : new Decimal(value.toString()).toFixed());

/** What a cycle's audit rows say per trade_id: closed by which exchange orders and dust, or refused and why. */
export function decisionsOf(audit: readonly AuditRow[]): Record<string, unknown> {
  const out: Record<string, { decision: string; reason?: string; evidence?: string[]; dust?: string | null }> = {};
  for (const row of audit) {
    const key = `${row.profileId}/${row.tradeId}`;
    if (row.decision === 'NO_GO') {
      out[key] = { decision: 'refuse', reason: row.reason };
      continue;
    }
    assert.equal(row.decision, 'APPLIED', `${key}: ${row.decision} ${row.reason}`);
    const entry = out[key] ?? { decision: 'close', evidence: [], dust: null };
    out[key] = entry;
    if (row.exchangeOrderId === 'dust') entry.dust = qty(row.dustQty);
    else entry.evidence!.push(`${row.exchangeOrderId}=${qty(row.filledQty)}`);
  }
  for (const entry of Object.values(out)) entry.evidence?.sort();
  return out;
}

/** The expected list's reconciliation decisions in `decisionsOf`'s shape. */
export function expectedDecisions(expected: Expected): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of expected.recon.decisions) {
    out[`${d.profileId}/${d.tradeId}`] =
      d.decision === 'refuse'
        ? { decision: 'refuse', reason: d.reason }
        : { decision: 'close', evidence: d.evidence.map((e) => `${e.exchangeOrderId}=${qty(e.quantity)}`).sort(), dust: qty(d.dustQty) };
  }
  return out;
}
