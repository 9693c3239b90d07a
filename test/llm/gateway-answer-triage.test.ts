import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { createCallLog } from '../../src/llm/call-log.ts';
import { reply } from '../support/anthropic-double.ts';
import { createHarness, type Harness, passages } from './gateway-harness.ts';

let h: Harness;

before(async () => {
  h = await createHarness({ settings: { cacheTtlSeconds: 0 } });
});

after(async () => {
  await h.close();
});

describe('answer', () => {
  test('a grounded answer comes back with citations resolved to the retrieved chunks', async () => {
    h.double.script(
      reply.toolUse('submit_answer', {
        known: true,
        answer: 'Run `vault rotate db/staging` [1], then check the lease [2].',
        citations: [1, 2],
      }),
    );
    const ctx = h.ctx();
    const result = await h.gateway.answer({
      ...ctx,
      question: 'how do I rotate the staging database password?',
      hits: passages,
      thread: [{ author: 'U0G9QF9C6', text: 'is this the vault one?' }],
    });
    assert.equal(result.mode, 'model');
    assert.equal(result.model, 'anthropic:claude-sonnet-4-6');
    assert.equal(result.answer.known, true);
    assert.equal(result.answer.fromPassagesOnly, false);
    assert.deepEqual(result.answer.citations, [
      {
        n: 1,
        chunkId: 'kb:rotate-db#1',
        source: 'runbooks/rotate-staging-db.md',
        heading: 'Rotating the staging database password',
        link: 'https://wiki.example.com/runbooks/rotate-staging-db#rotating',
      },
      {
        n: 2,
        chunkId: 'kb:rotate-db#2',
        source: 'runbooks/rotate-staging-db.md',
        heading: 'Checking the rotation',
      },
    ]);
    assert.equal(result.promptVersion, 'answer@1');
    assert.ok(result.costUsd > 0);

    const sent = h.double.requests.at(-1)!.body;
    assert.deepEqual(sent.tool_choice, { type: 'tool', name: 'submit_answer' });
    const content: string = sent.messages[0].content;
    assert.match(content, /numbered 1 to 3/);
    assert.match(content, /kind="retrieved_passage" n="2" source="runbooks\/rotate-staging-db.md"/);
    assert.match(content, /kind="thread_message" author="U0G9QF9C6"/);

    const [call] = await createCallLog(h.db).forRun(ctx.runId);
    assert.equal(call?.task, 'answer');
    assert.equal(call?.promptHash, result.promptHash);
    assert.ok((call?.latencyMs ?? -1) >= 0);
    // What an eval needs to replay this answer under a changed prompt.
    const input = call?.taskInput as { question: string; hits: { chunkId: string }[]; thread: unknown[] };
    assert.equal(input.question, 'how do I rotate the staging database password?');
    assert.deepEqual(
      input.hits.map((hit) => hit.chunkId),
      passages.map((p) => p.chunkId),
    );
    assert.equal(input.thread.length, 1);
  });

  test('when the passages do not hold the answer the model says so without citations', async () => {
    h.double.script(reply.toolUse('submit_answer', { known: false, answer: "I don't know.", citations: [] }));
    const result = await h.gateway.answer({
      ...h.ctx(),
      question: 'what is the wifi password?',
      hits: passages,
    });
    assert.equal(result.answer.known, false);
    assert.deepEqual(result.answer.citations, []);
  });

  test('with no passages the gateway says it does not know, without calling a model', async () => {
    const before = h.double.requests.length;
    const result = await h.gateway.answer({ ...h.ctx(), question: 'what is the wifi password?', hits: [] });
    assert.equal(h.double.requests.length, before);
    assert.equal(result.mode, 'no-model');
    assert.equal(result.degradedReason, 'no_passages');
    assert.equal(result.answer.known, false);
    assert.match(result.answer.text, /^I don't know/);
  });

  test('without a key, answers are the top passages with citations, labelled as such', async () => {
    const bare = await createHarness({ noAnthropic: true });
    try {
      const result = await bare.gateway.answer({
        ...bare.ctx(),
        question: 'rotate the password?',
        hits: passages,
      });
      assert.equal(result.mode, 'no-model');
      assert.equal(result.degradedReason, 'no_provider');
      assert.equal(result.answer.fromPassagesOnly, true);
      assert.match(result.answer.text, /^_Not a written answer: no model is configured/);
      assert.match(
        result.answer.text,
        /\[1\] \*runbooks\/rotate-staging-db.md — Rotating the staging database password\*/,
      );
      assert.equal(result.answer.citations.length, 3);
    } finally {
      await bare.close();
    }
  });
});

describe('triage', () => {
  test('the cheap model classifies the request and pulls out explicit parameters', async () => {
    h.double.script(
      reply.toolUse('submit_triage', {
        kind: 'action',
        summary: 'Restart the payments worker in staging',
        params: { service: 'payments-worker', environment: 'staging' },
      }),
    );
    const result = await h.gateway.triage({ ...h.ctx(), text: 'restart the payments worker in staging' });
    assert.equal(result.model, 'anthropic:claude-haiku-4-5');
    assert.deepEqual(result.triage, {
      kind: 'action',
      summary: 'Restart the payments worker in staging',
      params: { service: 'payments-worker', environment: 'staging' },
    });
    assert.equal(h.double.requests.at(-1)!.body.max_tokens, h.settings.maxTokens.triage);
  });

  test('without a model, triage is a deterministic guess that errs towards a question', async () => {
    const bare = await createHarness({ noAnthropic: true });
    try {
      const action = await bare.gateway.triage({
        ...bare.ctx(),
        text: 'restart the payments worker in staging',
      });
      const question = await bare.gateway.triage({ ...bare.ctx(), text: 'where is the runbook for vault?' });
      assert.equal(action.mode, 'no-model');
      assert.equal(action.triage.kind, 'action');
      assert.equal(question.triage.kind, 'question');
    } finally {
      await bare.close();
    }
  });
});

describe('budgets through the gateway', () => {
  test('a run whose turn would pass its ceiling stops with budget_exceeded before any request', async () => {
    const tight = await createHarness({ settings: { budgets: { ...h.settings.budgets, runUsd: 0.001 } } });
    try {
      await assert.rejects(
        tight.gateway.answer({ ...tight.ctx(), question: 'rotate?', hits: passages }),
        (error: unknown) =>
          isSluiceError(error) && error.code === 'budget_exceeded' && error.details?.scope === 'run',
      );
      assert.equal(tight.double.requests.length, 0);
    } finally {
      await tight.close();
    }
  });

  test('a full daily budget degrades to no-model mode when configured so, and stops the run otherwise', async () => {
    const budgets = { ...h.settings.budgets, dayUsd: 0.001 };
    const degrading = await createHarness({ settings: { budgets, onBudgetExhausted: 'no-model' } });
    const stopping = await createHarness({ settings: { budgets } });
    try {
      const result = await degrading.gateway.answer({
        ...degrading.ctx(),
        question: 'rotate?',
        hits: passages,
      });
      assert.equal(result.mode, 'no-model');
      assert.equal(result.degradedReason, 'budget_exhausted');
      assert.match(result.answer.text, /the model budget is used up/);
      await assert.rejects(
        stopping.gateway.answer({ ...stopping.ctx(), question: 'rotate?', hits: passages }),
        (error: unknown) => isSluiceError(error) && error.code === 'budget_exceeded',
      );
    } finally {
      await degrading.close();
      await stopping.close();
    }
  });
});
