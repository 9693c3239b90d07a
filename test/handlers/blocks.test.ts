import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAnswerMessage, buildUnknownAnswerMessage } from '../../handlers/blocks/answer-blocks.ts';
import {
  type ApprovalCardView,
  buildApprovalCard,
  buildRejectModal,
  decodeButtonValue,
  encodeButtonValue,
} from '../../handlers/blocks/approval-card.ts';
import { buildHelpMessage } from '../../handlers/blocks/help-message.ts';
import { buildHomeView } from '../../handlers/blocks/home-view.ts';
import { splitText } from '../../handlers/blocks/mrkdwn.ts';
import { checkBlocks } from '../../src/local/slack-block-rules.ts';

const card: ApprovalCardView = {
  approvalId: 'ap_1',
  runId: 'run_1',
  action: 'http.request',
  params: { endpoint: 'restart-service', params: { service: 'payments-worker', environment: 'production' } },
  payloadHash: 'a'.repeat(64),
  risk: 'high',
  ruleId: 'production-needs-two-leads',
  reason: 'production restarts need two ops leads',
  requester: 'U0REQUEST',
  approvers: { users: [], groups: ['S0OPSLEADS'] },
  quorum: 2,
  requesterMayApprove: false,
  expiresAt: new Date('2026-11-22T10:30:00Z'),
  status: 'pending',
  votes: [],
};

describe('answer messages', () => {
  it('fit Slack limits even for a 200,000-character answer with 60 sources', () => {
    const message = buildAnswerMessage({
      runId: 'run_9',
      text: 'A sentence about rotating passwords. '.repeat(6000),
      citations: Array.from({ length: 60 }, (_, i) => ({
        n: i + 1,
        source: `runbooks/db-${i}.md`,
        heading: 'Rotating the staging password',
        link: `https://wiki.example.com/db-${i}`,
      })),
      mode: 'model',
    });
    checkBlocks(message.blocks, 'message');
    assert.ok(message.blocks.length <= 50);
    assert.ok(JSON.stringify(message.blocks).includes('Answer trimmed to fit Slack'));
    assert.equal(message.unfurl_links, false);
    assert.ok(message.text.length <= 4000);
  });

  it('escapes untrusted text so it cannot mention @channel or smuggle links', () => {
    const message = buildAnswerMessage({
      runId: 'run_2',
      text: 'Hi <!channel> see <https://evil.example|the docs> & more [1]',
      citations: [{ n: 1, source: 'a|b>.md', link: 'javascript:alert(1)' }],
      mode: 'no-model',
    });
    const json = JSON.stringify(message.blocks);
    assert.ok(!json.includes('<!channel>'));
    assert.ok(json.includes('&lt;!channel&gt;'));
    assert.ok(!json.includes('<https://evil'));
    assert.ok(!json.includes('javascript:'), 'only http(s) links are linked');
    assert.match(json, /No model available/);
  });

  it('numbers sources and links them', () => {
    const message = buildAnswerMessage({
      runId: 'run_3',
      text: 'Use the vault CLI [1].',
      citations: [
        { n: 1, source: 'runbooks/db.md', heading: 'Rotate', link: 'https://wiki.example.com/db#rotate' },
      ],
      mode: 'model',
    });
    assert.match(
      JSON.stringify(message.blocks),
      /\[1\] <https:\/\/wiki\.example\.com\/db#rotate\|runbooks\/db\.md › Rotate>/,
    );
  });

  it('says plainly when nothing was found', () => {
    const message = buildUnknownAnswerMessage('run_4', 'how do I fly?');
    checkBlocks(message.blocks, 'message');
    assert.match(message.text, /will not guess/);
  });
});

