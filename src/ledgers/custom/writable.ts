import { UsageError } from '../../errors.ts';
import { LIFECYCLE_MODEL, sameType, type LedgerMapping, type UserCatalog } from './model.ts';

/** The orders columns a compensating EXIT row must carry: each must name a column of the user's table that takes the model's values. */
const MUST_WRITE = ['order_id', 'profile_id', 'symbol', 'trade_id', 'action', 'status', 'quantity'] as const;

/** The other orders columns reconciliation writes when the mapping names them (src/recon/apply-rows.ts, rollback.ts). */
const MAY_WRITE = ['side', 'qty', 'price', 'source', 'exchange_order_id', 'filled_at', 'updated_at'] as const;

/** The longest value reconciliation writes into a text column: a varchar shorter than this would fail halfway. */
const LONGEST: Readonly<Record<string, number>> = {
  order_id: 'BFILL-'.length + 32,
  action: 'EXIT'.length,
  status: 'canceled'.length,
  source: 'backfill'.length,
};

/**
 * Refuses (UsageError, exit 2) a mapping whose orders view cannot take reconciliation's EXIT rows,
 * naming the mapping key or the user's column and the fix (pure; run checkMapping first): a
 * column recon must write that is left out, a constant, or of another type than the model's
 * (the view would cast it, and a cast column cannot be written); an order_id column without a
 * one-column unique index (the insert's ON CONFLICT needs it); a NOT NULL column of the user's
 * table without a default that the EXIT rows do not fill.
 */
export function checkWritable(mapping: LedgerMapping, catalog: UserCatalog): void {
  const orders = mapping.orders!;
  const user = catalog.get(orders.table)!;
  const model = LIFECYCLE_MODEL.orders;
  const filled = new Set<string>();
  for (const name of [...MUST_WRITE, ...MAY_WRITE]) {
    const source = orders.columns[name];
    const key = `mapping.orders.columns.${name}`;
    if (source === undefined) {
      if ((MUST_WRITE as readonly string[]).includes(name)) throw new UsageError(`${key} is required to write EXIT rows`, 'BAD_MAPPING');
      continue;
    }
    if (typeof source !== 'string') {
      if ((MUST_WRITE as readonly string[]).includes(name))
        throw new UsageError(`${key} is a constant, so EXIT rows cannot be written into it: name a column of ${orders.table}`, 'BAD_MAPPING');
      continue;
    }
    const type = user.get(source)!.type;
    const wanted = model[name]!.type;
    if (!sameType(type, wanted))
      throw new UsageError(
        `${key}: ${orders.table}.${source} is ${type}, and reconciliation writes ${wanted} into it (a cast column of a view cannot be written): make it ${wanted} (ALTER TABLE ${orders.table} ALTER COLUMN ${source} TYPE ${wanted}), or drop it from the mapping${(MUST_WRITE as readonly string[]).includes(name) ? '' : ' (then recon leaves it empty)'}`,
        'BAD_MAPPING',
      );
    const length = /^character varying\((\d+)\)$/.exec(type)?.[1];
    if (length !== undefined && Number(length) < (LONGEST[name] ?? 0))
      throw new UsageError(
        `${key}: ${orders.table}.${source} is ${type}, too short for the ${LONGEST[name]} characters reconciliation writes into it: widen it (ALTER TABLE ${orders.table} ALTER COLUMN ${source} TYPE varchar(${LONGEST[name]}))`,
        'BAD_MAPPING',
      );
    if (name !== 'updated_at') filled.add(source);
  }
  const orderId = orders.columns['order_id'] as string;
  if (!user.get(orderId)!.unique)
    throw new UsageError(
      `mapping.orders.columns.order_id: ${orders.table}.${orderId} has no unique index of its own, and EXIT rows are inserted ON CONFLICT (order_id): add one (CREATE UNIQUE INDEX ON ${orders.table} (${orderId}))`,
      'BAD_MAPPING',
    );
  for (const [name, column] of user) {
    if (column.notNull && !column.hasDefault && !filled.has(name)) {
      const mapped = Object.entries(orders.columns).find(([, source]) => source === name)?.[0];
      throw new UsageError(
        `${orders.table}.${name}${mapped === undefined ? '' : ` (mapping.orders.columns.${mapped})`} is NOT NULL with no default, and reconciliation's EXIT rows do not fill it: give it a default (ALTER TABLE ${orders.table} ALTER COLUMN ${name} SET DEFAULT …)${mapped === undefined ? ', or map it to a model column recon writes' : ''}`,
        'BAD_MAPPING',
      );
    }
  }
}
