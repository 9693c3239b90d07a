import { z } from 'zod';

/**
 * What Sluice reads from Slack's Web API answers, as schemas beside their types. Only the fields
 * Sluice uses are checked; everything else Slack sends is kept (loose objects), so a new field
 * from Slack never breaks a call, while a missing `ts` or `channel` is caught at the edge.
 */

export const slackMetadataSchema = z.object({
  event_type: z.string(),
  event_payload: z.record(z.string(), z.unknown()),
});
export type SlackMetadata = z.infer<typeof slackMetadataSchema>;

export const slackBlockSchema = z.looseObject({ type: z.string(), block_id: z.string().optional() });
/** Any Block Kit block: builders' block types are assignable to this. */
export interface SlackBlock {
  type: string;
  block_id?: string;
}

export const slackMessageSchema = z.looseObject({
  type: z.string().optional(),
  ts: z.string(),
  text: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  thread_ts: z.string().optional(),
  parent_user_id: z.string().optional(),
  reply_count: z.number().optional(),
  blocks: z.array(slackBlockSchema).optional(),
  metadata: slackMetadataSchema.optional(),
});
export type SlackMessage = z.infer<typeof slackMessageSchema>;

const nextCursor = z
  .looseObject({ next_cursor: z.string().optional() })
  .optional()
  .transform((m) => (m?.next_cursor ? m.next_cursor : undefined));

export const postMessageResultSchema = z.looseObject({
  channel: z.string(),
  ts: z.string(),
  message: slackMessageSchema.optional(),
});
export type PostMessageResult = z.infer<typeof postMessageResultSchema>;

export const postEphemeralResultSchema = z.looseObject({ message_ts: z.string() });
export type PostEphemeralResult = z.infer<typeof postEphemeralResultSchema>;

export const messageRefResultSchema = z.looseObject({ channel: z.string(), ts: z.string() });
export type MessageRefResult = z.infer<typeof messageRefResultSchema>;

export const viewResultSchema = z.looseObject({
  view: z.looseObject({
    id: z.string(),
    hash: z.string(),
    type: z.string(),
    external_id: z.string().optional(),
  }),
});
export type ViewResult = z.infer<typeof viewResultSchema>;

export const messagesPageSchema = z
  .looseObject({
    messages: z.array(slackMessageSchema),
    has_more: z.boolean().optional(),
    response_metadata: nextCursor,
  })
  .transform(({ messages, has_more, response_metadata }) => ({
    messages,
    has_more: has_more ?? false,
    next_cursor: response_metadata,
  }));
export type MessagesPage = z.infer<typeof messagesPageSchema>;

export const userInfoResultSchema = z.looseObject({
  user: z.looseObject({
    id: z.string(),
    name: z.string(),
    real_name: z.string().optional(),
    deleted: z.boolean().optional(),
    is_bot: z.boolean().optional(),
    is_admin: z.boolean().optional(),
    tz: z.string().optional(),
    profile: z
      .looseObject({
        display_name: z.string().optional(),
        real_name: z.string().optional(),
        email: z.string().optional(),
      })
      .optional(),
  }),
});
export type SlackUser = z.infer<typeof userInfoResultSchema>['user'];

export const usergroupsListResultSchema = z.looseObject({
  usergroups: z.array(
    z.looseObject({ id: z.string(), handle: z.string(), users: z.array(z.string()).optional() }),
  ),
});
export type SlackUsergroup = z.infer<typeof usergroupsListResultSchema>['usergroups'][number];

export const usergroupUsersResultSchema = z.looseObject({ users: z.array(z.string()) });

export const authTestResultSchema = z.looseObject({
  user_id: z.string(),
  team_id: z.string(),
  bot_id: z.string().optional(),
  user: z.string().optional(),
  team: z.string().optional(),
  url: z.string().optional(),
});
export type AuthTestResult = z.infer<typeof authTestResultSchema>;

export const okResultSchema = z.looseObject({});

export const permalinkResultSchema = z.looseObject({ channel: z.string(), permalink: z.string().url() });
