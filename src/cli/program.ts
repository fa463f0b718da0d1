import { Command, CommanderError } from 'commander';
import { holdsNulByte } from '../domain/nul-byte.ts';
import { isTradeledgerError, UsageError } from '../errors.ts';
import { demoCommand } from './demo-command.ts';
import { fromCommander, fromThrown, reportError, silenceCommanderErrors, wantsJson } from './error-output.ts';
import { generateCommand } from './generate-command.ts';
import type { CliIo } from './io.ts';
import { lifecycleCommand } from './lifecycle-command.ts';
import { migrateCommand } from './migrate-command.ts';
import { reconCommand } from './recon-command.ts';
import { serveCommand } from './serve-command.ts';

/** The version tradeledger reports. */
export const VERSION = '0.1.0';

/** The whole command tree, writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('tradeledger')
    .description('Keeps trading databases correct: safe migrations, trade lifecycle tracing and exchange reconciliation.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
  program.addCommand(migrateCommand(io));
  program.addCommand(lifecycleCommand(io));
  program.addCommand(reconCommand(io));
  program.addCommand(generateCommand(io));
  program.addCommand(serveCommand(io));
  program.addCommand(demoCommand(io));
  // Every subcommand reports usage errors through the same handler as the root.
  const configure = (command: Command) => {
    command.exitOverride().configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
    command.commands.forEach(configure);
  };
  configure(program);
  program.hook('preAction', (_program, action) => refuseNulBytes(action));
  return program;
}

/**
 * Refuses an option or argument value holding a NUL byte before the command opens anything:
 * PostgreSQL text cannot hold one (a 22021 error halfway through otherwise), nor can a file path.
 */
function refuseNulBytes(command: Command): void {
  const holdsNul = (value: unknown) => (Array.isArray(value) ? value : [value]).some((v) => typeof v === 'string' && holdsNulByte(v));
  for (const option of command.options) {
    if (holdsNul(command.getOptionValue(option.attributeName()))) {
      throw new UsageError(`${option.long ?? option.flags} holds a NUL byte (\\0), which no database text or file name can hold: remove it`, 'BAD_FLAG');
    }
  }
  command.args.forEach((value, index) => {
    if (!holdsNul(value)) return;
    const name = command.registeredArguments[index]?.name();
    throw new UsageError(
      `${name === undefined ? `argument ${index + 1}` : `<${name}>`} holds a NUL byte (\\0), which no database text or file name can hold: remove it`,
      'BAD_ARGUMENT',
    );
  });
}

/**
 * Runs one command line and returns its exit code: 0 success, 1 a check failed, 2 bad usage or
 * input, 3 refused by a safety gate. The only place exit codes are decided. Under --json an error
 * is one JSON document on stderr (`reportError`), with the same exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  const json = wantsJson(argv);
  if (json) silenceCommanderErrors(program);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return io.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; commander has already printed its one-line error otherwise (unless --json).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      if (json) reportError(io, true, fromCommander(error));
      return 2;
    }
    reportError(io, json, fromThrown(error));
    return isTradeledgerError(error) ? error.exitCode : 1;
  }
}
