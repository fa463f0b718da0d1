// Pure unit tests of how a lock timeout's blockers are written into messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBlockers, type Blocker } from '../../src/migrate/blockers.ts';

const holder: Blocker = { pid: 4242, state: 'idle in transaction', application: 'psql', openMs: 75_300, inTransaction: true, query: 'LOCK TABLE fills' };

describe('formatBlockers', () => {
  it('names each blocker: pid, application, state, how long, the first line of its query', () => {
    assert.equal(
      formatBlockers({
        source: 'waiting',
        blockers: [holder, { ...holder, pid: 7, application: 'autovacuum worker', state: 'active', openMs: 850, query: '' }],
      }),
      'blocked by pid 4242 (psql; idle in transaction; transaction open 1.3 min; query: LOCK TABLE fills), pid 7 (autovacuum worker; active; transaction open 850 ms; query: (none))',
    );
  });

  it('says "probably" when the wait itself was not seen, and nothing when there is nobody to name', () => {
    assert.equal(
      formatBlockers({ source: 'older', blockers: [{ ...holder, inTransaction: true, openMs: 2500 }] }),
      'probably blocked by pid 4242 (psql; idle in transaction; transaction open 2.5 s; query: LOCK TABLE fills) (open since before the statement started; the wait itself was not seen)',
    );
    assert.equal(formatBlockers({ source: 'older', blockers: [] }), '');
    assert.equal(
      formatBlockers({ source: 'waiting', blockers: [{ ...holder, inTransaction: false, openMs: null, state: null, application: '' }] }),
      'blocked by pid 4242 (no application_name; state unknown; query: LOCK TABLE fills)',
    );
  });
});
