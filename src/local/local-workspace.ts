import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type RequestHandler, sendJson } from '../http/server.ts';
import type { Logger } from '../logger.ts';
import { createLocalAppSender } from './local-app-sender.ts';
import { createLocalChangeStream } from './local-change-stream.ts';
import { createLocalComposer, type SlashCommandSpec } from './local-composer.ts';
import { createLocalInteractions } from './local-interactions.ts';
import { createLocalModalStack } from './local-modal-stack.ts';
import { createLocalNotices } from './local-notices.ts';
import { localPageAssets } from './local-page-assets.ts';
import { LOOPBACK_HOSTS, readJsonBody, refuseForeignRequest } from './local-request-guard.ts';
import { buildWorkspaceSnapshot } from './local-workspace-snapshot.ts';
import type { SlackChannelSeed, SlackUsergroupSeed, SlackUserSeed } from './slack-directory.ts';
import type { SlackWebApiDouble } from './slack-web-api-double.ts';

/**
 * The local workspace: a web page on top of the Slack double, so Sluice can be used without
 * Slack. It is a set of exact routes for Sluice's own HTTP server (the page at `/`, its files
 * and actions under `/local/`), beside `/slack/events`. The page is another Slack client: what a
 * person does there reaches Sluice only as a signed request to `/slack/events`, and what Sluice
 * posts reaches the page only through the Slack double's Web API.
 */

export interface LocalWorkspaceUser extends SlackUserSeed {
  /** Shown in the user switcher, e.g. "requester" or "ops lead". */
  title?: string;
}

export interface LocalWorkspaceOptions {
  slack: SlackWebApiDouble;
  /** Sluice's `/slack/events` URL; a function when the port is only known after listening. */
  appEventsUrl: string | (() => string);
  signingSecret: string;
  mode: 'model' | 'no-model';
  /** One line saying what the mode means, shown under the banner. */
  modeNotice?: string;
  /** Added to the double's directory (people, channels, user groups). */
  users?: LocalWorkspaceUser[];
  channels?: SlackChannelSeed[];
  usergroups?: SlackUsergroupSeed[];
  /** The slash commands the app registers (Slack refuses any other); default `/agent`. */
  commands?: SlashCommandSpec[];
  label?: string;
  /** Host names the page answers to; default loopback names only. */
  allowedHosts?: string[];
  /** Slack gives an app three seconds to answer. */
  ackTimeoutMs?: number;
  logger?: Logger;
}

export interface LocalWorkspace {
  /** Exact-path routes for `startHttpServer({ routes })`. */
  routes: Record<string, RequestHandler>;
  close(): void;
}

export const defaultSlashCommands: SlashCommandSpec[] = [
  {
    command: '/agent',
    description: 'Ask, act, pause, resume, status, digest',
    usageHint: 'ask <question> | do <action> key=value | pause [reason] | resume | status | digest | help',
  },
];

const user = z.string().regex(/^[UW][A-Z0-9]+$/);
const composeSchema = z.object({
  userId: user,
  channelId: z.string().min(1).max(64),
  text: z.string().max(40_000),
  threadTs: z.string().max(32).optional(),
});
const clickSchema = z.object({
  userId: user,
  blockId: z.string().max(255),
  actionId: z.string().max(255),
  location: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('message'),
      channel: z.string(),
      ts: z.string(),
      ephemeral: z.boolean().optional(),
    }),
    z.object({ kind: z.literal('view'), viewId: z.string() }),
  ]),
});
const viewSchema = z.object({ userId: user, viewId: z.string().max(64) });
const submitSchema = viewSchema.extend({
  values: z.record(z.string(), z.record(z.string(), z.string().max(10_000))),
});

export function createLocalWorkspace(options: LocalWorkspaceOptions): LocalWorkspace {
  const { slack } = options;
  slack.directory.seed({ users: options.users, channels: options.channels, usergroups: options.usergroups });
  const titles = new Map((options.users ?? []).flatMap((u) => (u.title ? [[u.id, u.title] as const] : [])));
  const stream = createLocalChangeStream();
  const notify = () => stream.notify();
  const unsubscribe = slack.onChange(notify);
  const modals = createLocalModalStack(slack, notify);
  const notices = createLocalNotices(notify);
  const sender = createLocalAppSender({
    url: options.appEventsUrl,
    signingSecret: options.signingSecret,
    timeoutMs: options.ackTimeoutMs,
  });
  const commands = options.commands ?? defaultSlashCommands;
  const composer = createLocalComposer({ slack, sender, notices, commands });
  const interactions = createLocalInteractions({ slack, sender, modals });
  const allowedHosts = options.allowedHosts ?? LOOPBACK_HOSTS;
  const meta = {
    label: options.label ?? 'Local workspace — not Slack',
    mode: options.mode,
    modeNotice: options.modeNotice,
    commands,
    titles,
  };

  /** The person the page acts as until someone is chosen: the first person who is not a bot. */
  const defaultUser = () =>
    (options.users?.[0] ?? slack.directory.users().find((u) => !u.isBot && !u.deleted))?.id ?? '';

  /** Every route: refuse foreign callers, then answer; bad input is a 400 with zod's words. */
  const guarded =
    (handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): RequestHandler =>
    async (req, res) => {
      const refusal = refuseForeignRequest(req, allowedHosts);
      if (refusal) {
        sendJson(res, 403, { error: refusal });
        return;
      }
      await handle(req, res);
    };

  const action = <T>(schema: z.ZodType<T>, run: (input: T) => Promise<unknown>): RequestHandler =>
    guarded(async (req, res) => {
      if (req.method !== 'POST') {
        sendJson(res, 405, { error: 'POST only' });
        return;
      }
      const parsed = schema.safeParse(await readJsonBody(req).catch(() => undefined));
      if (!parsed.success) {
        sendJson(res, 400, { error: 'bad request', issues: parsed.error.issues.slice(0, 5) });
        return;
      }
      const userId = (parsed.data as { userId: string }).userId;
      if (!slack.directory.user(userId)) {
        sendJson(res, 400, { error: `unknown user ${userId}` });
        return;
      }
      sendJson(res, 200, await run(parsed.data));
    });

  const assets = Object.fromEntries(
    Object.entries(localPageAssets()).map(([path, handler]) => [path, guarded(handler)]),
  );

  const routes: Record<string, RequestHandler> = {
    ...assets,
    '/local/state': guarded((req, res) => {
      const query = new URL(req.url ?? '/', 'http://local').searchParams;
      const userId = query.get('user') || defaultUser();
      if (!slack.directory.user(userId)) {
        sendJson(res, 400, { error: `unknown user ${userId || '(none)'}` });
        return;
      }
      const request = {
        userId,
        channelId: query.get('channel') ?? undefined,
        threadTs: query.get('thread') ?? undefined,
      };
      sendJson(res, 200, buildWorkspaceSnapshot({ slack, modals, notices, meta }, request, stream.version));
    }),
    '/local/events': guarded((req, res) => stream.subscribe(req, res)),
    '/local/compose': action(composeSchema, (input) => composer.submit(input)),
    '/local/click': action(clickSchema, (input) => interactions.clickButton(input)),
    '/local/view-submit': action(submitSchema, (input) => interactions.submitView(input)),
    '/local/view-close': action(viewSchema, (input) => interactions.closeView(input)),
    '/local/home-open': action(z.object({ userId: user }), (input) => interactions.openHome(input)),
  };

  return {
    routes,
    close() {
      unsubscribe();
      modals.detach();
      stream.close();
      options.logger?.debug('local workspace closed');
    },
  };
}
