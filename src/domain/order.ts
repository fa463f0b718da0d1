import { optionalPositiveDecimal, parseDecimal, positiveDecimal, type DecimalString } from './decimal.ts';
import { oneOf, positiveInteger, requiredText, timestamp } from './fields.ts';
import { ValidationError } from './validation-error.ts';

/** How an order executes, as the broker numbers it (docs/runbooks/risk-state-v2.md DB-SCHEMA-003); TRAILING_STOP is new in v2. */
export const OrderType = { MARKET: 1, LIMIT: 2, STOP: 3, STOP_LIMIT: 4, TRAILING_STOP: 5 } as const;
/** One of OrderType's values. */
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

/** Which way an order trades. */
export const OrderSide = { BUY: 'BUY', SELL: 'SELL' } as const;
/** One of OrderSide's values. */
export type OrderSide = (typeof OrderSide)[keyof typeof OrderSide];

/** Where an order is in its life; a partly filled order is WORKING with filledSize above 0. */
export const OrderState = { PENDING: 1, WORKING: 2, FILLED: 3, CANCELLED: 4, REJECTED: 5 } as const;
/** One of OrderState's values. */
export type OrderState = (typeof OrderState)[keyof typeof OrderState];

/** A working order mirrored from the broker (the `orders` table), validated on creation. */
export interface Order {
  readonly id: number;
  readonly accountId: number;
  readonly contractId: string;
  readonly type: OrderType;
  readonly side: OrderSide;
  readonly size: DecimalString;
  readonly filledSize: DecimalString;
  readonly limitPrice: DecimalString | null;
  readonly stopPrice: DecimalString | null;
  readonly fillPrice: DecimalString | null;
  readonly state: OrderState;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What createOrder takes: a broker payload or a database row, not yet trusted. */
export interface OrderInput {
  readonly id: number;
  readonly accountId: number;
  readonly contractId: string;
  readonly type: number;
  readonly side: string;
  readonly size: DecimalString;
  readonly state: number;
  readonly filledSize?: DecimalString | undefined;
  readonly limitPrice?: DecimalString | null | undefined;
  readonly stopPrice?: DecimalString | null | undefined;
  readonly fillPrice?: DecimalString | null | undefined;
  readonly createdAt?: string | Date | undefined;
  readonly updatedAt?: string | Date | undefined;
}

const MODEL = 'Order';

// The prices each type cannot work without (docs/runbooks/risk-state-v2.md DB-SCHEMA-004): a LIMIT with no limit price crashed v1.
const REQUIRED_PRICES: Readonly<Record<OrderType, readonly ('limitPrice' | 'stopPrice')[]>> = {
  [OrderType.MARKET]: [],
  [OrderType.LIMIT]: ['limitPrice'],
  [OrderType.STOP]: ['stopPrice'],
  [OrderType.STOP_LIMIT]: ['limitPrice', 'stopPrice'],
  [OrderType.TRAILING_STOP]: ['stopPrice'],
};

const TYPE_NAMES = Object.fromEntries(Object.entries(OrderType).map(([name, value]) => [value, name])) as Record<OrderType, string>;

/** Validates an order: positive ids and size, a known type, side and state, the prices its type needs, 0 ≤ filled ≤ size. */
export function createOrder(input: OrderInput, now: Date = new Date()): Order {
  const type = oneOf(MODEL, 'type', OrderType, input.type);
  const size = positiveDecimal(MODEL, 'size', input.size);
  const filledSize = input.filledSize ?? '0';
  const filled = parseDecimal(MODEL, 'filledSize', filledSize);
  if (filled.lt(0) || filled.gt(parseDecimal(MODEL, 'size', size))) {
    throw new ValidationError('filledSize', `${MODEL}.filledSize ${filledSize} must be between 0 and the order size ${size}`);
  }
  const prices = {
    limitPrice: optionalPositiveDecimal(MODEL, 'limitPrice', input.limitPrice),
    stopPrice: optionalPositiveDecimal(MODEL, 'stopPrice', input.stopPrice),
  };
  for (const field of REQUIRED_PRICES[type]) {
    if (prices[field] === null) throw new ValidationError(field, `${TYPE_NAMES[type]} orders must have ${MODEL}.${field}`);
  }
  const createdAt = timestamp(MODEL, 'createdAt', input.createdAt ?? now);
  return {
    id: positiveInteger(MODEL, 'id', input.id),
    accountId: positiveInteger(MODEL, 'accountId', input.accountId),
    contractId: requiredText(MODEL, 'contractId', input.contractId),
    type,
    side: oneOf(MODEL, 'side', OrderSide, input.side),
    size,
    filledSize,
    ...prices,
    fillPrice: optionalPositiveDecimal(MODEL, 'fillPrice', input.fillPrice),
    state: oneOf(MODEL, 'state', OrderState, input.state),
    createdAt,
    updatedAt: timestamp(MODEL, 'updatedAt', input.updatedAt ?? createdAt),
  };
}
