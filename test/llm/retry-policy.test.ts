import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRetryAfter, providerError } from '../../src/llm/provider-failure.ts';
import { nextWait, type RetryClock, withRetries } from '../../src/llm/retry-policy.ts';

const policy = {
  attempts: 3,
  deadlineMs: 10_000,
  retryAfterCapMs: 2_000,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
};
const half = () => 0.5;

const overloaded = () => providerError('529', { failure: 'overloaded', provider: 'anthropic', status: 529 });
const rateLimited = (retryAfterMs?: number) =>
  providerError('429', { failure: 'rate_limited', provider: 'anthropic', status: 429, retryAfterMs });

describe('the retry policy', () => {
  test('waits exactly what retry-after says when it is under the cap', () => {
    assert.equal(nextWait(rateLimited(1_500), 1, 0, policy, half), 1_500);
  });

  test('caps a long retry-after', () => {
    assert.equal(nextWait(rateLimited(60_000), 1, 0, policy, half), 2_000);
  });

  test('backs off exponentially with jitter when the server names no wait', () => {
    const low = () => 0;
    const high = () => 0.999_999;
    assert.equal(nextWait(overloaded(), 1, 0, policy, low), 50);
    assert.equal(nextWait(overloaded(), 2, 0, policy, high), 200);
  });

  test('gives up after the last attempt and when the wait would pass the deadline', () => {
    assert.equal(nextWait(overloaded(), 3, 0, policy, half), undefined);
    assert.equal(nextWait(rateLimited(1_000), 1, 9_500, policy, half), undefined);
  });

  for (const failure of [
    'spend_limit',
    'bad_request',
    'auth',
    'permission',
    'not_found',
    'breaker_open',
  ] as const) {
    test(`never retries ${failure}`, () => {
      const error = providerError(failure, { failure, provider: 'anthropic' });
      assert.equal(nextWait(error, 1, 0, policy, half), undefined);
    });
  }

  test('never retries an error that is not a provider failure', () => {
    assert.equal(nextWait(new Error('database is down'), 1, 0, policy, half), undefined);
  });

  test('runs until success, sleeping between attempts', async () => {
    const sleeps: number[] = [];
    const clock: RetryClock = { now: () => 0, sleep: async (ms) => void sleeps.push(ms), random: half };
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw rateLimited(700);
        return 'done';
      },
      policy,
      clock,
    );
    assert.equal(result, 'done');
    assert.deepEqual(sleeps, [700, 700]);
  });

  test('rethrows the last error when attempts run out', async () => {
    const clock: RetryClock = { now: () => 0, sleep: async () => {}, random: half };
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw overloaded();
        },
        policy,
        clock,
      ),
      /529/,
    );
    assert.equal(calls, 3);
  });
});

describe('retry-after parsing', () => {
  test('reads seconds, an HTTP date and retry-after-ms', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '7' })), 7_000);
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(
      parseRetryAfter(new Headers({ 'retry-after': 'Tue, 01 Jan 2030 00:00:05 GMT' }), now),
      5_000,
    );
    assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
    assert.equal(parseRetryAfter(new Headers({})), undefined);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' })), undefined);
  });
});
