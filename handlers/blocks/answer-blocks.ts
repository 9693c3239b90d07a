import { escapeMrkdwn, link, mrkdwn, plain, splitText, truncate } from './mrkdwn.ts';
import { type Block, LIMITS, type SlackMessage } from './types.ts';

/** One numbered source under an answer. `n` matches the `[n]` markers in the text. */
export interface AnswerCitation {
  n: number;
  source: string;
  heading?: string;
  link?: string;
}

export interface AnswerReply {
  runId: string;
  /** The answer, with `[n]` citation markers. Untrusted (model or document text): escaped here. */
  text: string;
  citations: AnswerCitation[];
  /** How the answer was made: the model, its fallback, or retrieval alone (no-model mode). */
  mode: 'model' | 'fallback' | 'no-model';
  /** Where the untrimmed answer can be read, if anywhere. */
  fullAnswerUrl?: string;
}

export const FEEDBACK_HELPFUL = 'answer_helpful';
export const FEEDBACK_NOT_HELPFUL = 'answer_not_helpful';

const modeLabels: Record<AnswerReply['mode'], string> = {
  model: 'Answered from your knowledge base',
  fallback: 'Answered by the fallback model from your knowledge base',
  'no-model': 'No model available: these are the most relevant passages, quoted as found',
};

/**
 * A cited answer as a Slack message: the answer (split across sections when long, trimmed with a
 * pointer when it would pass 50 blocks), numbered sources with links, how it was made, and
 * helpful / not-helpful buttons. Link unfurls are off so citations do not flood the thread.
 */
export function buildAnswerMessage(answer: AnswerReply): SlackMessage {
  const tail: Block[] = [];
  const sources = sourceLines(answer.citations);
  for (const piece of splitText(sources.join('\n'), LIMITS.sectionText)) {
    tail.push({ type: 'section', text: mrkdwn(piece) });
  }
  tail.push({ type: 'context', elements: [mrkdwn(`${modeLabels[answer.mode]} · run \`${answer.runId}\``)] });
  tail.push({
    type: 'actions',
    block_id: `feedback:${answer.runId}`.slice(0, 255),
    elements: [
      { type: 'button', text: plain('👍 Helpful'), action_id: FEEDBACK_HELPFUL, value: answer.runId },
      { type: 'button', text: plain('👎 Not helpful'), action_id: FEEDBACK_NOT_HELPFUL, value: answer.runId },
    ],
  });

  // One block is kept for the "trimmed" note when the answer does not fit.
  const room = LIMITS.messageBlocks - tail.length - 1;
  const pieces = splitText(escapeMrkdwn(answer.text), LIMITS.sectionText);
  const shown = pieces.slice(0, Math.max(1, room));
  const blocks: Block[] = shown.map((piece) => ({ type: 'section', text: mrkdwn(piece) }));
  if (shown.length < pieces.length) {
    const where = answer.fullAnswerUrl
      ? link(answer.fullAnswerUrl, 'read the full answer')
      : `the full answer is in \`sluice audit export --run ${answer.runId}\``;
    blocks.push({ type: 'context', elements: [mrkdwn(`Answer trimmed to fit Slack; ${where}.`)] });
  }
  blocks.push(...tail);
  return {
    text: truncate(answer.text, LIMITS.fallbackText),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}

function sourceLines(citations: AnswerCitation[]): string[] {
  if (citations.length === 0) return ['_No sources._'];
  return [
    '*Sources*',
    ...citations.map((c) => {
      const label = c.heading ? `${c.source} › ${c.heading}` : c.source;
      return `[${c.n}] ${c.link ? link(c.link, label) : escapeMrkdwn(label)}`;
    }),
  ];
}

/** What Sluice says when the knowledge base has nothing relevant: plainly, with no invented answer. */
export function buildUnknownAnswerMessage(runId: string, question: string): SlackMessage {
  const text = `I could not find anything about "${truncate(question, 200)}" in the knowledge base, so I will not guess.`;
  return {
    text,
    blocks: [
      { type: 'section', text: mrkdwn(escapeMrkdwn(text)) },
      {
        type: 'context',
        elements: [
          mrkdwn(
            `Add a runbook with \`sluice ingest <path>\` or a note with \`/agent do kb.add_note …\` · run \`${runId}\``,
          ),
        ],
      },
    ],
    unfurl_links: false,
    unfurl_media: false,
  };
}
