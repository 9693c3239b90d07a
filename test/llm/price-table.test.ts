import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PROMPT_OVERHEAD_TOKENS, reservationPico } from '../../src/llm/estimate-reservation.ts';
import { parseModelRef } from '../../src/llm/model-ref.ts';
import {
  buildPriceTable,
  costPico,
  defaultPriceTable,
  picoToUsd,
  priceFor,
  ratesFor,
  usdToPico,
} from '../../src/llm/price-table.ts';

describe('the price table', () => {
  test('prices the four counters with the cache multipliers, exactly', () => {
    const rates = ratesFor(priceFor(defaultPriceTable, parseModelRef('claude-sonnet-4-6')));
    const cost = costPico(
      { input: 1_000_000, cacheWrite: 1_000_000, cacheRead: 1_000_000, output: 1_000_000 },
      rates,
    );
    // $3 input + $3.75 cache write + $0.30 cache read + $15 output.
    assert.equal(picoToUsd(cost), '22.050000000000');
    assert.equal(
      picoToUsd(costPico({ input: 1, cacheWrite: 0, cacheRead: 1, output: 0 }, rates)),
      '0.000003300000',
    );
  });

  test('finds dated snapshots by prefix and unknown models by the provider wildcard', () => {
    assert.equal(priceFor(defaultPriceTable, parseModelRef('claude-haiku-4-5-20251001')).input, 1);
    assert.equal(priceFor(defaultPriceTable, parseModelRef('claude-future-9')).output, 75);
    assert.equal(priceFor(defaultPriceTable, parseModelRef('openai:llama3.1:8b')).input, 0);
  });

  test('overrides from config win and default the multipliers', () => {
    const table = buildPriceTable({
      'claude-haiku-4-5': { input: 0.8, output: 4 },
      'openai:*': { input: 0.1, output: 0.2 },
    });
    const haiku = priceFor(table, parseModelRef('claude-haiku-4-5'));
    assert.deepEqual(haiku, { input: 0.8, output: 4, cacheWrite: 1.25, cacheRead: 0.1 });
    assert.equal(priceFor(table, parseModelRef('openai:qwen')).output, 0.2);
  });

  test('converts between USD and pico-dollars without float drift', () => {
    assert.equal(picoToUsd(usdToPico(0.1)), '0.100000000000');
    assert.equal(picoToUsd(usdToPico(12.345678901234)), '12.345678901234');
    assert.equal(picoToUsd(-5n), '-0.000000000005');
  });
});

describe('model references', () => {
  test('split the provider on the first colon only', () => {
    assert.deepEqual(parseModelRef('openai:llama3.1:8b'), {
      provider: 'openai',
      model: 'llama3.1:8b',
      id: 'openai:llama3.1:8b',
    });
    assert.deepEqual(parseModelRef('claude-haiku-4-5'), {
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      id: 'anthropic:claude-haiku-4-5',
    });
    assert.throws(() => parseModelRef('openai:'));
  });
});

describe('reservations', () => {
  test('cover the worst case: every byte a token at the dearest input rate, plus max_tokens', () => {
    const rates = ratesFor(priceFor(defaultPriceTable, parseModelRef('claude-sonnet-4-6')));
    const body = { messages: [{ role: 'user', content: 'é'.repeat(1000) }] };
    const bytes = Buffer.byteLength(JSON.stringify(body));
    const reserved = reservationPico(body, 500, rates);
    const worst = costPico(
      { input: 0, cacheWrite: bytes + PROMPT_OVERHEAD_TOKENS, cacheRead: 0, output: 500 },
      rates,
    );
    assert.equal(reserved, worst);
    const realistic = costPico({ input: 300, cacheWrite: 100, cacheRead: 100, output: 500 }, rates);
    assert.ok(realistic < reserved);
  });
});
