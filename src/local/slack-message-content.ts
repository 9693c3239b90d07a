import { checkBlocks } from './slack-block-rules.ts';
import type { SlackMessageMetadata } from './slack-message-store.ts';
import { INVALID_JSON, type Json, jsonArg, type SlackArgs, stringArg } from './slack-method-context.ts';
import { SlackMethodError } from './slack-method-error.ts';

/**
 * The content arguments shared by `chat.postMessage`, `chat.postEphemeral`, `chat.update` and
 * posts to a `response_url`: `text`, `blocks`, `attachments` and `metadata`, checked and
 * refused with the errors Slack documents for them.
 */

export interface MessageContent {
  /** Present when the caller sent `text`. */
  text?: string;
  /** Present when the caller sent `blocks` (an empty array means "remove the blocks"). */
  blocks?: Json[];
  attachments?: Json[];
  /** `null` when the caller sent `{}` to remove metadata. */
  metadata?: SlackMessageMetadata | null;
}

/** Slack's text when a message has blocks and no `text`. */
export const NO_TEXT_FALLBACK = "This content can't be displayed.";

export function readMessageContent(args: SlackArgs): MessageContent {
  const content: MessageContent = {};
  const text = stringArg(args, 'text');
  if (text !== undefined) content.text = text;

  const blocks = jsonArg(args, 'blocks');
  if (blocks === INVALID_JSON) throw new SlackMethodError('invalid_blocks_format');
  if (blocks !== undefined) content.blocks = checkBlocks(blocks, 'message');

  const attachments = jsonArg(args, 'attachments');
  if (attachments === INVALID_JSON || (attachments !== undefined && !Array.isArray(attachments))) {
    throw new SlackMethodError('invalid_attachments');
  }
  if (Array.isArray(attachments)) {
    if (attachments.length > 100) throw new SlackMethodError('too_many_attachments');
    content.attachments = attachments.map((a, i) => ({ ...(a as Json), id: i + 1 }));
  }

  const metadata = jsonArg(args, 'metadata');
  if (metadata === INVALID_JSON || (metadata !== undefined && !isPlainObject(metadata))) {
    throw new SlackMethodError('invalid_metadata_format');
  }
  if (metadata !== undefined) content.metadata = readMetadata(metadata as Json);
  return content;
}

export function hasContent(content: MessageContent): boolean {
  return Boolean(content.text) || Boolean(content.blocks?.length) || Boolean(content.attachments?.length);
}

function readMetadata(metadata: Json): SlackMessageMetadata | null {
  if (Object.keys(metadata).length === 0) return null;
  if (typeof metadata.event_type !== 'string' || !isPlainObject(metadata.event_payload)) {
    throw new SlackMethodError('invalid_metadata_schema');
  }
  return { event_type: metadata.event_type, event_payload: metadata.event_payload as Json };
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
