import { z } from 'zod';
import { SluiceError } from '../errors.ts';
import { type ActionDefinition, defineAction, runStepKey } from './define-action.ts';

/**
 * `slack.post_message`: posts to a channel on the allow-list (SLUICE_POST_CHANNELS). The list is
 * part of the input schema, so the model sees it and a proposal for any other channel is
 * rejected before the policy is asked; the executor checks it once more before posting.
 */

/**
 * How the action posts. The composition root adapts the outbox's `postMessageOnce`
 * (src/outbox/post-message-once.ts), which puts the key in the message metadata and, on a later
 * attempt, finds an earlier post in the channel's history instead of posting again.
 */
export interface MessagePoster {
  /** Must leave at most one message per `idempotencyKey`, however often it is called. */
  postMessage(message: {
    channel: string;
    text: string;
    threadTs?: string;
    idempotencyKey: string;
    /** 1 on the first attempt under this key; later attempts must look for an earlier post first. */
    attempt: number;
  }): Promise<{ channel: string; ts: string | null }>;
}

export interface SlackPostMessageDeps {
  poster: MessagePoster;
  /** Channel ids the action may post to. */
  allowedChannels: readonly string[];
}

export function createSlackPostMessageAction(deps: SlackPostMessageDeps): ActionDefinition {
  const allowed = new Set(deps.allowedChannels);
  const listed = [...allowed].join(', ');
  const channel = z
    .string()
    .refine((c) => allowed.has(c), {
      error:
        allowed.size > 0
          ? `channel must be one of ${listed}`
          : 'no channels are allow-listed (set SLUICE_POST_CHANNELS)',
    })
    .describe(allowed.size > 0 ? `Channel id, one of ${listed}` : 'Channel id (none are allowed yet)');
  return defineAction({
    name: 'slack.post_message',
    description: `Post a message to an allow-listed Slack channel (${listed || 'none configured'}).`,
    input: z.strictObject({
      channel,
      text: z
        .string()
        .trim()
        .min(1)
        .max(3000)
        .describe('Message text (Slack mrkdwn), at most 3000 characters'),
      thread_ts: z
        .string()
        .regex(/^\d+\.\d+$/, 'thread_ts looks like 1712345678.000100')
        .optional()
        .describe('Reply in this thread'),
    }),
    risk: 'low',
    idempotencyKey: runStepKey,
    // Safe because the poster reconciles by key (see MessagePoster).
    retryUnknownOutcome: true,
    baselineMinutes: 2,
    async execute(input, ctx) {
      if (!allowed.has(input.channel)) {
        throw new SluiceError('forbidden', `channel ${input.channel} is not on the allow-list`);
      }
      const posted = await deps.poster.postMessage({
        channel: input.channel,
        text: input.text,
        threadTs: input.thread_ts,
        idempotencyKey: ctx.idempotencyKey,
        attempt: ctx.attempt,
      });
      return {
        ok: true,
        summary: `posted to ${posted.channel}`,
        data: { channel: posted.channel, ts: posted.ts },
      };
    },
  });
}
