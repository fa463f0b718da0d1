import { join } from 'node:path';
import type { Database } from '../../db/port.ts';
import { integrityCheck, onlineBackup } from '../../db/sqlite-files.ts';
import { CheckFailedError } from '../../errors.ts';

/** The SQLite online backup (freqtrade runs in WAL mode: a copy of the file alone would miss what the -wal holds), integrity-checked. */
export async function backupFirst(db: Database, batchId: string, dir: string | null | undefined): Promise<string | null> {
  if (db.dialect !== 'sqlite' || db.file === undefined) return null;
  const target = join(dir ?? join(db.file, '..'), `${db.file.split('/').at(-1)}.${batchId}.bak`);
  await onlineBackup(db.file, target);
  const check = integrityCheck(target);
  if (check !== 'ok') throw new CheckFailedError(`the backup ${target} fails PRAGMA integrity_check (${check}): nothing was written`, 'BACKUP');
  return target;
}
