// `migrate up` starts squawk on the migrations the history says are pending before it takes the
// lock; what it applies is still linted as the plan made under the lock has it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import { SafetyError } from '../../src/errors.ts';
import { directorySource } from '../../src/migrate/source.ts';
import { migrateUp } from '../../src/migrate/up.ts';
import { createTestDatabase } from '../helpers/databases.ts';
import { historyOf, testSettings, writeMigrations } from '../helpers/migrations.ts';

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`migrate up lints what the locked plan applies (${kind})`, () => {
    it('a table created by an applied migration is not new to a pending one; a same-run table is', async () => {
      const test = await createTestDatabase(kind);
      try {
        const dir = writeMigrations(test.dir, {
          '001_fills.sql': '-- migrate:up\nCREATE TABLE fills (id BIGINT PRIMARY KEY, venue TEXT);\n-- migrate:down\nDROP TABLE fills;\n',
          '002_index.sql': '-- migrate:up\nCREATE INDEX fills_venue ON fills (venue);\n-- migrate:down\nDROP INDEX fills_venue;\n',
        });
        const source = directorySource(dir);
        const db = await openDatabase(test.url);
        try {
          await migrateUp(db, source, testSettings(), { to: 1 });
          await assert.rejects(
            migrateUp(db, source, testSettings()),
            (error: unknown) => error instanceof SafetyError && error.code === 'UNSAFE_MIGRATION' && error.message.includes('002_index.sql line 2'),
          );
        } finally {
          await db.close();
        }
        assert.deepEqual(
          (await historyOf(test.url)).map(([version]) => version),
          [1],
        );
        // On a fresh database both run together: the index is on a table nobody else can be using.
        const fresh = await createTestDatabase(kind);
        try {
          const again = await openDatabase(fresh.url);
          try {
            const result = await migrateUp(again, source, testSettings());
            assert.deepEqual(
              result.applied.map((step) => step.version),
              [1, 2],
            );
          } finally {
            await again.close();
          }
        } finally {
          await fresh.cleanup();
        }
      } finally {
        await test.cleanup();
      }
    });
  });
}
