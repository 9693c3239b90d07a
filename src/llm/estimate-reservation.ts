import type { TokenRates } from './price-table.ts';
import type { TokenUsage } from './types.ts';

/**
 * The most a turn can cost, reserved before it is sent. Every token the tokenizer produces covers
 * at least one byte of text, so the byte length of the request body bounds its input tokens; the
 * constant covers what the API adds (the tool-use system prompt, message framing). Input is priced
 * at the dearest input rate (a cache write), output at `max_tokens`. Reservations are therefore
 * generous, and settlement returns the difference at once.
 */

export const PROMPT_OVERHEAD_TOKENS = 1024;

/** Input tokens (all three input counters together) the request can possibly be billed for. */
export function inputTokenBound(wireBody: unknown): number {
  return Buffer.byteLength(JSON.stringify(wireBody)) + PROMPT_OVERHEAD_TOKENS;
}

export function reservationPico(wireBody: unknown, maxTokens: number, rates: TokenRates): bigint {
  let inputRate = rates.input;
  if (rates.cacheWrite > inputRate) inputRate = rates.cacheWrite;
  if (rates.cacheRead > inputRate) inputRate = rates.cacheRead;
  return BigInt(inputTokenBound(wireBody)) * inputRate + BigInt(maxTokens) * rates.output;
}

/**
 * Usage no real API can report (more output than max_tokens, more input than the request holds)
 * comes from a broken or hostile server. It is cut to those bounds for the ledger, so a turn can
 * never settle above its reservation; the raw response keeps what was reported.
 */
export function boundUsage(
  usage: TokenUsage,
  maxTokens: number,
  inputBound: number,
): { usage: TokenUsage; cut: boolean } {
  let room = inputBound;
  const cacheRead = Math.min(usage.cacheRead, room);
  room -= cacheRead;
  const cacheWrite = Math.min(usage.cacheWrite, room);
  room -= cacheWrite;
  const input = Math.min(usage.input, room);
  const output = Math.min(usage.output, maxTokens);
  const bounded = { input, cacheRead, cacheWrite, output };
  const cut =
    input !== usage.input ||
    cacheRead !== usage.cacheRead ||
    cacheWrite !== usage.cacheWrite ||
    output !== usage.output;
  return { usage: bounded, cut };
}
