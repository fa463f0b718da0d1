// `npm run build` (and `prepack`): compiles src/ to dist/ (JavaScript, .d.ts, source maps) with
// tsc, then copies every other file src/ reads at run time (the packs' migrations/*.sql) beside the
// compiled modules, so dist/ resolves them from import.meta.url exactly as src/ does. Plain
// JavaScript, like bin/, so it runs wherever npm does.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Files under `dir` (relative paths) that tsc does not turn into JavaScript. */
function assets(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) return assets(dir, path);
    return entry.name.endsWith('.ts') ? [] : [path];
  });
}

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write('build: tsc failed (see above); dist/ is incomplete\n');
  process.exit(compiled.status ?? 1);
}
for (const path of assets(src)) cpSync(join(src, path), join(dist, path));
process.stdout.write(`build: dist/ written (${assets(dist).length} files)\n`);
