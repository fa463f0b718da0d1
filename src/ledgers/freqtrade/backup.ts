import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../db/port.ts';
import { integrityCheck, onlineBackup } from '../../db/sqlite-files.ts';
import { CheckFailedError } from '../../errors.ts';

/** `<file>.<label>.bak`, or `<file>.<label>.2.bak` and on when taken: a batch applied again (or rolled back again) must not overwrite the backup of the state before it. */
function freeTarget(dir: string, name: string, label: string): string {
  let target = join(dir, `${name}.${label}.bak`);
  for (let n = 2; existsSync(target); n += 1) target = join(dir, `${name}.${label}.${n}.bak`);
  return target;
}

/** The SQLite online backup (freqtrade runs in WAL mode: a copy of the file alone would miss what the -wal holds), integrity-checked. */
export async function backupFirst(db: Database, batchId: string, dir: string | null | undefined): Promise<string | null> {
  if (db.dialect !== 'sqlite' || db.file === undefined) return null;
  const target = freeTarget(dir ?? join(db.file, '..'), db.file.split('/').at(-1) as string, batchId);
  await onlineBackup(db.file, target);
  const check = integrityCheck(target);
  if (check !== 'ok') throw new CheckFailedError(`the backup ${target} fails PRAGMA integrity_check (${check}): nothing was written`, 'BACKUP');
  return target;
}
