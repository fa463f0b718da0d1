import type { PackDefinition } from '../registry.ts';
import { riskStateBaseline } from './baseline.ts';
import { repairRiskState } from './repair.ts';
import { TRACK_UNREALIZED_PNL } from './schema.ts';
import { verifyRiskState } from './verify.ts';

/** risk-state: the risk-manager daemon's SQLite state, v1 baseline and the v2 upgrade (docs/runbooks/risk-state-v2.md DB-SCHEMA-006). */
export const pack: PackDefinition = {
  name: 'risk-state',
  summary: 'risk-manager daemon state (SQLite): v1 baseline and the v2 upgrade',
  dialects: ['sqlite'],
  defaults: { [TRACK_UNREALIZED_PNL]: false },
  verify: verifyRiskState,
  baseline: riskStateBaseline,
  repair: repairRiskState,
  // The sample reads of docs/runbooks/risk-state-v2.md Phase 4 (check 7), which the daemon's start-up and routes depend on.
  sampleTables: ['enforcement_log', 'positions', 'orders'],
  // The mirrored positions, and PENDING (1) / WORKING (2) orders.
  loadedState: { positions: 'SELECT count(*) AS n FROM positions', openOrders: 'SELECT count(*) AS n FROM orders WHERE state IN (1, 2)' },
  // The texts before issue 12: the same up sections (002's optional table then had TEXT money
  // columns, which `migrate up` converts as a recorded repair); the down sections had no data-loss guard.
  formerChecksums: {
    '001_baseline.sql': ['bd5bd4a91b7cfcbac5c24f5487f976ad4976eeec85dd7584b9207a6fe01fc3a9'],
    '002_schema_v2.sql': ['9dc5adea1d6b293ada187933b6586aa849315fa0a64538682fff1c20c652a95a'],
  },
};
