import type { PackDefinition } from '../registry.ts';
import { riskStateBaseline } from './baseline.ts';
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
};
