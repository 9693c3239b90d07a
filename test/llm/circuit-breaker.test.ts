import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCircuitBreaker } from '../../src/llm/circuit-breaker.ts';

function breakerAt(options = { failureRate: 0.5, minCalls: 4, windowMs: 10_000, cooldownMs: 1_000 }) {
  let now = 0;
  const breaker = createCircuitBreaker(options, () => now);
  return {
    breaker,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('the circuit breaker', () => {
  test('stays closed below the minimum volume, however bad the calls', () => {
    const { breaker } = breakerAt();
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    assert.equal(breaker.state(), 'closed');
    assert.equal(breaker.tryAcquire(), true);
  });

  test('opens when the failure share reaches the threshold with enough volume', () => {
    const { breaker } = breakerAt();
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordFailure();
    assert.equal(breaker.state(), 'closed');
    breaker.recordFailure();
    assert.equal(breaker.state(), 'open');
    assert.equal(breaker.tryAcquire(), false);
  });

  test('stays closed while the failure share is under the threshold', () => {
    const { breaker } = breakerAt();
    for (let i = 0; i < 10; i++) {
      breaker.recordSuccess();
      breaker.recordSuccess();
      breaker.recordFailure();
    }
    assert.equal(breaker.state(), 'closed');
  });

  test('forgets outcomes older than the window', () => {
    const { breaker, advance } = breakerAt();
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordFailure();
    advance(11_000);
    breaker.recordFailure();
    assert.equal(breaker.state(), 'closed');
  });

  test('after the cooldown lets exactly one trial through; success closes it', () => {
    const { breaker, advance } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    advance(1_000);
    assert.equal(breaker.state(), 'half-open');
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), false);
    assert.equal(breaker.tryAcquire(), false);
    breaker.recordSuccess();
    assert.equal(breaker.state(), 'closed');
    assert.equal(breaker.tryAcquire(), true);
  });

  test('a failed trial opens it again for a full cooldown', () => {
    const { breaker, advance } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    advance(1_000);
    assert.equal(breaker.tryAcquire(), true);
    breaker.recordFailure();
    assert.equal(breaker.state(), 'open');
    advance(999);
    assert.equal(breaker.tryAcquire(), false);
    advance(1);
    assert.equal(breaker.tryAcquire(), true);
  });

  test('a trial whose caller never reports does not wedge it half-open', () => {
    const { breaker, advance } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    advance(1_000);
    assert.equal(breaker.tryAcquire(), true);
    advance(1_000);
    assert.equal(breaker.tryAcquire(), true);
  });

  test('late reports from calls that started before it opened do not close it', () => {
    const { breaker } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    breaker.recordSuccess();
    assert.equal(breaker.state(), 'open');
  });
});
