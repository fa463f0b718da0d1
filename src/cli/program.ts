import { Command, CommanderError } from 'commander';
import { holdsNulByte } from '../domain/nul-byte.ts';
import { isTradeledgerError, UsageError } from '../errors.ts';
import { fromCommander, fromThrown, reportError, silenceCommanderErrors, wantsJson } from './error-output.ts';
import type { CliIo } from './io.ts';

/** The version tradeledger reports. */
export const VERSION = '0.1.0';

type CommandLoader = (io: CliIo) => Promise<Command>;

/**
 * The command groups, in help order, each with the description the root help shows and its loader.
 * A group's file (and the library it imports: fastify and pino for serve, ccxt for recon, …) is
 * loaded only when a command line names that group, so `--help` and `migrate status` start fast.
 * A test checks each description against the one its command file gives.
 */
export const COMMAND_GROUPS: readonly { readonly name: string; readonly description: string; readonly load: CommandLoader }[] = [
  {
    name: 'migrate',
    description: 'versioned schema migrations: status, plan, up, down, stamp, history, verify, lint, restore, new, wait, dump',
    load: async (io) => (await import('./migrate-command.ts')).migrateCommand(io),
  },
  {
    name: 'lifecycle',
    description: 'trace trades by profile_id + trade_id: snapshot, backfill, report, tighten, loosen, summaries',
    load: async (io) => (await import('./lifecycle-command.ts')).lifecycleCommand(io),
  },
  {
    name: 'recon',
    description: 'compensating EXIT rows from exchange evidence: detect, run, plan, apply, verify, rollback, audit',
    load: async (io) => (await import('./recon-command.ts')).reconCommand(io),
  },
  {
    name: 'generate',
    description: 'fill an empty bot-ledger database with reproducible sample history, anomalies injected at a known rate',
    load: async (io) => (await import('./generate-command.ts')).generateCommand(io),
  },
  {
    name: 'serve',
    description: 'run the daemon: check the schema at start-up, serve trading status, health, metrics and the audit over HTTP, and reconcile every --interval',
    load: async (io) => (await import('./serve-command.ts')).serveCommand(io),
  },
  {
    name: 'demo',
    description: 'walk the lifecycle and reconciliation runbooks on generated sample data, step by step (default: a fresh embedded database)',
    load: async (io) => (await import('./demo-command.ts')).demoCommand(io),
  },
];

/**
 * The group a command line names: its first word, or the word after `help`. Root options take no
 * value (--help, --version), so the first word not starting with '-' is the group.
 */
function namedGroup(argv: readonly string[]): string | undefined {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The command tree for `argv`, writing to `io`: the group it names is loaded in full, the others
 * are stubs that carry only their name and description (enough for the root help and for
 * commander's "unknown command" suggestions). Pass `all` to load every group (tests, docs).
 */
export async function buildProgram(io: CliIo, argv: readonly string[] = [], all = false): Promise<Command> {
  const program = new Command('tradeledger')
    .description('Keeps trading databases correct: safe migrations, trade lifecycle tracing and exchange reconciliation.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
  const named = namedGroup(argv);
  for (const group of COMMAND_GROUPS) {
    program.addCommand(all || group.name === named ? await group.load(io) : new Command(group.name).description(group.description));
  }
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
  const program = await buildProgram(io, argv);
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
