import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { Database, Queryable } from '../../db/port.ts';
import { SafetyError } from '../../errors.ts';

/** How the stop-the-bot gate looks for the bot; every field has a default, so a library caller may pass nothing. */
export interface StopGateOptions {
  /** freqtrade's REST API (`freqtrade.api_url`): asked before writing whether the bot process is up. */
  readonly apiUrl?: string | undefined;
  /**
   * The operator's word, for one run, that the bot is stopped (`--bot-stopped`): lets a write
   * through where other processes' open files cannot be read (not Linux, no readable /proc, a /proc
   * mounted with hidepid). It never overrides a process found with the file open, a freqtrade
   * process of another user, nor the API check.
   */
  readonly botStopped?: boolean | undefined;
  /** Where Linux's process table is mounted (default /proc). */
  readonly procRoot?: string | undefined;
  /** The platform the gate believes it runs on (default process.platform). */
  readonly platform?: NodeJS.Platform | undefined;
}

/**
 * Why other processes' open files cannot be read here, or null when they can: off Linux there is
 * no /proc, and a /proc where even this process's own descriptors cannot be listed (not mounted, a
 * sandbox) would find nobody and pass a running bot.
 */
export function openFilesUnreadable(options: Pick<StopGateOptions, 'procRoot' | 'platform'> = {}): string | null {
  const platform = options.platform ?? process.platform;
  if (platform !== 'linux') return `on ${platform} there is no /proc to read them from`;
  const root = options.procRoot ?? '/proc';
  try {
    if (readdirSync(`${root}/${process.pid}/fd`).length > 0) return null;
  } catch {
    // Not mounted, or not ours to read: reported below.
  }
  return `${root} does not list this process's own open files`;
}

/** A process whose open files this user cannot read, whose command line says it runs freqtrade. */
export interface HiddenBot {
  readonly pid: number;
  /** Its command line, shortened for a message. */
  readonly command: string;
}

/** What a look through /proc found for one SQLite file. */
export interface ProcessScan {
  /** Processes (other than ours) with the file, its -wal, -shm or -journal open. */
  readonly open: readonly number[];
  /** Processes whose open files cannot be read here (another user's, when we are not root) that run freqtrade. */
  readonly hiddenBots: readonly HiddenBot[];
  /** Processes whose open files cannot be read here, nor their command line (hidepid=1): what they run is unknown. */
  readonly unknown: readonly number[];
  /** How many processes' open files could not be read here, whatever they run. */
  readonly uninspectable: number;
}

const basename = (arg: string): string => (arg.split('/').at(-1) ?? '').toLowerCase();

// CPython and PyPy interpreters (python, python3, python3.12, pypy3), and their options that take a value.
const PYTHON = /^(python|pypy)/;
const PYTHON_OPTIONS_WITH_VALUE = new Set(['-W', '-X', '-Q']);

// A process that ended between listing /proc and reading it: nothing of it is left to hide the file.
const GONE = new Set(['ENOENT', 'ESRCH']);

/**
 * True when a command line (NUL-separated, as /proc/<pid>/cmdline gives it) runs freqtrade: the
 * program is freqtrade (its console script), or a Python interpreter runs a script or module
 * named so (`python3 …/bin/freqtrade trade`, `python -m freqtrade`). Any other program that merely
 * mentions freqtrade (`sudo … --ledger freqtrade`, `tail freqtrade.log`) is not the bot.
 */
export function runsFreqtrade(cmdline: string): boolean {
  const argv = cmdline.split('\0').filter((arg) => arg !== '');
  const program = basename(argv[0] ?? '');
  if (program.startsWith('freqtrade')) return true;
  if (!PYTHON.test(program)) return false;
  // The interpreter runs what follows its own options: `-m MODULE` (or `-mMODULE`), or the first
  // other argument, the script. Arguments after it are the script's (a log file, a data folder).
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-m') return basename(argv[i + 1] ?? '').startsWith('freqtrade');
    if (arg.startsWith('-m')) return arg.slice(2).toLowerCase().startsWith('freqtrade');
    // `-c CODE`: a bot may be started from code (`from freqtrade.main import main; main()`).
    if (arg === '-c') return /freqtrade/i.test(argv[i + 1] ?? '');
    if (PYTHON_OPTIONS_WITH_VALUE.has(arg)) i += 1;
    else if (!arg.startsWith('-')) return basename(arg).startsWith('freqtrade');
  }
  return false;
}

