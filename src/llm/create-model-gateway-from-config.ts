import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { createAnthropicProvider } from './anthropic-provider.ts';
import type { NotifyOps } from './dead-letters.ts';
import { gatewaySettingsFromConfig } from './gateway-settings.ts';
import { createModelGateway, type ModelGateway } from './model-gateway.ts';
import { createOpenAiCompatibleProvider } from './openai-compatible-provider.ts';
import type { ModelProvider, ProviderName } from './types.ts';

/** Providers that the configuration enables. No Anthropic key: no Anthropic provider (no-model mode). */
export function providersFromConfig(
  config: Pick<Config, 'anthropic' | 'llm'>,
): Partial<Record<ProviderName, ModelProvider>> {
  const providers: Partial<Record<ProviderName, ModelProvider>> = {};
  if (config.anthropic.apiKey) {
    providers.anthropic = createAnthropicProvider({
      apiKey: config.anthropic.apiKey,
      ...(config.anthropic.baseUrl ? { baseUrl: config.anthropic.baseUrl } : {}),
    });
  }
  const compat = config.llm.openaiCompat;
  if (compat.baseUrl) {
    providers.openai = createOpenAiCompatibleProvider({
      baseUrl: compat.baseUrl,
      ...(compat.apiKey ? { apiKey: compat.apiKey } : {}),
    });
  }
  return providers;
}

/** The composition root's one-liner. */
export function createModelGatewayFromConfig(
  config: Pick<Config, 'anthropic' | 'llm'>,
  deps: { db: Database; logger: Logger; notifyOps: NotifyOps },
): ModelGateway {
  return createModelGateway({
    ...deps,
    providers: providersFromConfig(config),
    settings: gatewaySettingsFromConfig(config.llm),
  });
}
