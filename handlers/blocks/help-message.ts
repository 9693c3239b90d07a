import { mrkdwn } from './mrkdwn.ts';
import type { SlackMessage } from './types.ts';

const lines = [
  '*Sluice* answers from your team’s documents and runs approved actions.',
  '`/agent ask <question>`: an answer with numbered sources, or a plain “I don’t know”.',
  '`/agent <request>`: describe an action in words; rules decide whether it runs, is refused, or needs approval.',
  '`/agent do <action> key=value …`: propose an action explicitly (no model involved).',
  '`/agent pause [channel|action:<name>] [reason]`: stop side effects now. `/agent resume [scope]` lifts it.',
  '`/agent status`: paused or not, runs today, pending approvals.',
  '`/agent digest [now]`: the digest, now, for you.',
  'You can also mention me or send me a direct message.',
];

export function buildHelpMessage(note?: string): SlackMessage {
  const text = [note, ...lines].filter(Boolean).join('\n');
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}

/** Every failure reaches the person: what happened, the run id, and what to do next. */
export function buildFailureMessage(what: string, runId: string | undefined, nextStep: string): SlackMessage {
  const text = `⚠️ ${what}${runId ? ` (run \`${runId}\`)` : ''}. ${nextStep}`;
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}