const errorCode = (error: unknown): unknown => (error as { code?: unknown }).code;

/**
 * Looks through /proc (Linux) for processes other than ours with the SQLite file, its -wal, -shm
 * or -journal open. Files are compared by device and inode, not by path: a bot in a Docker
 * container opens the same file under another path (/freqtrade/user_data/tradesv3.sqlite). A
 * process whose descriptors cannot be read (another user's, when we are not root) is not passed
 * over: its command line (readable by anyone) tells whether it runs freqtrade.
 */
export function scanProcesses(file: string, procRoot = '/proc'): ProcessScan {
  const targets = new Set<string>();
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      const stat = statSync(path);
      targets.add(`${stat.dev}:${stat.ino}`);
    } catch {
      // No -wal, -shm or -journal beside the database right now: nothing to look for.
    }
  }
  const open: number[] = [];
  const hiddenBots: HiddenBot[] = [];
  const unknown: number[] = [];
  let uninspectable = 0;
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${entry}/fd`);
    } catch (error) {
      // A process that just ended has nothing open; any other failure (EACCES: another user's) hides what it has open.
      if (GONE.has(errorCode(error) as string)) continue;
      uninspectable += 1;
      let cmdline: string;
      try {
        cmdline = readFileSync(`${procRoot}/${entry}/cmdline`, 'utf8');
      } catch (cmdError) {
        if (!GONE.has(errorCode(cmdError) as string)) unknown.push(Number(entry));
        continue;
      }
      if (runsFreqtrade(cmdline)) {
        const command = cmdline
          .split('\0')
          .filter((arg) => arg !== '')
          .join(' ');
        hiddenBots.push({ pid: Number(entry), command: command.length > 80 ? `${command.slice(0, 79)}…` : command });
      }
      continue;
    }
    for (const fd of fds) {
      try {
        const stat = statSync(`${procRoot}/${entry}/fd/${fd}`);
        if (targets.has(`${stat.dev}:${stat.ino}`)) {
          open.push(Number(entry));
          break;
        }
      } catch {
        // The descriptor closed between listing and reading it, or is a socket or pipe.
      }
    }
  }
  return { open, hiddenBots, unknown, uninspectable };
}

/** Sessions on the same PostgreSQL database other than tradeledger's own (its pool connects as application_name 'tradeledger'). */
async function otherSessions(db: Queryable): Promise<{ pid: number; application_name: string; client_addr: string | null }[]> {
  return db.query(
    `SELECT pid, application_name, client_addr::text AS client_addr FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND application_name IS DISTINCT FROM 'tradeledger'`,
  );
}

/** `url` as messages show it: without the user name and password an operator may have put in it. */
function shownUrl(url: string): string {
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  return shown.href.replace(/\/$/, '');
}

// The connection errors that mean nothing listens there (refused, or a host name gone with its
// container); any other failure (a timeout, TLS, something that is not freqtrade) leaves it unknown.
const NOTHING_LISTENS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True when freqtrade's REST API answers at `url` (the bot process is up, whatever its state);
 * false only when nothing listens there. The ping needs no login, so credentials in `url` are
 * dropped (fetch refuses a URL that holds them, which would have read as "nothing listens").
 */
async function apiAnswers(url: string): Promise<boolean> {
  const ping = new URL('/api/v1/ping', url);
  ping.username = '';
  ping.password = '';
  try {
    await fetch(ping, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (typeof code === 'string' && NOTHING_LISTENS.has(code)) return false;
    const why = typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
    throw new SafetyError(
      `cannot tell whether freqtrade's API at ${shownUrl(url)} is up (${why}): stop the bot process, or fix or unset freqtrade.api_url; nothing was written`,
      'FREQTRADE_RUNNING',
    );
  }
}

