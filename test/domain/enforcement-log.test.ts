import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { enforcementLogRow, executeEnforcement, type EnforcementClock } from '../../src/domain/enforcement-log.ts';
import { expectInvalidAsync } from './expect-invalid.ts';

const REQUEST = { accountId: 123, ruleId: 'RULE-003', action: 'close_all_positions', reason: 'Daily loss limit: -550.00' };

function steppedClock(steps: readonly number[]): EnforcementClock {
  let index = 0;
  return { now: () => new Date('2025-10-22T15:00:00Z'), monotonicMs: () => steps[Math.min(index++, steps.length - 1)]! };
}

describe('executeEnforcement', () => {
  it('times the action and logs its execution time in whole milliseconds', async () => {
    const log = await executeEnforcement(REQUEST, async () => {
      await sleep(25);
      return { details: { positions_closed: 2 } };
    });
    assert.equal(log.success, true);
    assert.deepEqual(log.details, { positions_closed: 2 });
    assert.ok(Number.isInteger(log.executionTimeMs), 'a whole number');
    // At least the action's own 25 ms; no upper bound: a loaded machine may take any time.
    assert.ok(log.executionTimeMs! >= 20, `took ${log.executionTimeMs} ms`);
  });

  it('truncates to whole milliseconds, as int((end - start) * 1000) does', async () => {
    const log = await executeEnforcement(REQUEST, async () => undefined, steppedClock([1000.2, 1042.9]));
    assert.equal(log.executionTimeMs, 42);
    assert.equal(log.timestamp, '2025-10-22T15:00:00.000Z');
    assert.equal(log.details, null);
  });

  it('logs a thrown action as failed with the error, instead of throwing', async () => {
    const log = await executeEnforcement(
      REQUEST,
      async () => {
        throw new Error('broker rejected the close: market closed');
      },
      steppedClock([0, 7]),
    );
    assert.equal(log.success, false);
    assert.deepEqual(log.details, { error: 'broker rejected the close: market closed' });
    assert.equal(log.executionTimeMs, 7);
  });

  it('logs an action that reports success: false as failed', async () => {
    const log = await executeEnforcement(REQUEST, async () => ({ success: false, details: { orders_cancelled: 0 } }));
    assert.equal(log.success, false);
  });

  it('refuses a request with an empty rule or a bad account before running anything', async () => {
    let ran = false;
    const run = async () => {
      ran = true;
    };
    await expectInvalidAsync(executeEnforcement({ ...REQUEST, ruleId: '' }, run), 'EnforcementLog', 'ruleId');
    await expectInvalidAsync(executeEnforcement({ ...REQUEST, accountId: 0 }, run), 'EnforcementLog', 'accountId');
    assert.equal(ran, false);
  });

  it('maps to the enforcement_log row: success as 0/1, details as JSON, execution_time_ms', async () => {
    const log = await executeEnforcement(REQUEST, async () => ({ details: { lockout_until: '2025-10-22T21:00:00Z' } }), steppedClock([5, 17]));
    assert.deepEqual(enforcementLogRow(log), {
      timestamp: '2025-10-22T15:00:00.000Z',
      account_id: 123,
      rule_id: 'RULE-003',
      action: 'close_all_positions',
      reason: 'Daily loss limit: -550.00',
      success: 1,
      details: '{"lockout_until":"2025-10-22T21:00:00Z"}',
      execution_time_ms: 12,
    });
  });
});
