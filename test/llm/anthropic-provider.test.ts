import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAnthropicProvider, toAnthropicParams } from '../../src/llm/anthropic-provider.ts';
import { failureOf } from '../../src/llm/provider-failure.ts';
import type { ModelRequest } from '../../src/llm/types.ts';
import {
  type AnthropicDouble,
  reply,
  type ScriptedReply,
  startAnthropicDouble,
} from '../support/anthropic-double.ts';

const request: ModelRequest = {
  model: 'claude-haiku-4-5',
  system: 'You are the triage step.',
  messages: [
    { role: 'user', content: 'restart payments' },
    {
      role: 'assistant',
      text: '',
      toolCalls: [{ id: 'toolu_1', name: 'submit_triage', input: { kind: 'x' } }],
    },
    {
      role: 'tool_results',
      results: [{ toolCallId: 'toolu_1', content: 'kind must be question', isError: true }],
    },
  ],
  tools: [
    { name: 'first', description: 'a', inputSchema: { type: 'object' } },
    { name: 'submit_triage', description: 'b', inputSchema: { type: 'object' } },
  ],
  toolChoice: { type: 'tool', name: 'submit_triage' },
  maxTokens: 300,
  cachePrompt: true,
};

describe('the Anthropic wire format', () => {
  test('marks the system prompt and the last tool for caching, and maps the conversation', () => {
    const params = toAnthropicParams(request);
    assert.deepEqual(params.system, [
      { type: 'text', text: 'You are the triage step.', cache_control: { type: 'ephemeral' } },
    ]);
    assert.equal((params.tools?.[0] as { cache_control?: unknown }).cache_control, undefined);
    assert.deepEqual((params.tools?.[1] as { cache_control?: unknown }).cache_control, { type: 'ephemeral' });
    assert.deepEqual(params.tool_choice, { type: 'tool', name: 'submit_triage' });
    assert.deepEqual(params.messages[1], {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'submit_triage', input: { kind: 'x' } }],
    });
    assert.deepEqual(params.messages[2], {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: 'kind must be question', is_error: true },
      ],
    });
  });

  test('without tools, sends neither tools nor tool_choice', () => {
    const params = toAnthropicParams({ ...request, tools: [], cachePrompt: false });
    assert.equal(params.tools, undefined);
    assert.equal(params.tool_choice, undefined);
    assert.deepEqual(params.system, [{ type: 'text', text: 'You are the triage step.' }]);
  });
});

describe('Anthropic errors, mapped once at the edge', () => {
  let double: AnthropicDouble;
  before(async () => {
    double = await startAnthropicDouble();
  });
  after(() => double.close());

  const cases: [string, ScriptedReply, string, boolean][] = [
    ['400', reply.invalidRequest(), 'bad_request', false],
    ['400 usage limit', reply.usageLimitReached(), 'spend_limit', false],
    ['403', reply.permissionError(), 'permission', false],
    ['429', reply.rateLimited(3), 'rate_limited', true],
    ['429 spend limit', reply.spendLimitReached(), 'spend_limit', false],
    ['500', reply.apiError(), 'server_error', true],
    ['529', reply.overloaded(), 'overloaded', true],
    [
      'unreadable 200',
      reply.raw(200, 'not json', { 'content-type': 'application/json' }),
      'bad_response',
      false,
    ],
  ];
  for (const [name, scripted, failure, retryable] of cases) {
    test(`${name} becomes ${failure}${retryable ? ' (retryable)' : ''}`, async () => {
      double.script(scripted);
      const provider = createAnthropicProvider({ apiKey: double.apiKey, baseUrl: double.url });
      const error = await provider.complete(request, { timeoutMs: 2_000 }).then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      );
      assert.equal(failureOf(error), failure);
      assert.equal((error as { retryable: boolean }).retryable, retryable);
      if (name === '429') assert.equal((error as { retryAfterMs?: number }).retryAfterMs, 3_000);
      if (name !== 'unreadable 200') {
        assert.equal(
          (error as { details: { requestId: string } }).details.requestId,
          double.requests.at(-1)!.requestId,
        );
      }
    });
  }

  test('a wrong key becomes auth, not retryable', async () => {
    const provider = createAnthropicProvider({ apiKey: 'sk-ant-api03-wrong', baseUrl: double.url });
    const error = await provider.complete(request, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    assert.equal(failureOf(error), 'auth');
  });

  test('a reply slower than the timeout becomes timeout, retryable', async () => {
    double.script(reply.text('late', { delayMs: 1_000 }));
    const provider = createAnthropicProvider({ apiKey: double.apiKey, baseUrl: double.url });
    const error = await provider.complete(request, { timeoutMs: 100 }).catch((e: unknown) => e);
    assert.equal(failureOf(error), 'timeout');
    assert.equal((error as { retryable: boolean }).retryable, true);
  });
});
