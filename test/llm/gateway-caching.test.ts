import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { createCallLog } from '../../src/llm/call-log.ts';
import { reply } from '../support/anthropic-double.ts';
import { createHarness, type Harness, passages } from './gateway-harness.ts';

/** A registry big enough that its tool schemas pass the API's 1,024-token minimum for caching. */
const registry = Array.from({ length: 12 }, (_, i) => ({
  name: `runbook.step_${i}`,
  description:
    `Runs step ${i} of the standard operating procedure for the named service and environment. `.repeat(4),
  input: z.object({
    service: z.string().min(1).max(100).describe('The service, as named in the service catalogue'),
    environment: z.enum(['development', 'staging', 'production']).describe('Where to run the step'),
    reason: z.string().max(500).describe('Why this step is being run now'),
  }),
}));

const proposeReply = () =>
  reply.toolUse('runbook_step_3', {
    rationale: 'Step 3 restarts the service.',
    params: { service: 'payments-worker', environment: 'staging', reason: 'asked in Slack' },
  });

let clock = Date.parse('2030-05-01T10:00:00Z');
let h: Harness;

before(async () => {
  h = await createHarness({ now: () => new Date(clock), settings: { cacheTtlSeconds: 600 } });
});

after(async () => {
  await h.close();
});

describe('prompt caching', () => {
  test('repeated asks report cache reads from the API counters and are priced as reads', async () => {
    h.double.script(proposeReply(), proposeReply());
    const first = h.ctx();
    const second = h.ctx();
    await h.gateway.propose({ ...first, request: 'run step 3 for payments in staging', actions: registry });
    await h.gateway.propose({ ...second, request: 'run step 3 for billing in staging', actions: registry });

    const log = createCallLog(h.db);
    const [a] = await log.forRun(first.runId);
    const [b] = await log.forRun(second.runId);
    assert.ok(a && b);
    assert.ok(a.cacheWriteTokens >= 1024, `first call wrote ${a.cacheWriteTokens} tokens to the cache`);
    assert.equal(a.cacheReadTokens, 0);
    assert.equal(b.cacheWriteTokens, 0);
    assert.equal(b.cacheReadTokens, a.cacheWriteTokens);
    // Sonnet: $3/MTok input, writes at 1.25x, reads at 0.1x, output $15/MTok.
    const priced = (c: typeof a) =>
      (c.inputTokens * 3 + c.cacheWriteTokens * 3.75 + c.cacheReadTokens * 0.3 + c.outputTokens * 15) / 1e6;
    assert.ok(Math.abs(a.costUsd - priced(a)) < 1e-12);
    assert.ok(Math.abs(b.costUsd - priced(b)) < 1e-12);
    assert.ok(b.costUsd < a.costUsd);
  });
});

describe('response cache', () => {
  const triageReply = () =>
    reply.toolUse('submit_triage', { kind: 'question', summary: 'Rotating the password', params: {} });

  test('a repeated triage is served from the cache, whatever its case and spacing', async () => {
    h.double.script(triageReply());
    const before = h.double.requests.length;
    const first = await h.gateway.triage({ ...h.ctx(), text: 'How do I rotate the staging DB password?' });
    const ctx = h.ctx();
    const again = await h.gateway.triage({ ...ctx, text: '  how do i   rotate the staging db password?' });
    assert.equal(h.double.requests.length, before + 1);
    assert.equal(first.cached, false);
    assert.equal(again.cached, true);
    assert.equal(again.mode, 'model');
    assert.equal(again.costUsd, 0);
    assert.deepEqual(again.triage, first.triage);
    const [hit] = await createCallLog(h.db).forRun(ctx.runId);
    assert.equal(hit?.outcome, 'cache_hit');
  });

  test('an answer is reused only for the same retrieved chunks', async () => {
    const answer = () =>
      reply.toolUse('submit_answer', { known: true, answer: 'Use vault [1].', citations: [1] });
    h.double.script(answer(), answer());
    const before = h.double.requests.length;
    const question = 'how do I rotate the staging database password?';
    await h.gateway.answer({ ...h.ctx(), question, hits: passages });
    const same = await h.gateway.answer({ ...h.ctx(), question, hits: passages });
    const otherChunks = await h.gateway.answer({ ...h.ctx(), question, hits: passages.slice(1) });
    assert.equal(same.cached, true);
    assert.equal(otherChunks.cached, false);
    assert.equal(h.double.requests.length, before + 2);
  });

  test('entries expire after their TTL', async () => {
    h.double.script(triageReply(), triageReply());
    const before = h.double.requests.length;
    await h.gateway.triage({ ...h.ctx(), text: 'what is the on-call rota?' });
    clock += 601_000;
    const later = await h.gateway.triage({ ...h.ctx(), text: 'what is the on-call rota?' });
    assert.equal(later.cached, false);
    clock += 601_000;
    const swept = await h.gateway.sweep();
    assert.ok(swept.purgedCacheEntries >= 1);
    assert.equal(h.double.requests.length, before + 2);
  });

  test('propose is never cached', async () => {
    h.double.script(proposeReply(), proposeReply());
    const before = h.double.requests.length;
    const request = 'run step 3 for payments in staging';
    const a = await h.gateway.propose({ ...h.ctx(), request, actions: registry });
    const b = await h.gateway.propose({ ...h.ctx(), request, actions: registry });
    assert.equal(h.double.requests.length, before + 2);
    assert.equal(a.cached, false);
    assert.equal(b.cached, false);
  });
});
