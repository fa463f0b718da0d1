// Writes docs/openapi.json from the route schemas: `npm run openapi` after changing a route.
// test/service/openapi.test.ts fails while the file and the routes disagree.
import { writeFileSync } from 'node:fs';
import { openApiText } from '../src/service/openapi-document.ts';

const target = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(target, await openApiText());
process.stdout.write(`wrote ${target.pathname}\n`);
