// An open spot trade of freqtrade's model, for the pure unit tests of matching, deciding and recalculating.
import { Decimal } from 'decimal.js';
import type { FtTrade } from '../../src/ledgers/freqtrade/rows.ts';

const d = (v: string | number) => new Decimal(v);

/** An open long ETH/USDT spot trade of 3 at 100 (fees 0.1 %), with `fields` over it. */
export function ftTrade(fields: Partial<FtTrade> = {}): FtTrade {
  return {
    id: 1,
    exchange: 'binance',
    pair: 'ETH/USDT',
    baseCurrency: 'ETH',
    stakeCurrency: 'USDT',
    isOpen: true,
    isShort: false,
    tradingMode: 'spot',
    leverage: d(1),
    contractSize: null,
    feeOpen: d('0.001'),
    feeClose: d('0.001'),
    feeCloseCost: null,
    feeCloseCurrency: null,
    openRate: d(100),
    openTradeValue: null,
    amount: d(3),
    stakeAmount: d(300),
    maxStakeAmount: null,
    closeRate: null,
    closeProfit: null,
    closeProfitAbs: null,
    realizedProfit: d(0),
    fundingFees: null,
    fundingFeeRunning: null,
    openDate: '2026-01-01 00:00:00.000000',
    closeDate: null,
    exitReason: null,
    exitOrderStatus: null,
    ...fields,
  };
}
