// Loaded with `node --import` by the start-up tests: writes the URL of every module the process
// loaded, one a line, to the file RECORD_LOADS names when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  const target = process.env.RECORD_LOADS;
  if (target !== undefined) writeFileSync(target, `${loaded.join('\n')}\n`);
});
