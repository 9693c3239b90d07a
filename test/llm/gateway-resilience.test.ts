import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { reply } from '../support/anthropic-double.ts';
import { createHarness, type Harness, passages } from './gateway-harness.ts';

const PRIMARY = 'claude-sonnet-4-6';
const FALLBACK = 'claude-haiku-4-5';

const triageOk = reply.toolUse('submit_triage', {
  kind: 'question',
  summary: 'How to rotate the password',
  params: {},
});
const answerOk = (n = 1) =>
  reply.toolUse('submit_answer', {
    known: true,
    answer: `Run \`vault rotate db/staging\` [${n}].`,
    citations: [n],
  });

describe('retries', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ settings: { cacheTtlSeconds: 0 } });
  });
  after(() => h.close());

  test('a 429 with retry-after is waited out exactly as told, then the call succeeds', async () => {
    h.double.script(reply.rateLimited(1), triageOk);
    const sleepsBefore = h.sleeps.length;
    const started = Date.now();
    const result = await h.gateway.triage({ ...h.ctx(), text: 'how do I rotate the staging db password?' });
    const elapsed = Date.now() - started;
    assert.equal(result.mode, 'model');
    assert.equal(result.triage.kind, 'question');
    assert.deepEqual(h.sleeps.slice(sleepsBefore), [1000]);
    assert.ok(elapsed >= 1000, `waited ${elapsed} ms`);
  });

  test('a 500 api_error is retried up to the attempt limit, then the fallback answers', async () => {
    h.double.scriptModel(PRIMARY, reply.apiError(), reply.apiError(), reply.apiError());
    h.double.scriptModel(FALLBACK, answerOk());
    const before = h.double.messageRequests(PRIMARY).length;
    const result = await h.gateway.answer({
      ...h.ctx(),
      question: 'rotate the db password?',
      hits: passages,
    });
    assert.equal(h.double.messageRequests(PRIMARY).length - before, 3);
    assert.equal(result.mode, 'fallback');
    assert.equal(result.model, `anthropic:${FALLBACK}`);
  });

  test('a timeout is retried, then the fallback answers', async () => {
    const slow = await createHarness({ settings: { cacheTtlSeconds: 0, timeoutMs: 200 } });
    try {
      slow.double.scriptModel(PRIMARY, reply.hang(), reply.hang(), reply.hang());
      slow.double.scriptModel(FALLBACK, answerOk());
      const result = await slow.gateway.answer({ ...slow.ctx(), question: 'rotate?', hits: passages });
      assert.equal(slow.double.messageRequests(PRIMARY).length, 3);
      assert.equal(result.mode, 'fallback');
      const errors = await slow.db.query<{ error_code: string }>(
        `SELECT error_code FROM llm_calls WHERE outcome = 'error' ORDER BY id`,
      );
      assert.deepEqual(
        errors.rows.map((r) => r.error_code),
        ['timeout', 'timeout', 'timeout'],
      );
    } finally {
      await slow.close();
    }
  });
});

describe('retry-after is capped', () => {
  test('a server asking for 30 s is waited on for the cap only', async () => {
    const h = await createHarness({ settings: { cacheTtlSeconds: 0, retry: { ...capped } } });
    try {
      h.double.script(reply.rateLimited(30), triageOk);
      const started = Date.now();
      const result = await h.gateway.triage({ ...h.ctx(), text: 'how do I rotate it?' });
      assert.equal(result.mode, 'model');
      assert.deepEqual(h.sleeps, [250]);
      assert.ok(Date.now() - started < 5_000);
    } finally {
      await h.close();
    }
  });
});

const capped = { attempts: 3, deadlineMs: 10_000, retryAfterCapMs: 250, baseDelayMs: 10, maxDelayMs: 50 };

