import { processIo } from './io.ts';
import { runCli } from './program.ts';

// The CLI entry: the one place that turns an outcome into the process's exit code.
process.exitCode = await runCli(process.argv.slice(2), processIo());
