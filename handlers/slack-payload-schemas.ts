import { z } from 'zod';

/** The parts of Slack's payloads the handlers rely on, checked before anything is stored. */

const id = z.string().min(1).max(64);

export const slashCommandSchema = z.looseObject({
  command: z.string().min(1),
  text: z.string().max(40_000).default(''),
  team_id: id,
  user_id: id,
  channel_id: id,
  response_url: z.string().url(),
  trigger_id: z.string().min(1).max(255),
});

export const messageEventSchema = z.looseObject({
  type: z.enum(['app_mention', 'message']),
  user: id.optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  text: z.string().max(40_000).default(''),
  channel: id,
  channel_type: z.string().optional(),
  ts: z.string().min(1),
  thread_ts: z.string().optional(),
});

/** A message in an assistant thread: a `message.im` that is always in a thread. */
export const assistantMessageEventSchema = messageEventSchema.extend({
  thread_ts: z.string().min(1),
});

/** `assistant_thread_started` and `assistant_thread_context_changed`. */
export const assistantThreadEventSchema = z.looseObject({
  type: z.enum(['assistant_thread_started', 'assistant_thread_context_changed']),
  assistant_thread: z.looseObject({
    user_id: id,
    channel_id: id,
    thread_ts: z.string().min(1),
  }),
});

export const eventEnvelopeSchema = z.looseObject({
  event_id: z.string().min(1).max(255),
  team_id: id,
});

export const blockActionSchema = z.looseObject({
  type: z.literal('block_actions'),
  trigger_id: z.string().min(1).max(255),
  user: z.looseObject({ id }),
  team: z.looseObject({ id }).nullable().optional(),
  channel: z.looseObject({ id }).optional(),
  container: z.looseObject({ channel_id: id.optional(), message_ts: z.string().optional() }).optional(),
  message: z.looseObject({ ts: z.string() }).optional(),
  response_url: z.string().url().max(2000).optional(),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().max(2000).optional() })).min(1),
});

export const viewSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  trigger_id: z.string().min(1).max(255).optional(),
  user: z.looseObject({ id, team_id: id.optional() }),
  team: z.looseObject({ id }).nullable().optional(),
  view: z.looseObject({
    id: z.string(),
    callback_id: z.string(),
    private_metadata: z.string().max(3000),
    state: z.looseObject({
      values: z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.string().nullish() }))),
    }),
  }),
});
