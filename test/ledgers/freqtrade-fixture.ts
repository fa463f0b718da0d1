import type { Database } from '../../src/db/port.ts';
import { insertRow, orderRow, tradeRow } from '../helpers/freqtrade.ts';

/**
 * A freqtrade database with planted anomalies and ghost trades:
 *  1 BTC/USDT closed long, complete: nothing wrong
 *  2 ETH/USDT open long (spot): a ghost, sold on the exchange in one order of two fills
 *  3 SOL/USDT:USDT open short (futures, 3x, funding fees running): a ghost, bought back on the exchange
 *  4 ADA/USDT closed, entry 100 and exit 90: closed_amount_mismatch
 *  5 XLM/USDT closed with its stoploss order still ft_is_open: open_order_on_closed_trade
 *  6 XRP/USDT open with no order at all: open_trade_without_entry (and no evidence: stays open)
 *  7 DOGE/USDT closed with only a sell order: exit_without_entry
 *  8 DOT/USDT open long, the exchange still holds the coins: exchange_not_flat
 *  9 LINK/USDT open long, sold 4 of 10 on the exchange: large remainder
 * and, on SQLite (freqtrade never turns foreign keys on), an order of trade 999, which does not exist.
 */
export async function plantFreqtradeScenario(db: Database, kind: 'sqlite' | 'postgres'): Promise<void> {
  const t = (fields: Parameters<typeof tradeRow>[0]) => insertRow(db, 'trades', tradeRow(fields));
  const o = (fields: Parameters<typeof orderRow>[0]) => insertRow(db, 'orders', orderRow(fields));
  await t({ id: 1, pair: 'BTC/USDT', is_open: false, amount: 0.01, open_rate: 60000, stake_amount: 600, close_rate: 61000, exit_reason: 'roi' });
  await o({ id: 1, ft_trade_id: 1, ft_pair: 'BTC/USDT', order_id: 'b1', ft_order_side: 'buy', amount: 0.01, price: 60000 });
  await o({ id: 2, ft_trade_id: 1, ft_pair: 'BTC/USDT', order_id: 's1', ft_order_side: 'sell', amount: 0.01, price: 61000 });

  await t({ id: 2, pair: 'ETH/USDT', amount: 0.5, open_rate: 3000, stake_amount: 1500, open_trade_value: 1501.5, open_date: '2026-01-12 08:00:00.000000' });
  await o({ id: 3, ft_trade_id: 2, ft_pair: 'ETH/USDT', order_id: 'e2', ft_order_side: 'buy', amount: 0.5, price: 3000 });
  await o({ id: 4, ft_trade_id: 2, ft_pair: 'ETH/USDT', order_id: 'sl2', ft_order_side: 'stoploss', status: 'canceled', filled: 0, amount: 0.5, price: 2700 });

  await t({
    id: 3,
    pair: 'SOL/USDT:USDT',
    base_currency: 'SOL',
    is_short: true,
    trading_mode: 'FUTURES',
    leverage: 3,
    contract_size: 1,
    amount: 10,
    open_rate: 150,
    stake_amount: 500,
    fee_open: 0.0005,
    fee_close: 0.0005,
    funding_fee_running: -0.12,
    open_date: '2026-01-12 09:00:00.000000',
  });
  await o({ id: 5, ft_trade_id: 3, ft_pair: 'SOL/USDT:USDT', order_id: 's3', ft_order_side: 'sell', amount: 10, price: 150 });

  await t({ id: 4, pair: 'ADA/USDT', is_open: false, amount: 100, open_rate: 0.5, stake_amount: 50 });
  await o({ id: 6, ft_trade_id: 4, ft_pair: 'ADA/USDT', order_id: 'b4', ft_order_side: 'buy', amount: 100, price: 0.5 });
  await o({ id: 7, ft_trade_id: 4, ft_pair: 'ADA/USDT', order_id: 's4', ft_order_side: 'sell', amount: 90, price: 0.55 });

  await t({ id: 5, pair: 'XLM/USDT', is_open: false, amount: 200, open_rate: 0.1, stake_amount: 20 });
  await o({ id: 8, ft_trade_id: 5, ft_pair: 'XLM/USDT', order_id: 'b5', ft_order_side: 'buy', amount: 200, price: 0.1 });
  await o({ id: 9, ft_trade_id: 5, ft_pair: 'XLM/USDT', order_id: 's5', ft_order_side: 'sell', amount: 200, price: 0.11 });
  await o({
    id: 10,
    ft_trade_id: 5,
    ft_pair: 'XLM/USDT',
    order_id: 'sl5',
    ft_order_side: 'stoploss',
    ft_is_open: true,
    status: 'open',
    filled: 0,
    amount: 200,
    price: 0.09,
  });

  await t({ id: 6, pair: 'XRP/USDT', amount: 30, open_rate: 0.6, stake_amount: 18 });

  await t({ id: 7, pair: 'DOGE/USDT', is_open: false, amount: 1000, open_rate: 0.1, stake_amount: 100 });
  await o({ id: 11, ft_trade_id: 7, ft_pair: 'DOGE/USDT', order_id: 's7', ft_order_side: 'sell', amount: 1000, price: 0.12 });

  await t({ id: 8, pair: 'DOT/USDT', amount: 5, open_rate: 7, stake_amount: 35, open_date: '2026-01-12 10:00:00.000000' });
  await o({ id: 12, ft_trade_id: 8, ft_pair: 'DOT/USDT', order_id: 'b8', ft_order_side: 'buy', amount: 5, price: 7 });

  await t({ id: 9, pair: 'LINK/USDT', amount: 10, open_rate: 20, stake_amount: 200, open_date: '2026-01-12 11:00:00.000000' });
  await o({ id: 13, ft_trade_id: 9, ft_pair: 'LINK/USDT', order_id: 'b9', ft_order_side: 'buy', amount: 10, price: 20 });

  if (kind === 'sqlite') await o({ id: 14, ft_trade_id: 999, ft_pair: 'BNB/USDT', order_id: 'b999', ft_order_side: 'buy', amount: 1, price: 600 });
  if (kind === 'postgres') {
    // Rows were inserted with their ids: move the sequences past them, as freqtrade's own inserts would have.
    await db.exec("SELECT setval('trades_id_seq', 100); SELECT setval('orders_id_seq', 100);");
  }
}

