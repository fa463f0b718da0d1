// The Node.js version floors, in plain JavaScript so that an older Node can run it and say what is
// wrong instead of failing to parse TypeScript or a newer flag. Used by the CLI and by `npm test`.

/**
 * The oldest Node.js the published package (compiled JavaScript in dist/) runs on: node:sqlite
 * needs no flag from 22.13, and its backup() and isTransaction, which the SQLite backups and
 * transactions use, arrived in 22.16.
 */
export const PACKAGE_FLOOR = '22.16.0';

/** A checkout runs src/*.ts directly: Node strips types without a flag from 22.18 (and 23.6). */
export const SOURCE_FLOOR = '22.18.0';

/** `npm test` needs `node --test-global-setup`, new in Node.js 24. */
export const TEST_FLOOR = '24.0.0';

/** True when dotted version `a` is at least `b`. */
function atLeast(a, b) {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((left[i] ?? 0) !== (right[i] ?? 0)) return (left[i] ?? 0) > (right[i] ?? 0);
  }
  return true;
}

/**
 * The one-line hint for a Node.js older than `floor`, or undefined when this one will do. Node 23
 * (odd, no longer maintained) never got node:sqlite's isTransaction and isOpen: it is refused too.
 */
export function nodeFloorProblem(floor = PACKAGE_FLOOR, version = process.versions.node, purpose = '') {
  const major = floor.split('.')[0];
  if (atLeast(version, floor) && version.split('.')[0] !== '23') return undefined;
  const oldest = major === '22' ? `${floor} (22 LTS) or 24 LTS and newer` : `${floor} or newer`;
  return `tradeledger: needs Node.js ${oldest}${purpose} (this is v${version}); install it, e.g. \`npm install -g node@${major === '22' ? 24 : major}\``;
}
