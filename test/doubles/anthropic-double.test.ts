import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { type AnthropicDouble, reply, startAnthropicDouble } from '../support/anthropic-double.ts';

/**
 * The double is only useful if the real SDK cannot tell it from the API, so every test here
 * drives it with `@anthropic-ai/sdk` itself and checks what the SDK makes of the answer.
 */

let double: AnthropicDouble;
let client: Anthropic;

before(async () => {
  double = await startAnthropicDouble();
  client = new Anthropic({ apiKey: double.apiKey, baseURL: double.url, maxRetries: 0, timeout: 5_000 });
});

after(async () => {
  await double.close();
});

const ask = (extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) =>
  client.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'restart the payments worker in staging' }],
    ...extra,
  });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to be rejected');
}

describe('the Anthropic double, seen through the real SDK', () => {
  test('a scripted text reply arrives as a Message with its request id', async () => {
    double.script(
      reply.text('The password is rotated with `vault rotate`.', { usage: { output_tokens: 12 } }),
    );
    const message = await ask();
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.model, 'claude-haiku-4-5');
    assert.match(message.id, /^msg_[A-Za-z0-9]{24}$/);
    assert.deepEqual(message.content, [
      { type: 'text', text: 'The password is rotated with `vault rotate`.' },
    ]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.output_tokens, 12);
    assert.ok(message.usage.input_tokens > 0);
    assert.equal(message._request_id, double.requests.at(-1)?.requestId);
  });

  test('a scripted tool_use reply is parsed into a tool_use block with its input', async () => {
    double.script(
      reply.toolUse(
        'http_request',
        { endpoint: 'restart-service', params: { service: 'payments-worker', env: 'staging' } },
        { id: 'toolu_01A09q90qw90lq917835lq9', text: 'I will restart it.' },
      ),
    );
    const message = await ask({
      tools: [{ name: 'http_request', description: 'Call an endpoint', input_schema: { type: 'object' } }],
    });
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.content.length, 2);
    const [text, toolUse] = message.content;
    assert.equal(text?.type, 'text');
    assert.equal(toolUse?.type, 'tool_use');
    if (toolUse?.type !== 'tool_use') return;
    assert.equal(toolUse.id, 'toolu_01A09q90qw90lq917835lq9');
    assert.equal(toolUse.name, 'http_request');
    assert.deepEqual(toolUse.input, {
      endpoint: 'restart-service',
      params: { service: 'payments-worker', env: 'staging' },
    });
  });

  test('scripted cache counters reach the SDK usage block', async () => {
    double.script(
      reply.text('cached', {
        usage: {
          input_tokens: 21,
          cache_creation_input_tokens: 1800,
          cache_read_input_tokens: 0,
          output_tokens: 3,
        },
      }),
      reply.text('cached', {
        usage: {
          input_tokens: 21,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 1800,
          output_tokens: 3,
        },
      }),
    );
    const first = await ask();
    const second = await ask();
    assert.equal(first.usage.cache_creation_input_tokens, 1800);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.equal(second.usage.cache_read_input_tokens, 1800);
    assert.equal(second.usage.input_tokens, 21);
  });

  test('a system prompt marked with cache_control is written once and then read', async () => {
    const system: Anthropic.TextBlockParam[] = [
      {
        type: 'text',
        text: 'You are an operations assistant. '.repeat(200),
        cache_control: { type: 'ephemeral' },
      },
    ];
    const first = await ask({ system, model: 'claude-sonnet-4-6' });
    const second = await ask({ system, model: 'claude-sonnet-4-6' });
    assert.ok((first.usage.cache_creation_input_tokens ?? 0) >= 1024);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
  });

  test('a prefix below the minimum cacheable length is not cached', async () => {
    const system: Anthropic.TextBlockParam[] = [
      { type: 'text', text: 'short', cache_control: { type: 'ephemeral' } },
    ];
    await ask({ system });
    const again = await ask({ system });
    assert.equal(again.usage.cache_read_input_tokens, 0);
    assert.equal(again.usage.cache_creation_input_tokens, 0);
  });

  test('400 invalid_request_error arrives as BadRequestError with the documented envelope', async () => {
    double.script(reply.invalidRequest('messages: roles must alternate between "user" and "assistant"'));
    const error = await rejection(ask());
    assert.ok(error instanceof Anthropic.BadRequestError);
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.requestID, double.requests.at(-1)?.requestId);
    assert.deepEqual(error.error, {
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: 'messages: roles must alternate between "user" and "assistant"',
      },
      request_id: double.requests.at(-1)?.requestId,
    });
  });

  test('a wrong key is refused with 401 authentication_error before any script is used', async () => {
    double.script(reply.text('must not be consumed'));
    const wrong = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: double.url, maxRetries: 0 });
    const error = await rejection(
      wrong.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.ok(error instanceof Anthropic.AuthenticationError);
    assert.equal(error.type, 'authentication_error');
    assert.equal(double.pending(), 1);
    assert.deepEqual((await ask()).content, [{ type: 'text', text: 'must not be consumed' }]);
  });

  test('the SDK sends the key as a bearer token and the double also accepts x-api-key', async () => {
    await ask();
    assert.equal(double.requests.at(-1)?.headers.authorization, `Bearer ${double.apiKey}`);
    const viaHeader = await fetch(`${double.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': double.apiKey,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(viaHeader.status, 200);
    assert.match(viaHeader.headers.get('request-id') ?? '', /^req_/);
    const noVersion = await fetch(`${double.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': double.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(noVersion.status, 400);
  });

  test('429 rate_limit_error carries retry-after and arrives as RateLimitError', async () => {
    double.script(reply.rateLimited(7));
    const error = await rejection(ask());
    assert.ok(error instanceof Anthropic.RateLimitError);
    assert.equal(error.headers.get('retry-after'), '7');
    assert.equal(error.type, 'rate_limit_error');
    assert.equal(error.errorCode, null);
  });

  test('the spend-limit 429 has an error code, no retry-after, and its own SDK class', async () => {
    double.script(reply.spendLimitReached());
    const error = await rejection(ask());
    assert.ok(error instanceof Anthropic.RateLimitError);
    assert.ok(error instanceof Anthropic.EnforcedSpendLimitReachedError);
    assert.equal(error.errorCode, 'enforced_spend_limit_reached');
    assert.equal(error.headers.get('retry-after'), null);
  });

  test('500 api_error and 529 overloaded_error arrive as InternalServerError and OverloadedError', async () => {
    double.script(reply.apiError(), reply.overloaded());
    const apiError = await rejection(ask());
    assert.ok(apiError instanceof Anthropic.InternalServerError);
    assert.equal(apiError.type, 'api_error');
    const overloaded = await rejection(ask());
    assert.ok(overloaded instanceof Anthropic.OverloadedError);
    assert.equal(overloaded.status, 529);
    assert.equal(overloaded.type, 'overloaded_error');
  });

  test('a delayed reply trips the SDK timeout, and the double records the request anyway', async () => {
    double.script(reply.text('too late', { delayMs: 2_000 }));
    const before = double.requests.length;
    const started = Date.now();
    const timedOut = await rejection(
      client.messages.create(
        { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        { timeout: 200, maxRetries: 0 },
      ),
    );
    assert.ok(timedOut instanceof Anthropic.APIConnectionTimeoutError);
    assert.ok(Date.now() - started < 1_500);
    assert.equal(double.requests.length, before + 1);
  });

  test('a short delay is waited out and the reply still arrives', async () => {
    double.script(reply.text('slow but fine', { delayMs: 150 }));
    const started = Date.now();
    const message = await ask();
    assert.ok(Date.now() - started >= 140);
    assert.deepEqual(message.content, [{ type: 'text', text: 'slow but fine' }]);
  });

  test('requests are recorded with body and headers, and per-model scripts go first', async () => {
    double.scriptModel('claude-opus-4-6', reply.text('from the opus script'));
    double.script(reply.text('from the shared script'));
    const haiku = await ask({ model: 'claude-haiku-4-5' });
    const opus = await ask({ model: 'claude-opus-4-6' });
    assert.deepEqual(haiku.content, [{ type: 'text', text: 'from the shared script' }]);
    assert.deepEqual(opus.content, [{ type: 'text', text: 'from the opus script' }]);
    const last = double.requests.at(-1);
    assert.equal(last?.body.model, 'claude-opus-4-6');
    assert.equal(last?.body.max_tokens, 256);
    assert.match(last?.headers['anthropic-version'] ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(double.messageRequests('claude-opus-4-6').length, 1);
  });

  test('a responder function answers whatever the scripts do not cover', async () => {
    double.setResponder((req) => reply.text(`echo: ${req.body.messages[0].content}`));
    const message = await ask();
    assert.deepEqual(message.content, [
      { type: 'text', text: 'echo: restart the payments worker in staging' },
    ]);
    double.setResponder(() => reply.text('This is the Anthropic double.'));
  });

  test('a malformed tool name is refused the way the API refuses it', async () => {
    const error = await rejection(
      ask({
        tools: [
          { name: 'http.request', description: 'dots are not allowed', input_schema: { type: 'object' } },
        ],
      }),
    );
    assert.ok(error instanceof Anthropic.BadRequestError);
  });
});
