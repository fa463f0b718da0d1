// The compliance role only reads (issue 11): a role that is a member of compliance and holds
// write privileges could DELETE or UPDATE every trader's orders and fills, because 001's
// isolation policies admitted compliance in USING, which also governs UPDATE and DELETE.
// From migration 002 compliance reads through SELECT-only policies; traders are unchanged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, Queryable } from '../../src/db/port.ts';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { cli } from '../helpers/cli.ts';

const TRADER_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const TRADER_B = 'bbbbbbbb-0000-4000-8000-000000000002';

async function withOpen(url: string, fn: (db: Database) => Promise<unknown>): Promise<void> {
  const db = await openDatabase(url);
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

async function insertOrder(q: Queryable, trader: string): Promise<string> {
  const rows = await q.query<{ id: string }>("INSERT INTO orders (trader_id, symbol, quantity, order_type) VALUES ($1, 'AAPL', 100, 'MARKET') RETURNING id", [
    trader,
  ]);
  return rows[0]!.id;
}

async function insertFill(q: Queryable, orderId: string): Promise<void> {
  await q.query("INSERT INTO fills (order_id, quantity_filled, price_at_fill, venue) VALUES ($1, 40, '187.20', 'NYSE')", [orderId]);
}

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`order-execution: compliance reads and never writes (${kind})`, () => {
    const suffix = randomBytes(4).toString('hex');
    // PostgreSQL roles are cluster-wide: unique names there; PGlite is a cluster of its own.
    const complianceRole = kind === 'postgres' ? `tl_compliance_${suffix}` : 'compliance';
    const traderSetting = kind === 'postgres' ? 'tl_test.trader' : 'app.trader_id';
    const writer = `tl_writer_${suffix}`;
    const auditor = `tl_auditor_${suffix}`;
    let test: TestDatabase;
    let db: Database;
    let orderB: string;

    /** Runs `fn` as `role` with the trader setting on one session, then puts the session back. */
    function as<T>(role: string, trader: string | null, fn: (q: Queryable) => Promise<T>): Promise<T> {
      return db.session(async (session) => {
        await session.exec(`SET ROLE ${role}`);
        if (trader !== null) await session.query('SELECT set_config($1, $2, false)', [traderSetting, trader]);
        try {
          return await fn(session);
        } finally {
          await session.exec(`RESET ROLE; RESET ${traderSetting}`);
        }
      });
    }

    before(async () => {
      test = await createTestDatabase(kind);
      const config = join(test.dir, 'tradeledger.yaml');
      writeFileSync(config, `migrations:\n  options:\n    compliance_role: ${complianceRole}\n    trader_setting: ${traderSetting}\n`);
      const up = await cli('migrate', 'up', '--pack', 'order-execution', '--db', test.url, '--config', config);
      assert.equal(up.code, 0, up.stderr);
      db = await openDatabase(test.url);
      // A trader's role that is also in the compliance group (an ops account, say), and a plain auditor.
      await db.exec(`CREATE ROLE ${writer} NOLOGIN; CREATE ROLE ${auditor} NOLOGIN`);
      await db.exec(`GRANT SELECT, INSERT, UPDATE, DELETE ON orders, fills, execution_logs TO ${writer}; GRANT ${complianceRole} TO ${writer}, ${auditor}`);
      const orderA = await insertOrder(db, TRADER_A);
      orderB = await insertOrder(db, TRADER_B);
      await insertFill(db, orderA);
      await insertFill(db, orderB);
    });
    after(async () => {
      await db?.close();
      await test?.cleanup();
      if (kind === 'postgres') for (const role of [writer, auditor, complianceRole]) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    });

    it("a member of compliance with write grants reads every trader's rows but cannot change or delete another trader's", async () => {
      await as(writer, TRADER_A, async (q) => {
        assert.equal((await q.query('SELECT id FROM orders')).length, 2, 'compliance reads all orders');
        assert.equal((await q.query('SELECT id FROM fills')).length, 2, 'and all fills');
        assert.equal((await q.query("UPDATE orders SET status = 'CANCELLED' WHERE id = $1 RETURNING id", [orderB])).length, 0, "B's order cannot be updated");
        assert.equal((await q.query('DELETE FROM fills WHERE order_id = $1 RETURNING id', [orderB])).length, 0, "B's fills cannot be deleted");
        assert.equal((await q.query('DELETE FROM orders WHERE trader_id = $1 RETURNING id', [TRADER_B])).length, 0, "B's orders cannot be deleted");
        // Its own trader's rows stay as writable as any trader's.
        assert.equal((await q.query("UPDATE orders SET status = 'CANCELLED' WHERE trader_id = $1 RETURNING id", [TRADER_A])).length, 1);
      });
      const rows = await db.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [orderB]);
      assert.deepEqual(rows, [{ status: 'PENDING' }]);
      assert.equal((await db.query('SELECT 1 FROM fills WHERE order_id = $1', [orderB])).length, 1);
    });

    it('a plain compliance member reads everything with no trader set', async () => {
      await as(auditor, null, async (q) => {
        assert.equal((await q.query('SELECT id FROM orders')).length, 2);
        assert.equal((await q.query('SELECT id FROM fills')).length, 2);
      });
    });

    it('verify passes, and names a USING clause that admits a role as a failure', async () => {
      const config = join(test.dir, 'tradeledger.yaml');
      const verify = () => cli('migrate', 'verify', '--pack', 'order-execution', '--db', test.url, '--config', config);
      const trader = `trader_id = NULLIF(current_setting('${traderSetting}', true), '')::uuid`;
      // PGlite's data directory admits one opener at a time: the command opens its own.
      await db.close();
      try {
        const clean = await verify();
        assert.equal(clean.code, 0, clean.stdout + clean.stderr);
        await withOpen(test.url, (d) =>
          d.exec(`ALTER POLICY orders_trader_isolation ON orders USING (${trader} OR pg_has_role(current_user, '${complianceRole}', 'USAGE'))`),
        );
        const broken = await verify();
        assert.equal(broken.code, 1);
        assert.match(broken.stdout + broken.stderr, /policy orders_trader_isolation admits a role in its USING clause/);
      } finally {
        await withOpen(test.url, (d) => d.exec(`ALTER POLICY orders_trader_isolation ON orders USING (${trader})`));
        db = await openDatabase(test.url);
      }
    });
  });
}
