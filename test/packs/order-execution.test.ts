import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, Queryable } from '../../src/db/port.ts';
import { driverErrorCode } from '../../src/errors.ts';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { catalogSnapshot } from '../helpers/catalog.ts';
import { cli } from '../helpers/cli.ts';

const TRADER_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const TRADER_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const TABLES = "('orders', 'fills', 'execution_logs')";

/** Runs `fn` on a freshly opened database and closes it: PGlite's data directory admits one opener at a time. */
async function withDb<T>(url: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function insertOrder(q: Queryable, trader: string, symbol = 'AAPL'): Promise<string> {
  const rows = await q.query<{ id: string }>(
    "INSERT INTO orders (trader_id, symbol, quantity, order_type, price) VALUES ($1, $2, 100, 'LIMIT', '187.25') RETURNING id",
    [trader, symbol],
  );
  return rows[0]!.id;
}

async function insertFill(q: Queryable, orderId: string): Promise<string> {
  const rows = await q.query<{ id: string }>(
    "INSERT INTO fills (order_id, quantity_filled, price_at_fill, venue) VALUES ($1, 40, '187.20', 'NYSE') RETURNING id",
    [orderId],
  );
  return rows[0]!.id;
}

async function insertLog(q: Queryable, orderId: string, trader: string, action = 'SUBMITTED'): Promise<string> {
  const rows = await q.query<{ id: string }>('INSERT INTO execution_logs (order_id, trader_id, action) VALUES ($1, $2, $3) RETURNING id', [
    orderId,
    trader,
    action,
  ]);
  return rows[0]!.id;
}

async function count(q: Queryable, table: string): Promise<number> {
  const rows = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

/** Asserts that `work` fails with SQLSTATE `code` and a message matching `message`. */
async function rejectsWith(work: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.equal(driverErrorCode(error), code, String(error));
    assert.match(String((error as Error).message), message);
    return true;
  });
}

