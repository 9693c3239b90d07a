import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { embedTexts } from '../../retrieval/embeddings/embed-chunks.ts';
import { createLocalEmbedder } from '../../retrieval/embeddings/local-embedder.ts';
import { createOpenAiCompatibleEmbedder } from '../../retrieval/embeddings/openai-compatible-embedder.ts';
import { createVoyageEmbedder } from '../../retrieval/embeddings/voyage-embedder.ts';
import { isSluiceError } from '../../src/errors.ts';

/** A loopback double of the embeddings APIs: scripted statuses, recorded requests. */
interface Recorded {
  path: string;
  authorization: string | undefined;
  body: {
    input: string[];
    model: string;
    input_type?: string;
    output_dimension?: number;
    dimensions?: number;
  };
}

describe('embedding providers over HTTP', () => {
  let server: http.Server;
  let baseUrl: string;
  const requests: Recorded[] = [];
  let script: { status: number; headers?: Record<string, string>; dimension?: number }[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        const body = JSON.parse(raw) as Recorded['body'];
        requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
        const step = script.shift() ?? { status: 200 };
        if (step.status !== 200) {
          res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
          res.end(JSON.stringify({ detail: `scripted ${step.status}` }));
          return;
        }
        const dim = step.dimension ?? 4;
        // Reversed order with explicit indexes: the client must sort by index.
        const data = body.input
          .map((_, i) => ({ index: i, embedding: Array.from({ length: dim }, (_, k) => i + k / 10) }))
          .reverse();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data, usage: { total_tokens: 1 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sleeps: number[] = [];
  const deps = { sleep: async (ms: number) => void sleeps.push(ms) };

  it('Voyage: batches, sends input_type and the key, keeps order by index', async () => {
    requests.length = 0;
    const voyage = createVoyageEmbedder(
      {
        apiKey: 'pa-secret',
        model: 'voyage-3.5',
        dimension: 4,
        requestDimension: false,
        baseUrl,
        batchSize: 2,
      },
      deps,
    );
    const vectors = await embedTexts(voyage, ['a', 'b', 'c', 'd', 'e'], 'query');
    assert.equal(requests.length, 3);
    assert.deepEqual(
      requests.map((r) => r.body.input.length),
      [2, 2, 1],
    );
    assert.equal(requests[0]!.path, '/v1/embeddings');
    assert.equal(requests[0]!.body.input_type, 'query');
    assert.equal(requests[0]!.authorization, 'Bearer pa-secret');
    assert.equal(requests[0]!.body.output_dimension, undefined);
    assert.deepEqual(Array.from(vectors[1]!), [1, 1.1, 1.2, 1.3].map(Math.fround));
  });

  it('retries 429 (honouring Retry-After) and 5xx, then succeeds', async () => {
    requests.length = 0;
    sleeps.length = 0;
    script = [{ status: 429, headers: { 'retry-after': '2' } }, { status: 503 }, { status: 200 }];
    const openai = createOpenAiCompatibleEmbedder(
      { baseUrl, apiKey: undefined, model: 'nomic-embed-text', dimension: 4, requestDimension: true },
      deps,
    );
    const vectors = await openai.embed(['x'], 'document');
    assert.equal(vectors.length, 1);
    assert.equal(requests.length, 3);
    assert.equal(sleeps[0], 2000, 'waited as long as Retry-After said');
    assert.ok(sleeps[1]! > 0 && sleeps[1]! <= 1000, 'then exponential backoff with jitter');
    assert.equal(requests[0]!.body.dimensions, 4, 'an explicitly configured dimension is requested');
    assert.equal(requests[0]!.authorization, undefined);
  });

  it('fails at once on a 4xx other than 408/429, without the key in the message', async () => {
    requests.length = 0;
    script = [{ status: 401 }];
    const voyage = createVoyageEmbedder(
      { apiKey: 'pa-secret', model: 'voyage-3.5', dimension: 4, requestDimension: false, baseUrl },
      deps,
    );
    await assert.rejects(voyage.embed(['x'], 'document'), (error: unknown) => {
      assert.ok(isSluiceError(error));
      assert.equal(error.retryable, false);
      assert.match(error.message, /401/);
      assert.doesNotMatch(error.message, /pa-secret/);
      return true;
    });
    assert.equal(requests.length, 1);
  });

  it('gives up after the last attempt, saying so', async () => {
    script = Array.from({ length: 5 }, () => ({ status: 500 }));
    const openai = createOpenAiCompatibleEmbedder(
      { baseUrl, apiKey: 'k', model: 'm', dimension: 4, requestDimension: false },
      deps,
    );
    await assert.rejects(openai.embed(['x'], 'document'), /gave up after 5 attempts/);
  });

  it('rejects vectors whose dimension differs from the configured one, naming the fix', async () => {
    script = [{ status: 200, dimension: 8 }];
    const openai = createOpenAiCompatibleEmbedder(
      { baseUrl, apiKey: 'k', model: 'm', dimension: 4, requestDimension: false },
      deps,
    );
    await assert.rejects(
      embedTexts(openai, ['x'], 'document'),
      /8-dimensional vectors but 4 are configured; set SLUICE_EMBEDDINGS_DIMENSIONS=8/,
    );
  });

  it('the local embedder is deterministic, unit length, and closer for shared words', async () => {
    const local = createLocalEmbedder({ dimension: 256 });
    const [a, b, c, a2] = await local.embed(
      [
        'rotate the staging password',
        'rotating staging passwords',
        'payments worker restart',
        'rotate the staging password',
      ],
      'document',
    );
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    assert.deepEqual(a, a2);
    assert.ok(Math.abs(dot(a!, a!) - 1) < 1e-5);
    assert.ok(dot(a!, b!) > dot(a!, c!) + 0.2, 'inflections share character n-grams');
  });
});