const ms = (text: string) => Date.parse(`${text}Z`);

/** A ccxt dump (numbers as strings, as ccxt gives them with exchange.number = String) of what the exchange did. */
export const CCXT_DUMP = {
  trades: [
    // Trade 2's entry, which the database has (order e2): skipped, not an unknown entry.
    {
      id: 'f-e2',
      order: 'e2',
      symbol: 'ETH/USDT',
      side: 'buy',
      type: 'limit',
      price: '3000',
      amount: '0.5',
      cost: '1500',
      timestamp: ms('2026-01-12T08:00:01'),
      fee: { cost: '1.5', currency: 'USDT', rate: '0.001' },
    },
    // An ETH sell from before trade 2 opened (more than 10 s before): someone else's.
    {
      id: 'f-old',
      order: 'old',
      symbol: 'ETH/USDT',
      side: 'sell',
      type: 'market',
      price: '2900',
      amount: '0.5',
      cost: '1450',
      timestamp: ms('2026-01-12T07:59:49'),
      fee: { cost: '1.45', currency: 'USDT', rate: '0.001' },
    },
    {
      id: 'f-x2a',
      order: 'x2',
      symbol: 'ETH/USDT',
      side: 'sell',
      type: 'limit',
      price: '3100',
      amount: '0.3',
      cost: '930',
      timestamp: ms('2026-01-13T10:00:00'),
      fee: { cost: '0.93', currency: 'USDT', rate: '0.001' },
    },
    {
      id: 'f-x2b',
      order: 'x2',
      symbol: 'ETH/USDT',
      side: 'sell',
      type: 'limit',
      price: '3110',
      amount: '0.2',
      cost: '622',
      timestamp: ms('2026-01-13T10:00:05.250'),
      fee: { cost: '0.622', currency: 'USDT', rate: '0.001' },
    },
    {
      id: 'f-x3',
      order: 'x3',
      symbol: 'SOL/USDT:USDT',
      side: 'buy',
      type: 'market',
      price: '140',
      amount: '10',
      cost: '1400',
      timestamp: ms('2026-01-14T00:00:00'),
      fee: { cost: '0.7', currency: 'USDT', rate: '0.0005' },
    },
    {
      id: 'f-x9',
      order: 'x9',
      symbol: 'LINK/USDT',
      side: 'sell',
      type: 'market',
      price: '21',
      amount: '4',
      cost: '84',
      timestamp: ms('2026-01-13T12:00:00'),
      fee: { cost: '0.084', currency: 'USDT', rate: '0.001' },
    },
  ],
  positions: [{ symbol: 'SOL/USDT:USDT', side: 'short', contracts: '0', contractSize: '1' }],
  balance: { total: { USDT: '2000', ETH: '0', DOT: '5', LINK: '0', XRP: '0' }, free: {}, used: {} },
};

/** Trade 2's close, computed here from freqtrade's formulas by hand (long spot, one entry, one exit order). */
export const EXPECTED_T2 = (() => {
  const amount = 0.5;
  const exitAvg = (0.3 * 3100 + 0.2 * 3110) / 0.5; // 3104
  const openValue = amount * 3000 * (1 + 0.001); // 1501.5
  const closeValue = amount * exitAvg * (1 - 0.001); // 1550.448
  const profit = closeValue - openValue; // 48.948
  return { closeRate: 3104, closeProfitAbs: 48.948, closeProfit: profit / openValue, feeCloseCost: 1.552, closeDate: '2026-01-13 10:00:05.250000', exitAvg };
})();

/** Trade 3's close: a 3x short on futures; funding fees paid (−0.12) raise the cost of buying back. */
export const EXPECTED_T3 = (() => {
  const openValue = 10 * 150 * (1 - 0.0005); // 1499.25
  const closeValue = 10 * 140 * (1 + 0.0005) - -0.12; // 1400.82
  const profit = openValue - closeValue; // 98.43
  return { closeRate: 140, closeProfitAbs: 98.43, closeProfit: (profit / openValue) * 3, fundingFees: -0.12 };
})();