/** Runs `fn` as `role` with the trader in `setting` on one session, then puts the session back as it was. */
async function asRole<T>(db: Database, role: string, setting: string, trader: string | null, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return db.session(async (session) => {
    await session.exec(`SET ROLE ${role}`);
    if (trader !== null) await session.query('SELECT set_config($1, $2, false)', [setting, trader]);
    try {
      return await fn(session);
    } finally {
      await session.exec(`RESET ROLE; RESET ${setting}`);
    }
  });
}

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`order-execution pack on ${kind}`, () => {
    const suffix = randomBytes(4).toString('hex');
    // The server's roles are shared by every test database: unique names on PostgreSQL, set with
    // the pack's options. PGlite is a cluster of its own, so it runs with the pack's defaults
    // (app.trader_id, and a `compliance` role the migration creates).
    const complianceRole = kind === 'postgres' ? `tl_compliance_${suffix}` : 'compliance';
    const traderSetting = kind === 'postgres' ? 'tl_test.trader' : 'app.trader_id';
    const asTrader = <T>(db: Database, role: string, trader: string | null, fn: (q: Queryable) => Promise<T>) => asRole(db, role, traderSetting, trader, fn);
    const traderRole = `tl_trader_${suffix}`;
    const auditorRole = `tl_auditor_${suffix}`;
    const ownerRole = `tl_owner_${suffix}`;
    let test: TestDatabase;
    let config: string;
    /** The URL the CLI runs with: on PostgreSQL a non-superuser that owns the database, as in production. */
    let runnerUrl: string;
    const migrate = (...args: string[]) => cli('migrate', ...args, '--pack', 'order-execution', '--db', runnerUrl, '--config', config);

    before(async () => {
      test = await createTestDatabase(kind);
      config = join(test.dir, 'tradeledger.yaml');
      const options = kind === 'postgres' ? `  options:\n    compliance_role: ${complianceRole}\n    trader_setting: ${traderSetting}\n` : '';
      writeFileSync(config, `migrations:\n  pack: order-execution\n${options}`);
      runnerUrl = test.url;
      await withDb(test.url, async (db) => {
        await db.exec(`CREATE ROLE ${traderRole} NOLOGIN; CREATE ROLE ${auditorRole} NOLOGIN`);
        if (kind === 'postgres') {
          // The owner may not create roles, so the compliance role exists first (the migration's
          // DO block then leaves it alone); on PGlite the migration creates it.
          await db.exec(`CREATE ROLE ${complianceRole} NOLOGIN; CREATE ROLE ${ownerRole} LOGIN PASSWORD 'owner-pw'`);
          const name = new URL(test.url).pathname.slice(1);
          await db.exec(`ALTER DATABASE ${name} OWNER TO ${ownerRole}`);
          const url = new URL(test.url);
          url.username = ownerRole;
          url.password = 'owner-pw';
          runnerUrl = url.toString();
        } else {
          await db.exec(`CREATE ROLE ${ownerRole} NOLOGIN`);
        }
      });
    });

    after(async () => {
      await test.cleanup();
      if (kind === 'postgres') {
        for (const role of [auditorRole, traderRole, ownerRole, complianceRole]) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
      }
    });

    /** The trader role may read and write all three tables; row-level security decides which rows. */
    async function grantTrader(db: Database): Promise<void> {
      await db.exec(`GRANT SELECT, INSERT, UPDATE, DELETE ON orders, fills, execution_logs TO ${traderRole}; GRANT ${complianceRole} TO ${auditorRole}`);
    }

    it('up passes squawk and verify; the specification queries hold; down restores the catalog; up again', async () => {
      const empty = await withDb(test.url, catalogSnapshot);

      const up = await migrate('up');
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /version 0 → 2 \(2 applied\)/);
      assert.match(up.stdout, /verified: history, pack:order-execution checks/);
      const verify = await migrate('verify');
      assert.equal(verify.code, 0, verify.stdout);
      assert.match(verify.stdout, /schema matches the specification/);

      const applied = await withDb(test.url, async (db) => {
        // docs/runbooks/order-execution-schema.md Step 5: the specification's query, as written.
        const policies = await db.query<{ schemaname: string; tablename: string; policyname: string }>(
          `SELECT schemaname, tablename, policyname FROM pg_policies WHERE tablename IN ${TABLES}`,
        );
        // The report's five, and compliance's SELECT-only policies of migration 002.
        assert.deepEqual(policies.map((p) => p.policyname).sort(), [
          'execution_logs_compliance_read',
          'execution_logs_immutable',
          'execution_logs_immutable_delete',
          'execution_logs_trader_isolation',
          'fills_compliance_read',
          'fills_trader_isolation',
          'orders_compliance_read',
          'orders_trader_isolation',
        ]);

        // docs/runbooks/order-execution-schema.md Step 3, `\d+ <table>`: columns, types and nullability.
        const columns = await db.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
          `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name IN ${TABLES} ORDER BY table_name, ordinal_position`,
        );
        const of = (table: string) => columns.filter((c) => c.table_name === table).map((c) => c.column_name);
        assert.deepEqual(of('orders'), [
          'id',
          'trader_id',
          'symbol',
          'quantity',
          'order_type',
          'price',
          'stop_loss',
          'take_profit',
          'status',
          'filled_quantity',
          'average_fill_price',
          'created_at',
          'updated_at',
          'expires_at',
        ]);
        assert.deepEqual(of('fills'), ['id', 'order_id', 'timestamp', 'quantity_filled', 'price_at_fill', 'venue', 'commission', 'created_at']);
        assert.deepEqual(of('execution_logs'), [
          'id',
          'order_id',
          'trader_id',
          'action',
          'status',
          'timestamp',
          'reason',
          'retry_attempt',
          'error_code',
          'created_at',
        ]);
        const column = (table: string, name: string) => columns.find((c) => c.table_name === table && c.column_name === name)!;
        assert.deepEqual(column('orders', 'symbol'), { table_name: 'orders', column_name: 'symbol', data_type: 'character varying', is_nullable: 'NO' });
        assert.deepEqual(column('orders', 'price'), { table_name: 'orders', column_name: 'price', data_type: 'numeric', is_nullable: 'YES' });
        assert.equal(column('orders', 'order_type').data_type, 'USER-DEFINED');
        assert.equal(column('execution_logs', 'status').is_nullable, 'YES');
        const comments = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname IN ${TABLES} AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NOT NULL`,
        );
        assert.equal(comments[0]!.n, 14 + 8 + 10, 'every column has a comment');

        // docs/runbooks/order-execution-schema.md Step 4, `\dT+`: enum values in the specification's order.
        const enums = await db.query<{ t: string; v: string }>(
          "SELECT 'order_type_enum' AS t, enum_range(NULL::order_type_enum)::text AS v UNION ALL SELECT 'order_status_enum', enum_range(NULL::order_status_enum)::text UNION ALL SELECT 'action_enum', enum_range(NULL::action_enum)::text",
        );
        assert.deepEqual(enums, [
          { t: 'order_type_enum', v: '{MARKET,LIMIT,STOP}' },
          { t: 'order_status_enum', v: '{PENDING,FILLED,PARTIAL,REJECTED,CANCELLED}' },
          { t: 'action_enum', v: '{SUBMITTED,APPROVED,EXECUTED,FILLED,REJECTED,CANCELLED,RECOVERED}' },
        ]);

        // The report's index and constraint names.
        const indexes = await db.query<{ indexname: string; indexdef: string }>(
          `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ${TABLES} AND indexname LIKE 'idx_%' ORDER BY 1`,
        );
        assert.deepEqual(
          indexes.map((i) => i.indexname),
          [
            'idx_execution_logs_action',
            'idx_execution_logs_order',
            'idx_execution_logs_trader_timestamp',
            'idx_fills_order',
            'idx_fills_timestamp',
            'idx_orders_status',
            'idx_orders_trader_created',
            'idx_orders_trader_status',
          ],
        );
        assert.match(indexes.find((i) => i.indexname === 'idx_orders_trader_created')!.indexdef, /\(trader_id, created_at DESC\)$/);
        const constraints = await db.query<{ conname: string; contype: string; confdeltype: string }>(
          `SELECT conname, contype, confdeltype FROM pg_constraint WHERE conrelid::regclass::text IN ${TABLES} AND contype IN ('c', 'f') ORDER BY 1`,
        );
        assert.deepEqual(
          constraints.map((c) => c.conname),
          [
            'ck_fills_commission_nonnegative',
            'ck_fills_price_positive',
            'ck_fills_quantity_positive',
            'ck_orders_filled_lte_quantity',
            'ck_orders_filled_quantity_nonnegative',
            'ck_orders_limit_requires_price',
            'ck_orders_price_positive',
            'ck_orders_quantity_positive',
            'fk_execution_logs_order_id',
            'fk_fills_order_id',
          ],
        );
        assert.deepEqual(
          constraints.filter((c) => c.contype === 'f').map((c) => c.confdeltype),
          ['c', 'c'],
          'both foreign keys cascade',
        );
        const traderForeignKeys = await db.query(
          `SELECT 1 FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN ${TABLES} AND pg_get_constraintdef(oid) LIKE '%trader%'`,
        );
        assert.equal(traderForeignKeys.length, 0, 'no foreign key to a traders table');

        // The checks bind: a limit order needs a price, quantities are positive.
        await rejectsWith(
          db.query("INSERT INTO orders (trader_id, symbol, quantity, order_type) VALUES ($1, 'AAPL', 10, 'LIMIT')", [TRADER_A]),
          '23514',
          /ck_orders_limit_requires_price/,
        );
        await rejectsWith(
          db.query("INSERT INTO orders (trader_id, symbol, quantity, order_type) VALUES ($1, 'AAPL', 0, 'MARKET')", [TRADER_A]),
          '23514',
          /ck_orders_quantity_positive/,
        );
        return catalogSnapshot(db);
      });

      const down = await migrate('down', '--to', '0');
      assert.equal(down.code, 0, down.stderr);
      await withDb(test.url, async (db) => {
        assert.equal(await catalogSnapshot(db), empty, 'down leaves nothing behind');
        // docs/runbooks/order-execution-schema.md Step 7: "Did not find any relation named 'orders'".
        assert.deepEqual(await db.query("SELECT to_regclass('orders') AS rel"), [{ rel: null }]);
        // The role is cluster-wide and may serve other databases: revoked, not dropped.
        assert.equal((await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [complianceRole])).length, 1);
        const functions = await db.query("SELECT 1 FROM pg_proc WHERE proname = 'execution_logs_reject_change'");
        assert.equal(functions.length, 0, 'the trigger function is dropped');
      });

      const again = await migrate('up');
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await withDb(test.url, catalogSnapshot), applied, 'up after down gives the same schema');
    });

    // Everything between the first up and the last down starts from the pack applied, with an order,
    // a fill and a log row of each trader already in place, whichever of these tests runs.
    describe('with the pack applied', () => {
      before(async () => {
        const up = await migrate('up');
        assert.equal(up.code, 0, up.stderr);
        await withDb(test.url, async (db) => {
          for (const trader of [TRADER_A, TRADER_B]) {
            const order = await insertOrder(db, trader);
            await insertFill(db, order);
            await insertLog(db, order, trader);
          }
        });
      });

      it('a trader reads and writes only their own rows; the compliance role reads all and writes nothing', async () => {
        await withDb(test.url, async (db) => {
          await grantTrader(db);
          const orderA = await insertOrder(db, TRADER_A, 'AAPL');
          const orderB = await insertOrder(db, TRADER_B, 'MSFT');
          await insertFill(db, orderA);
          await insertFill(db, orderB);
          await insertLog(db, orderA, TRADER_A);
          await insertLog(db, orderB, TRADER_B);
          const total = { orders: await count(db, 'orders'), fills: await count(db, 'fills'), logs: await count(db, 'execution_logs') };

          await asTrader(db, traderRole, TRADER_A, async (q) => {
            assert.deepEqual(await q.query('SELECT DISTINCT trader_id FROM orders'), [{ trader_id: TRADER_A }]);
            assert.deepEqual(await q.query('SELECT DISTINCT o.trader_id FROM fills f JOIN orders o ON o.id = f.order_id'), [{ trader_id: TRADER_A }]);
            assert.equal((await q.query('SELECT 1 FROM fills WHERE order_id = $1', [orderB])).length, 0, "B's fills are hidden");
            assert.deepEqual(await q.query('SELECT DISTINCT trader_id FROM execution_logs'), [{ trader_id: TRADER_A }]);

            const own = await insertOrder(q, TRADER_A, 'NVDA');
            await insertFill(q, own);
            await insertLog(q, own, TRADER_A);
            await rejectsWith(insertOrder(q, TRADER_B, 'TSLA'), '42501', /row-level security policy for table "orders"/);
            await rejectsWith(insertFill(q, orderB), '42501', /row-level security policy for table "fills"/);
            // Foreign keys ignore row-level security: the policy must stop a log naming another trader's order.
            await rejectsWith(insertLog(q, orderB, TRADER_A), '42501', /row-level security policy for table "execution_logs"/);
            await rejectsWith(insertLog(q, orderB, TRADER_B), '42501', /row-level security policy for table "execution_logs"/);

            assert.equal((await q.query("UPDATE orders SET status = 'CANCELLED' WHERE id = $1 RETURNING id", [orderA])).length, 1);
            assert.equal((await q.query("UPDATE orders SET status = 'CANCELLED' WHERE id = $1 RETURNING id", [orderB])).length, 0, "B's order is out of reach");
            await rejectsWith(q.query('UPDATE orders SET trader_id = $1 WHERE id = $2', [TRADER_B, orderA]), '42501', /row-level security/);
            // The restrictive immutability policies leave a trader no log row to change.
            assert.equal((await q.query("UPDATE execution_logs SET reason = 'edited' RETURNING id")).length, 0);
            assert.equal((await q.query('DELETE FROM execution_logs RETURNING id')).length, 0);
          });
          assert.equal((await db.query("SELECT 1 FROM execution_logs WHERE reason = 'edited'")).length, 0);
          assert.equal(await count(db, 'execution_logs'), total.logs + 1);

          await asTrader(db, traderRole, null, async (q) => {
            assert.equal(await count(q, 'orders'), 0, 'no trader setting, no rows');
            assert.equal(await count(q, 'execution_logs'), 0);
          });

          await asTrader(db, auditorRole, null, async (q) => {
            assert.equal(await count(q, 'orders'), total.orders + 1);
            assert.equal(await count(q, 'fills'), total.fills + 1);
            assert.equal(await count(q, 'execution_logs'), total.logs + 1);
            await rejectsWith(insertOrder(q, TRADER_A), '42501', /permission denied for table orders/);
            await rejectsWith(q.query("UPDATE orders SET status = 'FILLED'"), '42501', /permission denied for table orders/);
            await rejectsWith(insertLog(q, orderA, TRADER_A), '42501', /permission denied for table execution_logs/);
          });
        });
      });

      it('FORCE binds the table owner: without a trader setting it sees no rows', async () => {
        await withDb(test.url, async (db) => {
          // On PostgreSQL the non-superuser runner already owns the tables; PGlite's only user is a
          // superuser, so a role of its own takes ownership of orders for this test.
          if (kind === 'pglite') await db.exec(`ALTER TABLE orders OWNER TO ${ownerRole}`);
          try {
            assert.ok((await count(db, 'orders')) > 0, 'the superuser sees the orders');
            await asTrader(db, ownerRole, null, async (q) => {
              assert.equal(await count(q, 'orders'), 0);
            });
            await asTrader(db, ownerRole, TRADER_A, async (q) => {
              assert.deepEqual(await q.query('SELECT DISTINCT trader_id FROM orders'), [{ trader_id: TRADER_A }]);
            });
          } finally {
            if (kind === 'pglite') await db.exec('ALTER TABLE orders OWNER TO CURRENT_USER');
          }
        });
      });

      it('execution_logs refuses UPDATE, DELETE and TRUNCATE from a superuser, so deleting an order with logs fails', async () => {
        await withDb(test.url, async (db) => {
          const rows = await db.query<{ super: boolean }>('SELECT rolsuper AS super FROM pg_roles WHERE rolname = current_user');
          assert.equal(rows[0]!.super, true, 'this connection bypasses row-level security');
          const order = await insertOrder(db, TRADER_A, 'AMD');
          const fill = await insertFill(db, order);
          const log = await insertLog(db, order, TRADER_A);
          await rejectsWith(db.query("UPDATE execution_logs SET reason = 'rewritten' WHERE id = $1", [log]), '42501', /execution_logs is append-only .*UPDATE/);
          await rejectsWith(db.query('DELETE FROM execution_logs WHERE id = $1', [log]), '42501', /execution_logs is append-only .*DELETE/);
          await rejectsWith(db.query('TRUNCATE execution_logs'), '42501', /execution_logs is append-only .*TRUNCATE/);
          // ON DELETE CASCADE reaches the log, and the trigger stops the whole delete.
          await rejectsWith(db.query('DELETE FROM orders WHERE id = $1', [order]), '42501', /execution_logs is append-only/);
          assert.equal((await db.query('SELECT 1 FROM orders WHERE id = $1', [order])).length, 1, 'the order is still there');
          assert.equal((await db.query('SELECT 1 FROM fills WHERE id = $1', [fill])).length, 1, 'and so is its fill');
          assert.equal((await db.query('SELECT 1 FROM execution_logs WHERE id = $1 AND reason IS NULL', [log])).length, 1);

          // An order without logs deletes, taking its fills with it.
          const bare = await insertOrder(db, TRADER_B, 'INTC');
          const bareFill = await insertFill(db, bare);
          await db.query('DELETE FROM orders WHERE id = $1', [bare]);
          assert.equal((await db.query('SELECT 1 FROM fills WHERE id = $1', [bareFill])).length, 0, 'fills cascade');
        });
      });

      it('verify names a dropped index, an unforced table and a policy made permissive', async () => {
        await withDb(test.url, async (db) => {
          await db.exec('DROP INDEX idx_orders_trader_created; ALTER TABLE fills NO FORCE ROW LEVEL SECURITY');
          await db.exec('ALTER POLICY execution_logs_immutable ON execution_logs USING (true)');
        });
        try {
          const run = await migrate('verify');
          assert.equal(run.code, 1, run.stdout);
          assert.match(run.stdout, /index idx_orders_trader_created on orders \(trader_id, created_at DESC\) is missing/);
          assert.match(run.stdout, /recent-orders query does not use idx_orders_trader_created/);
          assert.match(run.stdout, /row-level security is not forced on fills/);
          assert.match(run.stdout, /policy execution_logs_immutable has USING \(true\), expected USING \(false\)/);
          // Checked with options other than those applied, the policies name the wrong role.
          const other = join(test.dir, 'other.yaml');
          writeFileSync(other, 'migrations:\n  options:\n    compliance_role: tl_someone_else\n');
          const mismatch = await cli('migrate', 'verify', '--pack', 'order-execution', '--db', runnerUrl, '--config', other);
          assert.equal(mismatch.code, 1);
          assert.match(mismatch.stdout, /does not admit the compliance role tl_someone_else/);
          assert.match(mismatch.stdout, /compliance role tl_someone_else does not exist/);
        } finally {
          await withDb(test.url, async (db) => {
            await db.exec('CREATE INDEX idx_orders_trader_created ON orders (trader_id, created_at DESC); ALTER TABLE fills FORCE ROW LEVEL SECURITY');
            await db.exec('ALTER POLICY execution_logs_immutable ON execution_logs USING (false)');
          });
        }
        const fixed = await migrate('verify');
        assert.equal(fixed.code, 0, fixed.stdout);
      });

      it('down refuses while execution_logs holds rows, naming the count and the flag; --allow-data-loss drops them', async () => {
        const logs = await withDb(test.url, async (db) => count(db, 'execution_logs'));
        assert.ok(logs > 0);
        // On PostgreSQL the runner is the non-superuser owner, whom FORCE would blind to the rows.
        // 002 goes back first (policies only); 001 then refuses.
        const refused = await migrate('down', '--to', '0');
        assert.equal(refused.code, 1, `002 went back first, so not a plain refusal: ${refused.stderr}`);
        assert.match(
          refused.stderr,
          new RegExp(`execution_logs holds ${logs} rows \\(kept indefinitely by the specification\\); to drop them run migrate down --allow-data-loss`),
        );
        await withDb(test.url, async (db) => {
          assert.equal(await count(db, 'execution_logs'), logs, 'nothing was dropped');
          const forced = await db.query<{ f: boolean }>("SELECT relforcerowsecurity AS f FROM pg_class WHERE relname = 'execution_logs'");
          assert.deepEqual(forced, [{ f: true }], 'the refused down rolled back whole');
        });
        const status = await migrate('status', '--json');
        assert.equal(JSON.parse(status.stdout).current, 1);

        const forcedDown = await migrate('down', '--allow-data-loss');
        assert.equal(forcedDown.code, 0, forcedDown.stderr);
        await withDb(test.url, async (db) => {
          assert.deepEqual(await db.query(`SELECT to_regclass('execution_logs') AS rel`), [{ rel: null }]);
        });
      });
    });

    it('migrate plan prints the migration as a reviewer reads it', async () => {
      const plan = await migrate('plan');
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /^-- tradeledger: up 001 Create order execution tables \(001_create_order_tables\.sql\)\nBEGIN;\nSET LOCAL lock_timeout/);
      assert.match(plan.stdout, /CREATE TYPE order_type_enum AS ENUM \('MARKET', 'LIMIT', 'STOP'\);/);
      assert.match(plan.stdout, /CREATE POLICY orders_trader_isolation ON orders\n {4}FOR ALL/);
      assert.match(plan.stdout, new RegExp(`current_setting\\('${traderSetting.replace('.', '\\.')}', true\\)`));
      assert.match(plan.stdout, new RegExp(`GRANT SELECT ON orders, fills, execution_logs TO "${complianceRole}";`));
      assert.doesNotMatch(plan.stdout, /\{\{/, 'every placeholder is filled');
      assert.match(plan.stdout, /-- tradeledger: up 002 Compliance reads only \(002_compliance_read_only\.sql\)/);
      assert.match(plan.stdout, /CREATE POLICY orders_compliance_read ON orders\n {4}FOR SELECT/);
      assert.match(plan.stdout, /\nCOMMIT;\n$/);
    });
  });
}
