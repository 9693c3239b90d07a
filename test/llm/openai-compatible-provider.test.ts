import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { createCallLog } from '../../src/llm/call-log.ts';
import { defaultGatewaySettings } from '../../src/llm/gateway-settings.ts';
import { reply } from '../support/anthropic-double.ts';
import { createHarness, type Harness, passages } from './gateway-harness.ts';

const actions = [
  {
    name: 'http.request',
    description: 'Call a configured endpoint.',
    input: z.object({ endpoint: z.enum(['restart-service']), params: z.object({ service: z.string() }) }),
  },
] as const;

const good = {
  rationale: 'Asked to restart payments.',
  params: { endpoint: 'restart-service', params: { service: 'payments' } },
};

let h: Harness;

before(async () => {
  h = await createHarness({
    withOpenAi: true,
    settings: {
      cacheTtlSeconds: 0,
      models: {
        ...defaultGatewaySettings.models,
        propose: { primary: 'openai:llama3.1:8b', fallback: undefined },
        answer: { primary: 'claude-sonnet-4-6', fallback: 'openai:qwen2.5:14b' },
      },
    },
  });
});

after(async () => {
  await h.close();
});

describe('the OpenAI-compatible provider', () => {
  test('a function call becomes a typed proposal, with usage mapped and a zero price', async () => {
    h.openai!.script({
      kind: 'tool_call',
      name: 'http_request',
      arguments: good,
      usage: { prompt_tokens: 900, completion_tokens: 40, cached_tokens: 600 },
    });
    const ctx = h.ctx();
    const result = await h.gateway.propose({ ...ctx, request: 'restart payments', actions });
    assert.equal(result.model, 'openai:llama3.1:8b');
    assert.deepEqual(result.proposal?.params, good.params);

    const sent = h.openai!.requests.at(-1)!;
    assert.equal(sent.headers.authorization, `Bearer ${h.openai!.apiKey}`);
    assert.equal(sent.body.model, 'llama3.1:8b');
    assert.equal(sent.body.tool_choice, 'required');
    assert.equal(sent.body.messages[0].role, 'system');
    assert.equal(sent.body.tools[0].function.name, 'http_request');
    assert.equal(sent.body.tools[0].function.parameters.type, 'object');

    const [call] = await createCallLog(h.db).forRun(ctx.runId);
    assert.equal(call?.inputTokens, 300);
    assert.equal(call?.cacheReadTokens, 600);
    assert.equal(call?.outputTokens, 40);
    assert.equal(call?.costUsd, 0);
  });

  test('unparseable arguments are repaired through a tool message', async () => {
    h.openai!.script(
      { kind: 'tool_call', name: 'http_request', arguments: '{"rationale": "x", "params": ' },
      { kind: 'tool_call', name: 'http_request', arguments: good },
    );
    const result = await h.gateway.propose({ ...h.ctx(), request: 'restart payments', actions });
    assert.equal(result.repaired, true);
    const repair = h.openai!.requests.at(-1)!.body.messages;
    const assistant = repair.at(-2);
    const tool = repair.at(-1);
    assert.equal(assistant.role, 'assistant');
    assert.equal(tool.role, 'tool');
    assert.equal(tool.tool_call_id, assistant.tool_calls[0].id);
    assert.match(tool.content, /^Error: Your reply was not accepted/);
  });

  test('a 429 with retry-after is retried; a 401 is not', async () => {
    h.openai!.script(
      { kind: 'error', status: 429, message: 'slow down', retryAfter: 0 },
      { kind: 'tool_call', name: 'http_request', arguments: good },
    );
    const before = h.openai!.requests.length;
    const ok = await h.gateway.propose({ ...h.ctx(), request: 'restart payments', actions });
    assert.equal(ok.mode, 'model');
    assert.equal(h.openai!.requests.length - before, 2);

    h.openai!.script({
      kind: 'error',
      status: 401,
      message: 'Incorrect API key provided',
      code: 'invalid_api_key',
    });
    const again = h.openai!.requests.length;
    const refused = await h.gateway.propose({ ...h.ctx(), request: 'restart payments', actions });
    assert.equal(h.openai!.requests.length - again, 1);
    assert.equal(refused.mode, 'no-model');
  });

  test('a self-hosted model can be the fallback for Claude', async () => {
    h.double.scriptModel('claude-sonnet-4-6', reply.overloaded(), reply.overloaded(), reply.overloaded());
    h.openai!.script({
      kind: 'tool_call',
      name: 'submit_answer',
      arguments: { known: true, answer: 'Use vault [1].', citations: [1] },
    });
    const result = await h.gateway.answer({ ...h.ctx(), question: 'rotate?', hits: passages });
    assert.equal(result.mode, 'fallback');
    assert.equal(result.model, 'openai:qwen2.5:14b');
    assert.equal(result.answer.citations[0]?.chunkId, passages[0]!.chunkId);
  });
});
