// The server's error position names a line of the migration file only when it falls inside the
// migration's own text: before it (BEGIN, settings, the history row) or after it (the `;` that
// terminated() adds, the history update) it used to map to lines the file does not have.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorLine } from '../../src/migrate/error-line.ts';
import type { PlanChunk } from '../../src/migrate/planner.ts';

const before = 'BEGIN;\nSET LOCAL lock_timeout = 2000;\n';
const body = 'CREATE TABLE a (id int);\n-- é😀\nINSERT INTO a VALUES (nope);';
const after = '\n;\nUPDATE schema_version SET success = true;';
const sql = before + body + after;
const chunk: PlanChunk = { sql, section: { at: before.length, end: before.length + body.length, origin: { fileName: '002_a.sql', line: 2 } } };
/** PostgreSQL's 1-based position, in characters, of `needle` in the chunk. */
const positionOf = (needle: string) => [...sql.slice(0, sql.indexOf(needle))].length + 1;

describe('errorLine', () => {
  it('maps a position inside the section to its file line, counting characters outside the BMP once', () => {
    assert.equal(errorLine(chunk, { position: String(positionOf('CREATE')) }), '002_a.sql line 2');
    assert.equal(errorLine(chunk, { position: String(positionOf('nope')) }), '002_a.sql line 4');
  });

  it('names no line for a position before or after the section, or without one', () => {
    assert.equal(errorLine(chunk, { position: String(positionOf('SET LOCAL')) }), null);
    assert.equal(errorLine(chunk, { position: String(positionOf('\n;\nUPDATE') + 1) }), null);
    assert.equal(errorLine(chunk, { position: String(positionOf('UPDATE')) }), null);
    assert.equal(errorLine(chunk, {}), null);
  });
});
