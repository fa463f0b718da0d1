// Other Node.js versions for the tests that run the published package on each supported LTS line,
// installed from the npm registry's `node` package the way .ci/run installs Node 24, and cached
// under ~/.cache/tradeledger/node<major> so only the first run downloads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The node binary of the newest release of `major`, installing it into the cache first when it is missing. */
export function nodeBinary(major: number, npm: readonly string[], env: NodeJS.ProcessEnv): string {
  const prefix = join(homedir(), '.cache', 'tradeledger', `node${major}`);
  const binary = join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(prefix, { recursive: true });
  const [command, ...args] = npm;
  const installed = spawnSync(command!, [...args, 'install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node@${major}`], {
    env,
    encoding: 'utf8',
  });
  if (installed.status !== 0 || !existsSync(binary)) {
    throw new Error(`could not install Node.js ${major} from the npm registry into ${prefix}:\n${installed.stderr}`);
  }
  return binary;
}
