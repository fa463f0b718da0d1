import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a fake process shows itself in a fake /proc. */
export interface FakeProcess {
  /** Its command line, arguments NUL-separated as /proc/<pid>/cmdline has them; null: unreadable too (hidepid=1). */
  readonly cmdline: string | null;
  /**
   * The files it has open, or 'unreadable': another user's process seen by a user who is not root
   * (the tests run as root, whom chmod does not stop, so `fd` is a file: listing it fails as EACCES would).
   */
  readonly fd: readonly string[] | 'unreadable';
}

/** A process table for the stop-the-bot gate's `procRoot`: this process (its descriptors readable), pid 1 unless `hidepid`, and what a test adds. */
export function fakeProc(dir: string, options: { readonly hidepid?: boolean } = {}): { root: string; add: (pid: number, p: FakeProcess) => void } {
  const root = mkdtempSync(join(dir, 'proc-'));
  const add = (pid: number, p: FakeProcess) => {
    const at = join(root, String(pid));
    mkdirSync(at);
    if (p.cmdline === null) mkdirSync(join(at, 'cmdline'));
    else writeFileSync(join(at, 'cmdline'), p.cmdline);
    if (p.fd === 'unreadable') writeFileSync(join(at, 'fd'), '');
    else {
      mkdirSync(join(at, 'fd'));
      for (const [i, file] of p.fd.entries()) symlinkSync(file, join(at, 'fd', String(i)));
    }
  };
  add(process.pid, { cmdline: 'node\0', fd: ['/dev/null'] });
  if (options.hidepid !== true && process.pid !== 1) add(1, { cmdline: '/sbin/init\0', fd: [] });
  return { root, add };
}
