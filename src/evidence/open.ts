import type { ReconConfig } from '../config/recon-schema.ts';
import type { Database } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { ccxtEvidence } from './ccxt.ts';
import { fileEvidence } from './file.ts';
import type { EvidenceSource } from './port.ts';
import { tableEvidence } from './table.ts';

function required(value: string | undefined, key: 'file' | 'exchange' | 'profile', source: string, what: string): string {
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`recon.evidence.${key} is required when recon.evidence.source is ${source}: ${what}`, 'EVIDENCE_CONFIG');
  }
  return value;
}

/**
 * Opens the evidence source the `recon.evidence` settings name: `table` reads the ledger database
 * `db`, `file` an export, `ccxt` a live exchange. A missing or bad setting is a UsageError.
 */
export async function openEvidenceSource(config: ReconConfig['evidence'], db: Database): Promise<EvidenceSource> {
  switch (config.source) {
    case 'table':
      return tableEvidence(db);
    case 'file':
      return fileEvidence(required(config.file, 'file', 'file', 'the path of a JSON or CSV export of fills and positions'));
    case 'ccxt':
      return ccxtEvidence({
        exchange: required(config.exchange, 'exchange', 'ccxt', 'a ccxt exchange id such as binance'),
        options: config.options,
        profileId: required(config.profile, 'profile', 'ccxt', 'the ledger profile the exchange credentials belong to'),
      });
  }
}
