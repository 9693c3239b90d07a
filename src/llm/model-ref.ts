import { SluiceError } from '../errors.ts';
import type { ModelRef, ProviderName } from './types.ts';

const PROVIDERS: readonly ProviderName[] = ['anthropic', 'openai'];

/**
 * `openai:llama3.1:8b` -> provider `openai`, model `llama3.1:8b` (only the first colon splits,
 * because Ollama tags contain colons). A name without a known prefix is an Anthropic model.
 */
export function parseModelRef(value: string): ModelRef {
  const trimmed = value.trim();
  const colon = trimmed.indexOf(':');
  const prefix = colon > 0 ? trimmed.slice(0, colon) : '';
  const provider = (PROVIDERS as readonly string[]).includes(prefix) ? (prefix as ProviderName) : 'anthropic';
  const model = provider === prefix ? trimmed.slice(colon + 1) : trimmed;
  if (!model)
    throw new SluiceError('invalid_input', `model "${value}" has no name after its provider prefix`);
  return { provider, model, id: `${provider}:${model}` };
}
