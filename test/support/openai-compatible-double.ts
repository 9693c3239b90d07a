import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small stand-in for an OpenAI-compatible chat server (Ollama, vLLM): `POST /v1/chat/completions`
 * answering with `choices[0].message` (text or `tool_calls` whose arguments are a JSON string),
 * `usage` with prompt/completion tokens, and errors in the `{"error": {message, type, code}}`
 * envelope. `url` is the base including `/v1`.
 */

export type OpenAiReply =
  | { kind: 'text'; text: string; usage?: OpenAiUsage }
  | { kind: 'tool_call'; name: string; arguments: unknown; usage?: OpenAiUsage }
  | { kind: 'error'; status: number; message: string; type?: string; code?: string; retryAfter?: number };

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
}

export interface OpenAiRecordedRequest {
  path: string;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read deep into recorded bodies
  body: any;
}

export interface OpenAiCompatibleDouble {
  url: string;
  apiKey: string;
  requests: OpenAiRecordedRequest[];
  script(...replies: OpenAiReply[]): void;
  close(): Promise<void>;
}

export async function startOpenAiCompatibleDouble(
  options: { apiKey?: string } = {},
): Promise<OpenAiCompatibleDouble> {
  const apiKey = options.apiKey ?? 'ollama-double-key';
  const queue: OpenAiReply[] = [];
  const requests: OpenAiRecordedRequest[] = [];

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    // biome-ignore lint/suspicious/noExplicitAny: the server reads a few fields of an arbitrary body
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = undefined;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push({ path, headers, body });
    const requestId = `req-${randomBytes(8).toString('hex')}`;
    const send = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId, ...extra });
      res.end(JSON.stringify(payload));
    };
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return send(404, { error: { message: 'not found', type: 'invalid_request_error', code: null } });
    }
    if (headers.authorization !== `Bearer ${apiKey}`) {
      return send(401, {
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
    }
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return send(400, {
        error: { message: 'model and messages are required', type: 'invalid_request_error', code: null },
      });
    }
    const reply: OpenAiReply = queue.shift() ?? {
      kind: 'text',
      text: 'This is the OpenAI-compatible double.',
    };
    if (reply.kind === 'error') {
      return send(
        reply.status,
        { error: { message: reply.message, type: reply.type ?? 'server_error', code: reply.code ?? null } },
        reply.retryAfter === undefined ? {} : { 'retry-after': String(reply.retryAfter) },
      );
    }
    const usage = reply.usage ?? {
      prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4),
      completion_tokens: 10,
    };
    const message =
      reply.kind === 'text'
        ? { role: 'assistant', content: reply.text }
        : {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: `call_${randomBytes(6).toString('hex')}`,
                type: 'function',
                function: {
                  name: reply.name,
                  arguments:
                    typeof reply.arguments === 'string' ? reply.arguments : JSON.stringify(reply.arguments),
                },
              },
            ],
          };
    send(200, {
      id: `chatcmpl-${randomBytes(8).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message, finish_reason: reply.kind === 'text' ? 'stop' : 'tool_calls' }],
      usage: {
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        total_tokens: usage.prompt_tokens + usage.completion_tokens,
        ...(usage.cached_tokens === undefined
          ? {}
          : { prompt_tokens_details: { cached_tokens: usage.cached_tokens } }),
      },
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    script: (...replies) => {
      queue.push(...replies);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
