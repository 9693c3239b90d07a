import { checkBlocks, normaliseTextObjects } from './slack-block-rules.ts';
import { triggerIdTime } from './slack-ids.ts';
import {
  INVALID_JSON,
  type Json,
  jsonArg,
  type SlackArgs,
  type SlackMethodContext,
  type SlackMethodHandler,
  stringArg,
} from './slack-method-context.ts';
import { invalidArguments, SlackMethodError } from './slack-method-error.ts';

/**
 * `views.publish`, `views.open` and `views.update`. Triggers behave as Slack's do: a trigger id
 * is exchanged once (`exchanged_trigger_id`) and expires three seconds after it was minted
 * (`expired_trigger_id`), so code that opens a modal after slow work fails here as in Slack.
 */

const MAX_VIEW_BYTES = 250 * 1024;

function invalidArgument(name: string): SlackMethodError {
  // The documented answer for a bad top-level argument carries no `[ERROR]` prefix.
  return new SlackMethodError('invalid_arguments', {
    response_metadata: { messages: [`invalid \`${name}\``] },
  });
}

function readView(args: SlackArgs): Json {
  const view = jsonArg(args, 'view');
  if (view === undefined) throw invalidArgument('view');
  if (view === INVALID_JSON || typeof view !== 'object' || view === null || Array.isArray(view)) {
    throw invalidArguments('failed to match all allowed schemas [json-pointer:/view]');
  }
  const input = view as Json;
  if (JSON.stringify(input).length > MAX_VIEW_BYTES) throw new SlackMethodError('view_too_large');
  const problems: string[] = [];
  if (typeof input.private_metadata === 'string' && input.private_metadata.length > 3000) {
    problems.push('must be less than 3001 characters [json-pointer:/view/private_metadata]');
  }
  for (const field of ['callback_id', 'external_id']) {
    const value = input[field];
    if (typeof value === 'string' && value.length > 255) {
      problems.push(`must be less than 256 characters [json-pointer:/view/${field}]`);
    }
  }
  if (problems.length) throw invalidArguments(...problems);
  const texts = Object.fromEntries(
    ['title', 'submit', 'close']
      .filter((f) => input[f])
      .map((f) => [f, normaliseTextObjects(structuredClone(input[f]))]),
  );
  return { ...input, ...texts, blocks: checkBlocks(input.blocks ?? [], 'view') };
}

function checkModal(view: Json): void {
  if (view.type !== 'modal') throw invalidArguments('must be a modal view [json-pointer:/view/type]');
  const problems: string[] = [];
  const titleText = (view.title as Json | undefined)?.text;
  if (typeof titleText !== 'string') problems.push('missing required field: title [json-pointer:/view]');
  for (const field of ['title', 'submit', 'close']) {
    const text = (view[field] as Json | undefined)?.text;
    if (typeof text === 'string' && text.length > 24) {
      problems.push(`must be less than 25 characters [json-pointer:/view/${field}/text]`);
    }
  }
  const hasInputs = (view.blocks as Json[]).some((b) => b.type === 'input');
  if (hasInputs && !view.submit)
    problems.push('must provide submit if using input blocks [json-pointer:/view]');
  if (problems.length) throw invalidArguments(...problems);
}

function checkExternalId(ctx: SlackMethodContext, view: Json, ownId?: string): void {
  const externalId = typeof view.external_id === 'string' ? view.external_id : '';
  const holder = externalId ? ctx.views.byExternalId(externalId) : undefined;
  if (holder && holder.view.id !== ownId) throw new SlackMethodError('duplicate_external_id');
}

function checkHash(args: SlackArgs, current: Json | undefined): void {
  const hash = stringArg(args, 'hash');
  if (hash && current && current.hash !== hash) throw new SlackMethodError('hash_conflict');
}

const publish: SlackMethodHandler = (args, ctx) => {
  const userId = stringArg(args, 'user_id');
  if (!userId || !ctx.directory.user(userId)) throw invalidArgument('user_id');
  const view = readView(args);
  if (view.type !== 'home') throw invalidArguments('must be a home view [json-pointer:/view/type]');
  const current = ctx.views.home(userId);
  checkHash(args, current?.view);
  checkExternalId(ctx, view, current?.view.id as string | undefined);
  return { view: ctx.views.save(view, { id: current?.view.id as string | undefined, userId }) };
};

function exchangeTrigger(args: SlackArgs, ctx: SlackMethodContext): string | undefined {
  const triggerId = stringArg(args, 'trigger_id') ?? stringArg(args, 'interactivity_pointer');
  if (!triggerId) throw invalidArgument('trigger_id');
  const minted = triggerIdTime(triggerId);
  if (minted === undefined) throw new SlackMethodError('invalid_trigger_id');
  if (ctx.triggers.exchanged.has(triggerId)) throw new SlackMethodError('exchanged_trigger_id');
  if (ctx.triggerTtlMs !== null && ctx.now() - minted > ctx.triggerTtlMs) {
    throw new SlackMethodError('expired_trigger_id');
  }
  ctx.triggers.exchanged.add(triggerId);
  return ctx.triggers.users.get(triggerId);
}

const open: SlackMethodHandler = (args, ctx) => {
  const view = readView(args);
  checkModal(view);
  checkExternalId(ctx, view);
  const userId = exchangeTrigger(args, ctx);
  return { view: ctx.views.save(view, { userId, previousViewId: null }) };
};

const update: SlackMethodHandler = (args, ctx) => {
  const viewId = stringArg(args, 'view_id');
  const externalId = stringArg(args, 'external_id');
  if (!viewId && !externalId) throw invalidArgument('view_id');
  const current = viewId ? ctx.views.get(viewId) : ctx.views.byExternalId(externalId!);
  if (!current) throw new SlackMethodError('not_found');
  const view = readView(args);
  if (view.type === 'modal') checkModal(view);
  checkHash(args, current.view);
  const id = current.view.id as string;
  checkExternalId(ctx, view, id);
  return { view: ctx.views.save(view, { id }) };
};

export const viewMethods: Record<string, SlackMethodHandler> = {
  'views.publish': publish,
  'views.open': open,
  'views.update': update,
};