describe('failures that are never retried', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ settings: { cacheTtlSeconds: 0 } });
    // Unscripted requests succeed: had the gateway retried the primary, it would have got an answer.
    h.double.setResponder((req) => (req.body.model === PRIMARY ? answerOk(1) : answerOk(2)));
  });
  after(() => h.close());

  for (const [name, failure] of [
    ['the spend-limit 429', reply.spendLimitReached()],
    ['a 400 invalid_request_error', reply.invalidRequest('messages.0.content: Input should be a valid list')],
    ['the 400 usage-limit error', reply.usageLimitReached()],
    ['a 403 permission_error', reply.permissionError()],
  ] as const) {
    test(`${name} is sent once, not retried, and the fallback takes over`, async () => {
      h.double.scriptModel(PRIMARY, failure);
      const before = h.double.messageRequests(PRIMARY).length;
      const sleepsBefore = h.sleeps.length;
      const result = await h.gateway.answer({ ...h.ctx(), question: `about ${name}`, hits: passages });
      assert.equal(h.double.messageRequests(PRIMARY).length - before, 1);
      assert.equal(h.sleeps.length, sleepsBefore);
      assert.equal(result.mode, 'fallback');
      assert.equal(result.answer.citations[0]?.chunkId, passages[1]!.chunkId);
    });
  }

  test('a 401 is not retried on either model, and the task degrades to no-model mode', async () => {
    const wrongKey = await createHarness({
      apiKey: 'sk-ant-api03-not-the-right-key',
      settings: { cacheTtlSeconds: 0 },
    });
    try {
      const result = await wrongKey.gateway.answer({
        ...wrongKey.ctx(),
        question: 'rotate?',
        hits: passages,
      });
      assert.equal(wrongKey.double.requests.length, 2);
      assert.deepEqual(
        wrongKey.double.requests.map((r) => r.body.model),
        [PRIMARY, FALLBACK],
      );
      assert.equal(result.mode, 'no-model');
      assert.equal(result.degradedReason, 'provider_failed');
      assert.equal(result.answer.fromPassagesOnly, true);
      assert.match(result.answer.text, /^_Not a written answer/);
      assert.deepEqual(
        result.answer.citations.map((c) => c.chunkId),
        passages.map((p) => p.chunkId),
      );
    } finally {
      await wrongKey.close();
    }
  });
});

describe('a 529 storm', () => {
  test('opens the primary breaker and the fallback answers every call within 10 s', async () => {
    const h = await createHarness({ settings: { cacheTtlSeconds: 0 } });
    try {
      h.double.setResponder((req) => (req.body.model === PRIMARY ? reply.overloaded() : answerOk()));
      const durations: number[] = [];
      const primaryCounts: number[] = [];
      for (let i = 0; i < 12; i++) {
        const started = Date.now();
        const result = await h.gateway.answer({
          ...h.ctx(),
          question: `storm question ${i}`,
          hits: passages,
        });
        durations.push(Date.now() - started);
        primaryCounts.push(h.double.messageRequests(PRIMARY).length);
        assert.equal(result.mode, 'fallback');
        assert.equal(result.model, `anthropic:${FALLBACK}`);
        assert.equal(result.answer.known, true);
      }
      assert.equal(h.gateway.breakerStates()[`anthropic:${PRIMARY}`], 'open');
      // minCalls is 3: the first call's three 529s open it; after that the primary is not called.
      assert.equal(primaryCounts[0], 3);
      assert.equal(primaryCounts.at(-1), 3);
      assert.ok(Math.max(...durations) < 10_000, `slowest answer took ${Math.max(...durations)} ms`);
    } finally {
      await h.close();
    }
  });

  test('with the fallback overloaded too, answers come from passages in no-model mode', async () => {
    const h = await createHarness({ settings: { cacheTtlSeconds: 0 } });
    try {
      h.double.setResponder(() => reply.overloaded());
      const started = Date.now();
      const result = await h.gateway.answer({ ...h.ctx(), question: 'rotate?', hits: passages });
      assert.ok(Date.now() - started < 10_000);
      assert.equal(result.mode, 'no-model');
      assert.equal(result.answer.fromPassagesOnly, true);
      const next = await h.gateway.answer({ ...h.ctx(), question: 'rotate again?', hits: passages });
      assert.equal(next.mode, 'no-model');
      assert.equal(next.degradedReason, 'breaker_open');
      assert.equal(h.double.requests.length, 6);
    } finally {
      await h.close();
    }
  });
});
