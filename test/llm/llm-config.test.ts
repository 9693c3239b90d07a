import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { providersFromConfig } from '../../src/llm/create-model-gateway-from-config.ts';
import { gatewaySettingsFromConfig } from '../../src/llm/gateway-settings.ts';

describe('model gateway configuration', () => {
  test('has working defaults: a cheap triage model, fallbacks, budgets and no providers without keys', () => {
    const config = loadConfig({});
    assert.deepEqual(config.llm.models.triage, {
      primary: 'claude-haiku-4-5',
      fallback: 'claude-sonnet-4-6',
    });
    assert.deepEqual(config.llm.budgets, { runUsd: 0.5, userDayUsd: 5, dayUsd: 50, onExhausted: 'stop' });
    assert.deepEqual(providersFromConfig(config), {});
    const settings = gatewaySettingsFromConfig(config.llm);
    assert.equal(settings.budgets.maxTurnsPerRun, 8);
    assert.equal(settings.prices['anthropic:claude-haiku-4-5']?.input, 1);
  });

  test('reads models, "none" fallbacks, prices and budgets', () => {
    const config = loadConfig({
      SLUICE_MODEL_ANSWER: 'openai:llama3.1:8b',
      SLUICE_MODEL_ANSWER_FALLBACK: 'none',
      OPENAI_COMPAT_BASE_URL: 'http://localhost:11434/v1',
      SLUICE_MODEL_PRICES: '{"openai:llama3.1:8b":{"input":0.1,"output":0.2}}',
      SLUICE_BUDGET_DAY_USD: '12.5',
      SLUICE_BUDGET_EXHAUSTED: 'no-model',
      ANTHROPIC_API_KEY: 'sk-ant-api03-test',
    });
    assert.deepEqual(config.llm.models.answer, { primary: 'openai:llama3.1:8b', fallback: undefined });
    assert.equal(config.llm.budgets.dayUsd, 12.5);
    assert.equal(config.llm.budgets.onExhausted, 'no-model');
    const settings = gatewaySettingsFromConfig(config.llm);
    assert.equal(settings.prices['openai:llama3.1:8b']?.output, 0.2);
    assert.deepEqual(Object.keys(providersFromConfig(config)).sort(), ['anthropic', 'openai']);
  });

  test('lists every bad model variable at once', () => {
    try {
      loadConfig({
        SLUICE_MODEL_TRIAGE: 'none',
        SLUICE_BUDGET_RUN_USD: '-1',
        SLUICE_MODEL_PRICES: '{"x":{"input":"free"}}',
        SLUICE_LLM_RETRY_ATTEMPTS: '0',
        SLUICE_BUDGET_EXHAUSTED: 'maybe',
      });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const names = error.problems.map((p) => p.split(':')[0]);
      assert.deepEqual(names.sort(), [
        'SLUICE_BUDGET_EXHAUSTED',
        'SLUICE_BUDGET_RUN_USD',
        'SLUICE_LLM_RETRY_ATTEMPTS',
        'SLUICE_MODEL_PRICES',
        'SLUICE_MODEL_TRIAGE',
      ]);
    }
  });

  test('an openai: model without OPENAI_COMPAT_BASE_URL is a configuration error', () => {
    assert.throws(
      () => loadConfig({ SLUICE_MODEL_PROPOSE: 'openai:qwen2.5' }),
      /OPENAI_COMPAT_BASE_URL is not set/,
    );
  });
});
