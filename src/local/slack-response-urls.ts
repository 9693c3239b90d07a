import { randomBytes } from 'node:crypto';
import type { SlackDirectory } from './slack-directory.ts';
import { hasContent, NO_TEXT_FALLBACK, readMessageContent } from './slack-message-content.ts';
import type { SlackMessageStore } from './slack-message-store.ts';
import { SlackMethodError } from './slack-method-error.ts';
import type { SlackWorkspaceIdentity } from './slack-workspace-identity.ts';

/**
 * `response_url`s as Slack hands them out with slash commands and interactions: one URL per
 * request, shaped like `https://hooks.slack.com/commands/T…/…/…` but on the double, usable five
 * times within thirty minutes. A JSON post either replies (ephemeral by default, or
 * `response_type: "in_channel"`), replaces the original (`replace_original`) or deletes it
 * (`delete_original`). For a command the "original" is the last reply sent through the same
 * URL; for an interaction it is the message the button was on.
 *
 * The HTTP answers for refusals are the double's approximation (Slack documents the error
 * names, not the statuses): 404 for an unknown, expired or used-up URL, 400 for a bad body.
 */

export interface ResponseUrlTarget {
  /** `commands` for slash commands, `actions` for interactions. */
  kind?: 'commands' | 'actions';
  channel: string;
  /** The person who ran the command or clicked. */
  user: string;
  /** For an interaction: the message the action came from. */
  messageTs?: string;
  /** Whether that message is an ephemeral one shown to `user`. */
  ephemeral?: boolean;
  threadTs?: string;
}

interface Minted {
  target: ResponseUrlTarget;
  mintedAt: number;
  uses: number;
  /** The message the next replace/delete acts on. */
  original?: { ts: string; ephemeral: boolean };
}

export interface ResponseUrlAnswer {
  status: number;
  body: Record<string, unknown>;
  target?: ResponseUrlTarget;
}

export interface SlackResponseUrls {
  mint(target: ResponseUrlTarget): string;
  /** Handles a POST to `path` (e.g. `/commands/T…/…/…`); undefined when the path is not one. */
  handle(path: string, body: string): ResponseUrlAnswer | undefined;
  clear(): void;
}

export function createSlackResponseUrls(deps: {
  identity: SlackWorkspaceIdentity;
  directory: SlackDirectory;
  messages: SlackMessageStore;
  origin: () => string;
  now: () => number;
  ttlMs: number;
  maxUses: number;
}): SlackResponseUrls {
  const minted = new Map<string, Minted>();

  function reply(entry: Minted, body: Record<string, unknown>): void {
    const { target } = entry;
    const content = readMessageContent(body);
    if (body.delete_original === true) {
      if (!entry.original) throw new SlackMethodError('message_not_found');
      if (entry.original.ephemeral)
        deps.messages.removeEphemeral(target.channel, target.user, entry.original.ts);
      else deps.messages.remove(target.channel, entry.original.ts);
      entry.original = undefined;
      return;
    }
    if (!hasContent(content)) throw new SlackMethodError('no_text');
    const text = content.text ?? NO_TEXT_FALLBACK;
    if (body.replace_original === true && entry.original) {
      if (entry.original.ephemeral) {
        const current = deps.messages.findEphemeral(target.channel, target.user, entry.original.ts);
        if (!current) throw new SlackMethodError('message_not_found');
        deps.messages.updateEphemeral({ ...current, text, blocks: content.blocks });
      } else {
        if (!deps.messages.find(target.channel, entry.original.ts))
          throw new SlackMethodError('message_not_found');
        deps.messages.update(target.channel, entry.original.ts, { text, blocks: content.blocks });
      }
      return;
    }
    const threadTs = (typeof body.thread_ts === 'string' ? body.thread_ts : undefined) ?? target.threadTs;
    if (body.response_type === 'in_channel') {
      const { identity } = deps;
      const channel = deps.directory.channel(target.channel);
      const message = deps.messages.post(channel?.id ?? target.channel, {
        user: identity.botUserId,
        bot_id: identity.botId,
        app_id: identity.appId,
        team: identity.teamId,
        text,
        blocks: content.blocks,
        attachments: content.attachments,
        thread_ts: threadTs,
      });
      entry.original = { ts: message.ts, ephemeral: false };
      return;
    }
    const ephemeral = deps.messages.postEphemeral({
      channel: target.channel,
      user: target.user,
      text,
      blocks: content.blocks,
      thread_ts: threadTs,
    });
    entry.original = { ts: ephemeral.message_ts, ephemeral: true };
  }

  return {
    mint(target) {
      const kind = target.kind ?? 'commands';
      const id = randomBytes(6).readUIntBE(0, 6);
      const path = `/${kind}/${deps.identity.teamId}/${id}/${randomBytes(12).toString('hex')}`;
      minted.set(path, {
        target: { ...target, kind },
        mintedAt: deps.now(),
        uses: 0,
        ...(target.messageTs
          ? { original: { ts: target.messageTs, ephemeral: target.ephemeral ?? false } }
          : {}),
      });
      return `${deps.origin()}${path}`;
    },
    handle(path, rawBody) {
      if (!/^\/(commands|actions)\//.test(path)) return undefined;
      const entry = minted.get(path);
      if (!entry) return { status: 404, body: { ok: false, error: 'no_service' } };
      if (deps.now() - entry.mintedAt > deps.ttlMs)
        return { status: 404, body: { ok: false, error: 'expired_url' } };
      if (entry.uses >= deps.maxUses) return { status: 404, body: { ok: false, error: 'used_url' } };
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        return { status: 400, body: { ok: false, error: 'invalid_payload' }, target: entry.target };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return { status: 400, body: { ok: false, error: 'invalid_payload' }, target: entry.target };
      }
      entry.uses += 1;
      try {
        reply(entry, body as Record<string, unknown>);
      } catch (error) {
        if (error instanceof SlackMethodError) {
          return {
            status: 400,
            body: { ok: false, error: error.error, ...error.extra },
            target: entry.target,
          };
        }
        throw error;
      }
      return { status: 200, body: { ok: true }, target: entry.target };
    },
    clear() {
      minted.clear();
    },
  };
}
