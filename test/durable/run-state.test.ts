import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canTransition, isTerminal, RUN_STATES, WORKING_STATES } from '../../src/agent/run-state.ts';
import { retryDelayWindow } from '../../src/jobs/retry-policy.ts';

describe('the run state machine', () => {
  it('allows the documented path and its branches', () => {
    const path = [
      'received',
      'retrieving',
      'thinking',
      'decided',
      'awaiting_approval',
      'executing',
      'replied',
      'done',
    ] as const;
    for (let i = 1; i < path.length; i++)
      assert.ok(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} -> ${path[i]}`);
    assert.ok(canTransition('thinking', 'replied'), 'an answer');
    assert.ok(canTransition('decided', 'replied'), 'a denial');
    assert.ok(canTransition('decided', 'executing'), 'an automatic action');
    assert.ok(canTransition('awaiting_approval', 'replied'), 'a rejection');
    assert.ok(canTransition('replied', 'failed'), 'a failed action or an undeliverable reply');
  });

  it('never leaves a terminal state, except a dead-lettered run sent back to work', () => {
    for (const from of RUN_STATES.filter(isTerminal)) {
      for (const to of RUN_STATES) {
        const allowed = from === 'dead_lettered' && WORKING_STATES.has(to);
        assert.equal(canTransition(from, to), allowed, `${from} -> ${to}`);
      }
    }
  });

  it('lets any unfinished run end early, and forbids skipping ahead', () => {
    for (const from of RUN_STATES.filter((s) => !isTerminal(s))) {
      for (const to of ['failed', 'dead_lettered', 'cancelled', 'budget_exceeded'] as const)
        assert.ok(canTransition(from, to));
    }
    assert.equal(canTransition('received', 'executing'), false);
    assert.equal(canTransition('thinking', 'executing'), false);
    assert.equal(canTransition('executing', 'done'), false, 'done only after the reply');
  });
});

describe('the retry policy', () => {
  it('doubles the delay window per retry and caps it', () => {
    const policy = {
      maxAttempts: 9,
      baseDelaySeconds: 2,
      maxDelaySeconds: 20,
      leaseSeconds: 60,
      deadlineSeconds: 3600,
    };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => retryDelayWindow(policy, n)),
      [
        { min: 2, max: 4 },
        { min: 4, max: 8 },
        { min: 8, max: 16 },
        { min: 16, max: 20 },
        { min: 20, max: 20 },
      ],
    );
  });
});
