import { parseModelRef } from './model-ref.ts';
import type { ModelRef, TokenUsage } from './types.ts';

/**
 * Prices are USD per million tokens, as Anthropic publishes them; cache writes and reads are
 * multipliers of the input price. Money is computed in integer pico-dollars (1e-12 USD) with
 * BigInt, so a recorded cost is exactly the four counters times the four rates, with no float drift,
 * and stored as numeric(24,12) USD.
 */

export interface ModelPrice {
  /** USD per million uncached input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
  /** Multiplier of `input` for tokens written to the prompt cache (5-minute entries). */
  cacheWrite: number;
  /** Multiplier of `input` for tokens read from the prompt cache. */
  cacheRead: number;
}

export type PriceTable = Record<string, ModelPrice>;

/** Pico-dollars per token for each counter. */
export interface TokenRates {
  input: bigint;
  cacheWrite: bigint;
  cacheRead: bigint;
  output: bigint;
}

const standardCache = { cacheWrite: 1.25, cacheRead: 0.1 };

/**
 * Defaults from Anthropic's pricing page. `anthropic:*` prices an unknown Claude model at the
 * highest current list price, so reservations for it err on the safe side; `openai:*` is free
 * because OpenAI-compatible endpoints here are self-hosted (Ollama, vLLM). Override any entry with
 * SLUICE_MODEL_PRICES.
 */
export const defaultPriceTable: PriceTable = {
  'anthropic:claude-haiku-4-5': { input: 1, output: 5, ...standardCache },
  'anthropic:claude-sonnet-4-5': { input: 3, output: 15, ...standardCache },
  'anthropic:claude-sonnet-4-6': { input: 3, output: 15, ...standardCache },
  'anthropic:claude-opus-4-5': { input: 5, output: 25, ...standardCache },
  'anthropic:claude-opus-4-6': { input: 5, output: 25, ...standardCache },
  'anthropic:*': { input: 15, output: 75, ...standardCache },
  'openai:*': { input: 0, output: 0, cacheWrite: 1, cacheRead: 1 },
};

/** Config overrides (keys may be bare Anthropic names) merged over the defaults. */
export function buildPriceTable(
  overrides: Record<string, Partial<ModelPrice> & { input: number; output: number }> = {},
): PriceTable {
  const table: PriceTable = { ...defaultPriceTable };
  for (const [key, price] of Object.entries(overrides)) {
    const id = key.endsWith(':*') ? key : parseModelRef(key).id;
    table[id] = { ...standardCache, ...price };
  }
  return table;
}

/** Exact entry, else the longest entry that prefixes the id (dated snapshots), else the wildcard. */
export function priceFor(table: PriceTable, ref: ModelRef): ModelPrice {
  const exact = table[ref.id];
  if (exact) return exact;
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (!key.endsWith(':*') && ref.id.startsWith(key) && (!best || key.length > best.length)) best = key;
  }
  const found = (best && table[best]) || table[`${ref.provider}:*`];
  if (!found) throw new Error(`no price for ${ref.id} and no ${ref.provider}:* entry`);
  return found;
}

function perTokenPico(usdPerMillion: number, multiplier = 1): bigint {
  // $1 per million tokens is 1e-6 USD = 1e6 pico-dollars per token.
  return BigInt(Math.round(usdPerMillion * multiplier * 1_000_000));
}

export function ratesFor(price: ModelPrice): TokenRates {
  return {
    input: perTokenPico(price.input),
    cacheWrite: perTokenPico(price.input, price.cacheWrite),
    cacheRead: perTokenPico(price.input, price.cacheRead),
    output: perTokenPico(price.output),
  };
}

export function costPico(usage: TokenUsage, rates: TokenRates): bigint {
  return (
    BigInt(usage.input) * rates.input +
    BigInt(usage.cacheWrite) * rates.cacheWrite +
    BigInt(usage.cacheRead) * rates.cacheRead +
    BigInt(usage.output) * rates.output
  );
}

const PICO = 1_000_000_000_000n;

/** Exact decimal USD text with 12 places, for numeric(24,12) parameters. */
export function picoToUsd(pico: bigint): string {
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const whole = abs / PICO;
  const frac = (abs % PICO).toString().padStart(12, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** USD from config (a float) to pico-dollars, rounded to the nearest pico-dollar. */
export function usdToPico(usd: number): bigint {
  const [whole = '0', frac = ''] = usd.toFixed(12).split('.');
  return BigInt(whole) * PICO + BigInt(frac.padEnd(12, '0'));
}
