#!/usr/bin/env node
// Checked in plain JavaScript so that an older Node says what is wrong instead of failing to parse TypeScript.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`tradeledger: needs Node.js 24 or newer (this is ${process.version}); install it, e.g. \`npm install -g node@24\`\n`);
  process.exit(2);
}
await import('../src/cli/main.ts');
