// The Node.js floors bin/tradeledger.js and `npm test` enforce, and that package.json's engines says the same.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nodeFloorProblem, PACKAGE_FLOOR, SOURCE_FLOOR, TEST_FLOOR } from '../../bin/node-floor.js';

describe('the Node.js floors', () => {
  it('the package runs on 22 LTS from 22.16 (node:sqlite backup and isTransaction) and on 24 and newer; never on 23', () => {
    for (const version of ['22.16.0', '22.23.3', '24.0.0', '24.21.0', '25.1.0']) assert.equal(nodeFloorProblem(PACKAGE_FLOOR, version), undefined, version);
    for (const version of ['20.19.0', '22.13.0', '22.15.1', '23.11.0']) {
      assert.match(
        nodeFloorProblem(PACKAGE_FLOOR, version) ?? '',
        /^tradeledger: needs Node\.js 22\.16\.0 \(22 LTS\) or 24 LTS and newer \(this is v/,
        version,
      );
    }
  });

  it('a checkout needs type stripping without a flag (22.18), npm test needs 24', () => {
    assert.equal(nodeFloorProblem(SOURCE_FLOOR, '22.18.0'), undefined);
    assert.match(nodeFloorProblem(SOURCE_FLOOR, '22.17.1', ' to run from a checkout') ?? '', /22\.18\.0 .* to run from a checkout \(this is v22\.17\.1\)/);
    assert.equal(nodeFloorProblem(TEST_FLOOR, '24.0.0'), undefined);
    assert.match(nodeFloorProblem(TEST_FLOOR, '22.23.3', ' for npm test') ?? '', /needs Node\.js 24\.0\.0 or newer for npm test .*npm install -g node@24/);
  });

  it("package.json's engines is the package floor", () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    assert.equal(manifest.engines.node, `^${PACKAGE_FLOOR} || >=24`);
  });
});