describe('approval cards', () => {
  it('show the exact payload, rule, approvers and quorum, and carry the payload hash on both buttons', () => {
    const message = buildApprovalCard(card);
    checkBlocks(message.blocks, 'message');
    const json = JSON.stringify(message.blocks);
    assert.match(json, /payments-worker/);
    assert.match(json, /production-needs-two-leads/);
    assert.match(json, /2 of <!subteam\^S0OPSLEADS>/);
    assert.match(json, /The requester may not approve/);
    const actions = message.blocks.find((b) => b.type === 'actions');
    assert.ok(actions && actions.type === 'actions');
    for (const button of actions.elements) {
      assert.deepEqual(decodeButtonValue(button.value), {
        approvalId: 'ap_1',
        payloadHash: card.payloadHash,
      });
    }
  });

  it('lose their buttons once decided, expired or frozen, and say so', () => {
    for (const status of ['approved', 'rejected', 'expired', 'frozen'] as const) {
      const message = buildApprovalCard({
        ...card,
        status,
        pausedReason: 'incident in progress',
        votes: [{ userId: 'U0LEAD1', vote: 'approve', at: new Date('2026-11-22T10:01:00Z') }],
      });
      checkBlocks(message.blocks, 'message');
      assert.equal(message.blocks.filter((b) => b.type === 'actions').length, 0, status);
    }
    const frozen = JSON.stringify(
      buildApprovalCard({ ...card, status: 'frozen', pausedReason: 'incident' }).blocks,
    );
    assert.match(frozen, /Frozen: Sluice is paused \(incident\)/);
  });

  it('stay within limits with very large parameters', () => {
    const big = { ...card, params: { blob: 'x'.repeat(40_000) } };
    const message = buildApprovalCard(big);
    checkBlocks(message.blocks, 'message');
  });

  it('refuse malformed button values', () => {
    for (const raw of [
      undefined,
      42,
      '',
      'not json',
      '{"a":1}',
      JSON.stringify({ a: 'x' }),
      'x'.repeat(3000),
    ]) {
      assert.equal(decodeButtonValue(raw), undefined, String(raw).slice(0, 20));
    }
    const hash = 'f'.repeat(64);
    assert.deepEqual(decodeButtonValue(encodeButtonValue({ approvalId: 'a', payloadHash: hash })), {
      approvalId: 'a',
      payloadHash: hash,
    });
    assert.equal(
      decodeButtonValue(encodeButtonValue({ approvalId: 'a', payloadHash: 'not-a-hash' })),
      undefined,
    );
  });

  it('ask for a rejection reason in a valid modal', () => {
    const modal = buildRejectModal({ approvalId: 'ap_1', payloadHash: 'h' }, { channel: 'C1', ts: '1.2' });
    checkBlocks(modal.blocks, 'view');
    assert.ok(modal.title.text.length <= 24);
    assert.deepEqual(JSON.parse(modal.private_metadata), {
      approvalId: 'ap_1',
      payloadHash: 'h',
      channel: 'C1',
      ts: '1.2',
    });
  });
});

describe('App Home console', () => {
  it('fits a busy day in one view', () => {
    const view = buildHomeView({
      pauses: [{ scope: 'global', reason: 'incident', by: 'U0OPS', since: new Date() }],
      retrievalMode: 'keyword-only',
      modelMode: 'no-model',
      today: {
        runs: 10_000,
        succeeded: 9_900,
        failed: 100,
        p50Ms: 850,
        p95Ms: 4200,
        spendUsd: 12.5,
        ceilingUsd: 50,
      },
      pendingApprovals: Array.from({ length: 300 }, (_, i) => ({
        approvalId: `ap_${i}`,
        action: 'http.request',
        requester: 'U0REQ',
        expiresAt: new Date(),
      })),
      deadLetterDepth: 3,
      lastErrors: Array.from({ length: 10 }, (_, i) => ({
        runId: `run_${i}`,
        at: new Date(),
        message: 'boom '.repeat(200),
      })),
      generatedAt: new Date(),
    });
    checkBlocks(view.blocks, 'view');
    const json = JSON.stringify(view.blocks);
    assert.match(json, /Paused/);
    assert.match(json, /99\.0%/);
    assert.match(json, /\$12\.50 of \$50\.00 ceiling/);
    assert.match(json, /keyword-only/);
  });
});

describe('text helpers', () => {
  it('split long text on paragraph boundaries without losing any of it', () => {
    const text = Array.from({ length: 50 }, (_, i) => `Paragraph ${i} ${'word '.repeat(80)}`).join('\n\n');
    const pieces = splitText(text, 3000);
    assert.ok(pieces.every((p) => p.length <= 3000));
    assert.equal(pieces.join(' ').replace(/\s+/g, ' '), text.trim().replace(/\s+/g, ' '));
  });

  it('help fits in a message', () => {
    checkBlocks(buildHelpMessage('Unknown command “frobnicate”.').blocks, 'message');
  });
});
