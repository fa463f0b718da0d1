// The layer rule of ARCHITECTURE.md, checked against the code: the document's `## Layers` list is the
// source of truth, so placing a new folder or moving a layer is an edit to the document, not here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCUMENT = 'ARCHITECTURE.md';

/** One line of the layer list: a folder (ending in `/`) or a file under src/, and its layer. */
interface LayerEntry {
  readonly path: string;
  readonly layer: number;
}

/** One relative import in a src/ file, both ends as repository paths with `/`. */
interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

const ENTRY_LINE = /^- \*\*(\d+)\*\* `([^`]+)` — \S/;

/** Reads the `## Layers` list: lines `- **N** \`src/…\` — what it holds`, lowest layer first. */
function readLayers(markdown: string): LayerEntry[] {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((line) => /^## Layers\s*$/.test(line));
  assert.notEqual(start, -1, `${DOCUMENT} has no '## Layers' section`);
  const entries: LayerEntry[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    // A line that looks like an entry but does not parse must fail, or a typo would drop a folder silently.
    if (!line.startsWith('- **')) continue;
    const match = ENTRY_LINE.exec(line);
    assert.ok(match?.[1] !== undefined && match[2] !== undefined, `${DOCUMENT}: malformed layer line (want - **N** \`src/path/\` — text): ${line}`);
    const path = match[2];
    assert.ok(/^src\/.+(\/|\.ts)$/.test(path), `${DOCUMENT}: ${path} is not a folder (src/…/) or a file (src/….ts)`);
    assert.ok(!entries.some((e) => e.path === path), `${DOCUMENT}: ${path} is listed twice`);
    entries.push({ path, layer: Number(match[1]) });
  }
  assert.ok(entries.length > 0, `${DOCUMENT}: the '## Layers' section lists no layer`);
  return entries;
}

/** Every file under `dir` (recursively), as repository paths with `/`. */
function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(`${dir}/${d.name}`) : [`${dir}/${d.name}`]));
}

/** The entry that governs `file`: the file itself, else the deepest folder holding it. */
function entryOf(file: string, entries: readonly LayerEntry[]): LayerEntry | undefined {
  let best: LayerEntry | undefined;
  for (const e of entries) {
    const holds = e.path === file || (e.path.endsWith('/') && file.startsWith(e.path));
    if (holds && (best === undefined || e.path.length > best.path.length)) best = e;
  }
  return best;
}

/**
 * Every module specifier a file names: static `import … from`, `export … from`, side-effect
 * imports and `import('…')` with a literal. TypeScript's own pre-processor reads them, so comments,
 * strings and SQL text that merely contain the word `import` are never mistaken for one.
 */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

const LAYERS = readLayers(readFileSync(join(ROOT, DOCUMENT), 'utf8'));
const SOURCES = walk('src').filter((f) => f.endsWith('.ts'));
const EDGES: ImportEdge[] = [];
const PACKAGES = new Map<string, string[]>();
for (const file of SOURCES) {
  for (const spec of specifiers(readFileSync(join(ROOT, file), 'utf8'))) {
    if (spec.startsWith('.')) {
      EDGES.push({ from: file, to: posix.normalize(posix.join(posix.dirname(file), spec)) });
    } else {
      const users = PACKAGES.get(spec) ?? [];
      PACKAGES.set(spec, [...users, file]);
    }
  }
}

describe(`the layers of ${DOCUMENT}`, () => {
  it('are listed lowest first and name only paths that exist', () => {
    const numbers = LAYERS.map((e) => e.layer);
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b),
      `${DOCUMENT}: list the layers lowest first`,
    );
    const files = new Set(SOURCES);
    const stale = LAYERS.filter((e) => (e.path.endsWith('/') ? !SOURCES.some((f) => f.startsWith(e.path)) : !files.has(e.path)));
    assert.deepEqual(
      stale.map((e) => e.path),
      [],
      `${DOCUMENT} lists paths that hold no .ts file under src/`,
    );
  });

  it('place every folder and top-level file of src/, and every file in it', () => {
    const top = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory() || d.name.endsWith('.ts'))
      .map((d) => (d.isDirectory() ? `src/${d.name}/` : `src/${d.name}`));
    const unplaced = top.filter((path) => !LAYERS.some((e) => e.path === path || (path.endsWith('/') && e.path.startsWith(path))));
    assert.deepEqual(unplaced, [], `place these in ${DOCUMENT}'s '## Layers' list (one line each, in the layer their imports put them)`);
    const unmapped = SOURCES.filter((f) => entryOf(f, LAYERS) === undefined);
    assert.deepEqual(unmapped, [], `these files fall under no line of ${DOCUMENT}'s '## Layers' list`);
  });

  it('hold: a src/ file imports only from its own folder or a lower layer', () => {
    const violations: string[] = [];
    for (const { from, to } of EDGES) {
      if (!to.startsWith('src/')) continue;
      const a = entryOf(from, LAYERS);
      const b = entryOf(to, LAYERS);
      // Unplaced files are the previous test's failure; reporting them twice would only add noise.
      if (a === undefined || b === undefined || a === b || b.layer < a.layer) continue;
      const why = b.layer === a.layer ? ', a sibling: folders that share a layer do not import each other' : '';
      violations.push(`${from} (layer ${a.layer}) imports ${to} (layer ${b.layer})${why}`);
    }
    assert.equal(
      violations.length,
      0,
      `${violations.length} import(s) break ${DOCUMENT}'s layers (a file may import from its own folder and from lower layers only):\n  ${violations.join('\n  ')}`,
    );
  });

  it('keep src/ self-contained: nothing from test/, bench/, tools/ or anywhere else outside src/', () => {
    const outside = EDGES.filter((e) => !e.to.startsWith('src/')).map((e) => `${e.from} imports ${e.to}`);
    assert.deepEqual(outside, [], 'src/ is what the package publishes: it must not import from test/, bench/, tools/ or any other folder');
  });

  it('let src/ import only runtime dependencies and Node built-ins', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const runtime = new Set([...Object.keys(manifest['dependencies'] ?? {}), ...Object.keys(manifest['optionalDependencies'] ?? {})]);
    const builtins = new Set(builtinModules);
    const wrong: string[] = [];
    for (const [spec, users] of PACKAGES) {
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
      if (spec.startsWith('node:') || builtins.has(name) || runtime.has(name)) continue;
      wrong.push(`${users.join(', ')} import(s) ${spec}`);
    }
    assert.deepEqual(wrong, [], 'src/ may import only packages in dependencies (an `npm i -g tradeledger` installs no devDependencies)');
  });
});
