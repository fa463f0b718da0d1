// The Node.js version floor, in plain JavaScript so that an older Node can run it and say what is
// wrong instead of failing to parse TypeScript or a newer flag. Used by the CLI and by `npm test`.

/** The oldest Node.js major version tradeledger runs on from a checkout. */
export const NODE_FLOOR = 24;

/** The one-line hint for a Node.js older than the floor, or undefined when this one is new enough. */
export function nodeFloorProblem(version = process.versions.node) {
  const major = Number(version.split('.')[0]);
  if (major >= NODE_FLOOR) return undefined;
  return `tradeledger: needs Node.js ${NODE_FLOOR} or newer (this is v${version}); install it, e.g. \`npm install -g node@${NODE_FLOOR}\``;
}
