// Every citation of a specification section in the code resolves to a runbook in docs/.
//
// A citation is `§N`, `Phase X` or an id such as `DB-SCHEMA-004`. The rule, for each one found in
// src/, test/ and bench/ (*.ts, *.sql) and README.md:
//   - the citation's own line, or one of the 3 lines above it, names a `docs/….md` path, and one of
//     the files named there exists and has a Markdown heading holding the citation (`## §5 …`);
//   - a packaged migration (src/packs/<pack>/migrations/*.sql) cannot be edited without changing its
//     checksum, so for it a runbook that names the migration's path counts as named there too.
// Every `docs/….md` path named anywhere in those files must exist.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELF = 'test/docs/references.unit.test.ts';
const WINDOW = 3;
const CITATION = /§ ?\d+(?:\.\d+)*|\bPhase [A-Z0-9]+\b|\b[A-Z]{2,}-[A-Z]+-\d{3}\b/g;
const DOC_PATH = /\bdocs\/[\w./-]+?\.md(?![\w-])/g;
const PACKAGED_MIGRATION = /^src\/packs\/[^/]+\/migrations\/[^/]+\.sql$/;

/** Repository-relative paths (with `/`) of the files under `dir` whose name ends in one of `extensions`. */
function filesUnder(dir: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(ROOT, relative), { withFileTypes: true })) {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (extensions.some((extension) => entry.name.endsWith(extension))) found.push(path);
    }
  };
  walk(dir);
  return found.sort();
}

/** The files the rule covers. */
function scannedFiles(): string[] {
  return [...['src', 'test', 'bench'].flatMap((dir) => filesUnder(dir, ['.ts', '.sql'])), 'README.md'].filter((path) => path !== SELF);
}

/** A citation as headings write it: `§ 5.` is `§5`. */
function normalise(citation: string): string {
  return citation.replace(/^§ /, '§').replace(/\.+$/, '');
}

const headingCache = new Map<string, string[]>();

/** The heading lines of a Markdown file (outside code fences). */
function headings(path: string): string[] {
  let cached = headingCache.get(path);
  if (cached === undefined) {
    cached = [];
    let fenced = false;
    for (const line of readFileSync(join(ROOT, path), 'utf8').split('\n')) {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      else if (!fenced && /^#{1,6}\s/.test(line)) cached.push(line);
    }
    headingCache.set(path, cached);
  }
  return cached;
}

/** True when a heading of `path` holds `citation` as a whole token (`§5` is not in `§50`). */
function hasHeading(path: string, citation: string): boolean {
  const escaped = citation.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const token = new RegExp(`(?<![\\w§])${escaped}(?![\\w]|\\.\\d)`);
  return headings(path).some((heading) => token.test(heading));
}

/** Runbooks (every Markdown file under docs/) that name `migration`'s path. */
function runbooksNaming(migration: string): string[] {
  if (!existsSync(join(ROOT, 'docs'))) return [];
  return filesUnder('docs', ['.md']).filter((doc) => readFileSync(join(ROOT, doc), 'utf8').includes(migration));
}

interface Occurrence {
  readonly where: string;
  readonly citation: string;
  readonly docs: readonly string[];
}

/** Every citation in the scanned files, with the docs paths its window names. */
function occurrences(): Occurrence[] {
  const found: Occurrence[] = [];
  for (const file of scannedFiles()) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    const viaRunbook = PACKAGED_MIGRATION.test(file) ? runbooksNaming(file) : [];
    lines.forEach((line, index) => {
      const citations = line.match(CITATION);
      if (citations === null) return;
      const window = lines.slice(Math.max(0, index - WINDOW), index + 1).join('\n');
      const docs = [...new Set([...(window.match(DOC_PATH) ?? []), ...viaRunbook])];
      for (const citation of citations) found.push({ where: `${file}:${index + 1}`, citation: normalise(citation), docs });
    });
  }
  return found;
}

describe('specification references', () => {
  it('finds the citations (the scan itself works)', () => {
    const all = occurrences();
    assert.ok(all.length >= 100, `only ${all.length} citations found`);
    assert.ok(
      all.some((o) => o.citation === 'DB-SCHEMA-006') && all.some((o) => o.citation === 'Phase B') && all.some((o) => o.citation === '§9'),
      'the three kinds of citation',
    );
  });

  it('every citation names a docs/ file within its line or the 3 above, and that file has it as a heading', () => {
    const problems: string[] = [];
    for (const o of occurrences()) {
      if (o.docs.length === 0) {
        problems.push(`${o.where}: ${o.citation} names no docs/….md file`);
        continue;
      }
      const existing = o.docs.filter((doc) => existsSync(join(ROOT, doc)));
      if (!existing.some((doc) => hasHeading(doc, o.citation))) {
        problems.push(`${o.where}: ${o.citation} is not a heading of ${o.docs.join(' or ')}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('every docs/….md path the code names exists', () => {
    const missing: string[] = [];
    for (const file of scannedFiles()) {
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const doc of line.match(DOC_PATH) ?? []) if (!existsSync(join(ROOT, doc))) missing.push(`${file}:${index + 1}: ${doc}`);
        });
    }
    assert.deepEqual(missing, []);
  });

  it('the runbook index lists every runbook', () => {
    const index = 'docs/runbooks/README.md';
    assert.ok(existsSync(join(ROOT, index)), `${index} is missing`);
    const text = readFileSync(join(ROOT, index), 'utf8');
    const runbooks = filesUnder('docs/runbooks', ['.md']).filter((path) => path !== index);
    assert.ok(runbooks.length > 0, 'no runbooks in docs/runbooks');
    for (const runbook of runbooks) assert.ok(text.includes(runbook.slice('docs/runbooks/'.length)), `${index} does not list ${runbook}`);
  });
});
