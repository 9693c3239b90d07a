import type { ConsoleSnapshot } from '../../src/agent/console-view.ts';
import { escapeMrkdwn, link, mrkdwn, plain, truncate } from './mrkdwn.ts';
import { slackDate, userMention } from './slack-format.ts';
import { type Block, LIMITS } from './types.ts';

/** What the operator console shows; gathered by the core's read model (src/agent/console-view.ts). */
export type ConsoleView = ConsoleSnapshot;

function ms(value: number | undefined): string {
  if (value === undefined) return '—';
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function usd(value: number): string {
  return `$${value.toFixed(value < 10 ? 4 : 2)}`;
}

/** The App Home tab: the operator console. */
export function buildHomeView(view: ConsoleView) {
  const t = view.today;
  const successRate = t.runs > 0 ? `${((t.succeeded / t.runs) * 100).toFixed(1)}%` : '—';
  const spend = t.ceilingUsd ? `${usd(t.spendUsd)} of ${usd(t.ceilingUsd)} ceiling` : usd(t.spendUsd);
  const blocks: Block[] = [{ type: 'header', text: plain('Sluice operator console', LIMITS.headerText) }];
  if (view.pauses.length > 0) {
    for (const p of view.pauses.slice(0, 10)) {
      blocks.push({
        type: 'section',
        text: mrkdwn(
          `⏸️ *Paused* (${escapeMrkdwn(p.scope)}) by ${userMention(p.by)} since ${slackDate(p.since)}: ${escapeMrkdwn(truncate(p.reason, 500))}\n\`/agent resume\` lifts it.`,
        ),
      });
    }
  } else {
    blocks.push({
      type: 'section',
      text: mrkdwn('▶️ *Running*: side effects are allowed. `/agent pause <reason>` stops them.'),
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(`Retrieval: *${view.retrievalMode}*`),
      mrkdwn(`Model: *${view.modelMode === 'model' ? 'Claude' : 'no-model mode'}*`),
      mrkdwn(`Updated ${slackDate(view.generatedAt)}`),
    ],
  });
  blocks.push({ type: 'divider' });
  blocks.push({
    type: 'section',
    fields: [
      mrkdwn(`*Runs today*\n${t.runs}`),
      mrkdwn(`*Success rate*\n${successRate} (${t.failed} failed)`),
      mrkdwn(`*Latency p50 / p95*\n${ms(t.p50Ms)} / ${ms(t.p95Ms)}`),
      mrkdwn(`*Spend today*\n${spend}`),
      mrkdwn(`*Pending approvals*\n${view.pendingApprovals.length}`),
      mrkdwn(`*Dead letters*\n${view.deadLetterDepth}`),
    ],
  });
  blocks.push({ type: 'divider' });
  blocks.push({ type: 'section', text: mrkdwn('*Pending approvals*') });
  if (view.pendingApprovals.length === 0) blocks.push({ type: 'context', elements: [mrkdwn('None.')] });
  for (const a of view.pendingApprovals.slice(0, 20)) {
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `${a.link ? link(a.link, a.action) : `\`${escapeMrkdwn(a.action)}\``} requested by ${userMention(a.requester)}, expires ${slackDate(a.expiresAt)}`,
      ),
      block_id: `pending:${a.approvalId}`.slice(0, 255),
    });
  }
  blocks.push({ type: 'divider' });
  blocks.push({ type: 'section', text: mrkdwn('*Last errors*') });
  if (view.lastErrors.length === 0) blocks.push({ type: 'context', elements: [mrkdwn('None.')] });
  for (const e of view.lastErrors.slice(0, 10)) {
    blocks.push({
      type: 'context',
      elements: [
        mrkdwn(`${slackDate(e.at)} · run \`${e.runId}\` · ${escapeMrkdwn(truncate(e.message, 400))}`),
      ],
    });
  }
  return { type: 'home' as const, blocks: blocks.slice(0, LIMITS.viewBlocks) };
}
