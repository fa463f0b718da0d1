import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { UsageError, errorMessage } from '../errors.ts';
import { parseEvidenceFile, type EvidenceFileFormat } from './file-parse.ts';
import type { EvidenceFill, EvidencePosition, EvidenceQuery, EvidenceResult, EvidenceSource } from './port.ts';

/** An evidence file that did not parse; `problems` lists every malformed row, the message the first. */
export class EvidenceFileError extends UsageError {
  readonly problems: readonly string[];
  constructor(path: string, problems: readonly string[]) {
    const more = problems.length > 1 ? ` (${problems.length} problems in all)` : '';
    super(`${problems[0] ?? path}${more}; nothing was used from ${path}: fix the file and run again`, 'EVIDENCE_FILE');
    this.problems = problems;
  }
}

function formatOf(path: string): EvidenceFileFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.csv') return 'csv';
  throw new UsageError(`evidence file ${path} must end in .json or .csv (recon.evidence.file), so that its format is known`, 'EVIDENCE_FILE');
}

function gatherFromFile(fills: readonly EvidenceFill[], positions: readonly EvidencePosition[], query: EvidenceQuery): EvidenceResult {
  const symbols = new Set(query.symbols);
  const since = query.since.getTime();
  const until = query.until.getTime();
  const found = fills.filter(
    (fill) => fill.profileId === query.profileId && symbols.has(fill.symbol) && fill.filledAt.getTime() >= since && fill.filledAt.getTime() <= until,
  );
  const bySymbol = new Map<string, EvidencePosition>();
  for (const position of positions) {
    if (position.profileId === query.profileId && symbols.has(position.symbol)) bySymbol.set(position.symbol, position);
  }
  // An export vouches for its fills, as the table mirror does; a symbol it holds no position for
  // is left out of `positions`, which the decision treats as not observed for that symbol alone.
  return { fills: found, positions: bySymbol, complete: true, problems: [] };
}

/**
 * The `file` evidence source: a JSON or CSV export of fills and positions (format in README.md,
 * "Evidence sources"). The file is read and checked once, here; a file with any malformed row
 * throws EvidenceFileError and yields nothing, so a half-read export never becomes evidence.
 */
export async function fileEvidence(path: string): Promise<EvidenceSource> {
  const format = formatOf(path);
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read evidence file ${path} (recon.evidence.file): ${errorMessage(error)}`, 'EVIDENCE_FILE', { cause: error });
  }
  const parsed = parseEvidenceFile(path, format, content);
  if (parsed.problems.length > 0) throw new EvidenceFileError(path, parsed.problems);
  const { fills, positions } = parsed;
  return {
    kind: 'file',
    gather: async (query) => gatherFromFile(fills, positions, query),
    close: async () => {},
  };
}
