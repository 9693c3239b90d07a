import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack's v0 request signing: `x-slack-signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`
 * keyed by the app's signing secret, with the seconds timestamp in `x-slack-request-timestamp`.
 * `sign` is used by the local workspace and the test driver to send requests as Slack does;
 * `verify` checks one, refusing a timestamp more than five minutes away from now in either
 * direction (Bolt only refuses the past) and comparing in constant time.
 */

export const SIGNATURE_HEADER = 'x-slack-signature';
export const TIMESTAMP_HEADER = 'x-slack-request-timestamp';
export const SIGNATURE_VERSION = 'v0';

/** Slack's replay window, in seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export type SignedHeaders = {
  [SIGNATURE_HEADER]: string;
  [TIMESTAMP_HEADER]: string;
};

export function computeSlackSignature(signingSecret: string, timestampSec: number, body: string): string {
  const digest = createHmac('sha256', signingSecret)
    .update(`${SIGNATURE_VERSION}:${timestampSec}:${body}`)
    .digest('hex');
  return `${SIGNATURE_VERSION}=${digest}`;
}

/** The two headers Slack sends with a request whose raw body is `body`. */
export function signSlackRequest(input: {
  signingSecret: string;
  body: string;
  timestampSec?: number;
}): SignedHeaders {
  const timestampSec = input.timestampSec ?? Math.floor(Date.now() / 1000);
  return {
    [SIGNATURE_HEADER]: computeSlackSignature(input.signingSecret, timestampSec, input.body),
    [TIMESTAMP_HEADER]: String(timestampSec),
  };
}

export type SignatureProblem =
  | 'missing_signature'
  | 'missing_timestamp'
  | 'invalid_timestamp'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'unknown_version'
  | 'signature_mismatch';

export type SignatureCheck = { valid: true } | { valid: false; problem: SignatureProblem };

export interface VerifyInput {
  signingSecret: string;
  /** The raw body exactly as received; re-serialised JSON would not match. */
  body: string;
  /** Request headers; names are matched case-insensitively. */
  headers: Record<string, string | string[] | undefined>;
  nowMs?: number;
  maxSkewSeconds?: number;
}

export function verifySlackRequest(input: VerifyInput): SignatureCheck {
  const signature = header(input.headers, SIGNATURE_HEADER);
  const timestampText = header(input.headers, TIMESTAMP_HEADER);
  if (!signature) return { valid: false, problem: 'missing_signature' };
  if (!timestampText) return { valid: false, problem: 'missing_timestamp' };
  if (!/^\d{1,12}$/.test(timestampText)) return { valid: false, problem: 'invalid_timestamp' };
  const timestampSec = Number(timestampText);
  const nowSec = Math.floor((input.nowMs ?? Date.now()) / 1000);
  const maxSkew = input.maxSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS;
  if (timestampSec < nowSec - maxSkew) return { valid: false, problem: 'stale_timestamp' };
  if (timestampSec > nowSec + maxSkew) return { valid: false, problem: 'future_timestamp' };
  if (!signature.startsWith(`${SIGNATURE_VERSION}=`)) return { valid: false, problem: 'unknown_version' };
  const expected = Buffer.from(computeSlackSignature(input.signingSecret, timestampSec, input.body));
  const received = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; a length difference is already a mismatch.
  const same = expected.length === received.length && timingSafeEqual(expected, received);
  return same ? { valid: true } : { valid: false, problem: 'signature_mismatch' };
}

function header(headers: VerifyInput['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
