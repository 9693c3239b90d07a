import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  computeSlackSignature,
  signSlackRequest,
  type VerifyInput,
  verifySlackRequest,
} from '../../src/slack/request-signature.ts';

// The worked example in Slack's "Verifying requests from Slack"
// (docs.slack.dev/authentication/verifying-requests-from-slack).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = 1531420618;
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const DOC_NOW_MS = DOC_TIMESTAMP * 1000;

const docHeaders = (overrides: Record<string, string | undefined> = {}) => ({
  'x-slack-signature': DOC_SIGNATURE,
  'x-slack-request-timestamp': String(DOC_TIMESTAMP),
  ...overrides,
});

describe('Slack request signatures (v0)', () => {
  it('computes the signature of Slack’s documented example', () => {
    assert.equal(computeSlackSignature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY), DOC_SIGNATURE);
  });

  it('accepts Slack’s documented example, with headers in any letter case', () => {
    const upper = { 'X-Slack-Signature': DOC_SIGNATURE, 'X-Slack-Request-Timestamp': String(DOC_TIMESTAMP) };
    const check = { signingSecret: DOC_SECRET, body: DOC_BODY, nowMs: DOC_NOW_MS };
    assert.deepEqual(verifySlackRequest({ ...check, headers: docHeaders() }), { valid: true });
    assert.deepEqual(verifySlackRequest({ ...check, headers: upper }), { valid: true });
  });

  it('verifies what it signs', () => {
    const headers = signSlackRequest({
      signingSecret: 's3cret',
      body: '{"a":1}',
      timestampSec: 1_700_000_000,
    });
    assert.deepEqual(
      verifySlackRequest({ signingSecret: 's3cret', body: '{"a":1}', headers, nowMs: 1_700_000_000_000 }),
      { valid: true },
    );
  });

  it('names what is wrong with a request it refuses', () => {
    const base = { signingSecret: DOC_SECRET, body: DOC_BODY, nowMs: DOC_NOW_MS };
    const cases: Array<[Partial<VerifyInput>, string]> = [
      [{ ...base, body: `${DOC_BODY}&text=tampered` }, 'signature_mismatch'],
      [{ ...base, signingSecret: 'another-secret' }, 'signature_mismatch'],
      [{ ...base, headers: docHeaders({ 'x-slack-signature': 'v0=abc' }) }, 'signature_mismatch'],
      [
        { ...base, headers: docHeaders({ 'x-slack-signature': DOC_SIGNATURE.replace('v0=', 'v1=') }) },
        'unknown_version',
      ],
      [{ ...base, headers: docHeaders({ 'x-slack-signature': undefined }) }, 'missing_signature'],
      [{ ...base, headers: docHeaders({ 'x-slack-request-timestamp': undefined }) }, 'missing_timestamp'],
      [{ ...base, headers: docHeaders({ 'x-slack-request-timestamp': 'soon' }) }, 'invalid_timestamp'],
      [{ ...base, nowMs: DOC_NOW_MS + 301_000 }, 'stale_timestamp'],
      [{ ...base, nowMs: DOC_NOW_MS - 301_000 }, 'future_timestamp'],
    ];
    for (const [input, problem] of cases) {
      assert.deepEqual(
        verifySlackRequest({ ...base, headers: docHeaders(), ...input }),
        { valid: false, problem },
        problem,
      );
    }
  });

  it('accepts a timestamp up to five minutes away in either direction', () => {
    const base = { signingSecret: DOC_SECRET, body: DOC_BODY, headers: docHeaders() };
    assert.equal(verifySlackRequest({ ...base, nowMs: DOC_NOW_MS + 300_000 }).valid, true);
    assert.equal(verifySlackRequest({ ...base, nowMs: DOC_NOW_MS - 300_000 }).valid, true);
  });
});
