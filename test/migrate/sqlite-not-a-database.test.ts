// A --db that names a folder or a file that is no SQLite database is bad input (exit 2) named at
// open, not a raw [SQLITE_14] / [SQLITE_26] driver error with exit 1, and nothing is written to it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.ts';
import { scratchDir } from '../helpers/databases.ts';

describe('a sqlite: --db that is not a SQLite database', () => {
  it('is exit 2 naming the path, for read-only and writing commands alike', async () => {
    const dir = scratchDir('not-sqlite-');
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    const text = join(dir, 'notes.db');
    const content = 'these are notes, not a database\n'.repeat(8);
    writeFileSync(text, content);
    for (const command of [['status'], ['up'], ['verify']]) {
      const onFolder = await cli('migrate', ...command, '--pack', 'risk-state', '--db', `sqlite:${folder}`);
      assert.equal(onFolder.code, 2, onFolder.stderr);
      assert.match(onFolder.stderr, /^tradeledger: .*folder.* is not a file\b.*\n$/);
      const onText = await cli('migrate', ...command, '--pack', 'risk-state', '--db', `sqlite:${text}`);
      assert.equal(onText.code, 2, onText.stderr);
      assert.match(
        onText.stderr,
        /^tradeledger: sqlite:.*notes\.db: .*notes\.db is not a SQLite database \(file is not a database\): point --db at a SQLite file\n$/,
      );
    }
    assert.equal(readFileSync(text, 'utf8'), content);
  });
});
