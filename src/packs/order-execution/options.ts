import type { PackOptions } from '../../migrate/source.ts';

/** The pack's placeholders and their defaults: the trader's session setting and the compliance role. */
export const ORDER_EXECUTION_DEFAULTS = { trader_setting: 'app.trader_id', compliance_role: 'compliance' } as const;

/** The options the pack's SQL was rendered with. */
export interface OrderExecutionOptions {
  readonly traderSetting: string;
  readonly complianceRole: string;
}

/** The options in force: tradeledger.yaml's `migrations.options` over the defaults, as the registry renders them. */
export function orderExecutionOptions(options: PackOptions): OrderExecutionOptions {
  const pick = (name: keyof typeof ORDER_EXECUTION_DEFAULTS): string => {
    const value = options[name];
    return typeof value === 'string' ? value : ORDER_EXECUTION_DEFAULTS[name];
  };
  return { traderSetting: pick('trader_setting'), complianceRole: pick('compliance_role') };
}
