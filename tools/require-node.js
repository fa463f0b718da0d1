// The first step of `npm test`: on a Node.js older than the floor, the CLI's own one-line hint and
// exit 2, instead of `node: bad option: --test-global-setup` from the test runner.
import { nodeFloorProblem, TEST_FLOOR } from '../bin/node-floor.js';

const problem = nodeFloorProblem(TEST_FLOOR, undefined, ' for npm test');
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 2;
}