/**
 * The stop-the-bot gate: refuses (SafetyError, exit 3) while another process has the freqtrade
 * database open (SQLite: its file among other processes' descriptors in /proc; PostgreSQL: another
 * session on the database) or freqtrade's REST API answers. freqtrade's own documentation
 * (www.freqtrade.io/en/stable/sql_cheatsheet) warns that writing while the bot is connected corrupts its state.
 * A process of another user whose open files cannot be read is refused when its command line runs
 * freqtrade. Where open files cannot be read at all (not Linux, no readable /proc, hidepid) it
 * refuses too, unless the operator says the bot is stopped (`botStopped`): a gate that cannot look
 * must not pass in silence.
 * Called before the backup and again inside the writing transaction.
 */
export async function requireBotStopped(db: Database, conn: Queryable, gate: StopGateOptions = {}): Promise<void> {
  if (db.dialect === 'sqlite' && db.file !== undefined) {
    let unknown = openFilesUnreadable(gate);
    // Where other users' processes are what cannot be looked into, root (or the bot's user) can look.
    let asRoot = '';
    if (unknown === null) {
      const root = gate.procRoot ?? '/proc';
      const scan = scanProcesses(db.file, root);
      if (scan.open.length > 0) {
        throw new SafetyError(
          `${db.file} is open in process ${scan.open.join(', ')}: stop the bot (freqtrade, and any sqlite3 shell or viewer) before writing; nothing was written`,
          'FREQTRADE_RUNNING',
        );
      }
      const [bot] = scan.hiddenBots;
      if (bot !== undefined) {
        throw new SafetyError(
          `process ${bot.pid} (${bot.command}) runs freqtrade as another user, whose open files this user cannot read: run tradeledger as root or as the bot's user, or stop the bot; nothing was written`,
          'FREQTRADE_RUNNING',
        );
      }
      const others = scan.uninspectable === 0 ? '' : `; ${scan.uninspectable} process(es) of other users could not be looked into`;
      // hidepid=2 leaves other users' processes out of the listing, so an empty look proves nothing;
      // pid 1 (init, root's) is the tell. hidepid=1 lists them but hides their command lines too.
      if (!existsSync(`${root}/1`)) unknown = `${root} does not list pid 1, so it hides other users' processes (mounted with hidepid)${others}`;
      else if (scan.unknown.length > 0)
        unknown = `neither the open files nor the command line of process ${scan.unknown.slice(0, 5).join(', ')}${scan.unknown.length > 5 ? ' …' : ''} can be read here${others}`;
      if (unknown !== null) asRoot = "run tradeledger as root or as the bot's user, or ";
    }
    if (unknown !== null && gate.botStopped !== true) {
      throw new SafetyError(
        `cannot tell whether another process has ${db.file} open (${unknown}): ${asRoot}stop the bot (freqtrade, and any sqlite3 shell or viewer), then run again with --bot-stopped; nothing was written`,
        'BOT_STATE_UNKNOWN',
      );
    }
  }
  if (db.dialect === 'postgres' && db.kind === 'postgres') {
    const sessions = await otherSessions(conn);
    if (sessions.length > 0) {
      throw new SafetyError(
        `${sessions.length} other session(s) on this database (pid ${sessions.map((s) => `${s.pid}${s.application_name === '' ? '' : ` ${s.application_name}`}`).join(', ')}): stop the bot before writing; nothing was written`,
        'FREQTRADE_RUNNING',
      );
    }
  }
  if (gate.apiUrl !== undefined && (await apiAnswers(gate.apiUrl))) {
    throw new SafetyError(
      `freqtrade's API answers at ${shownUrl(gate.apiUrl)}: stop the bot process (not only /stop: a stopped bot keeps its database open) before writing; nothing was written`,
      'FREQTRADE_RUNNING',
    );
  }
}
