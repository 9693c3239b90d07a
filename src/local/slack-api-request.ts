import type { SlackArgs } from './slack-method-context.ts';

/**
 * Reads a Web API request the way Slack does. Arguments come from the query string and from a
 * form (`application/x-www-form-urlencoded`) or JSON (`application/json`) body. The token comes
 * from `Authorization: Bearer` or, for form bodies only, a `token` field: Slack ignores a token
 * inside a JSON body, and a JSON body without `charset` earns the `missing_charset` warning.
 * Methods whose reference says JSON is not supported ignore a JSON body altogether.
 */

export interface SlackApiRequest {
  method: string;
  args: SlackArgs;
  token: string | undefined;
  contentType: string;
  warnings: string[];
  /** Set when the body cannot be read; Slack answers with this error. */
  problem?: 'invalid_json' | 'json_not_object' | 'invalid_post_type';
}

/** Per the Web API reference, these methods do not accept JSON bodies. */
const FORM_ONLY_METHODS = new Set(['users.info', 'usergroups.users.list', 'conversations.replies']);

/** Fields Slack documents as JSON text in form bodies; recorded decoded so tests read values. */
const JSON_FIELDS = ['blocks', 'attachments', 'metadata', 'view', 'prompts'];

export function readSlackApiRequest(input: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}): SlackApiRequest {
  const contentType = input.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const args: SlackArgs = Object.fromEntries(input.url.searchParams);
  // A token in the query string is refused by Slack for current apps; only header and form count.
  delete args.token;
  const warnings: string[] = [];
  let token = bearerToken(input.headers.authorization);
  let problem: SlackApiRequest['problem'];

  if (input.body.length > 0) {
    if (mediaType === 'application/x-www-form-urlencoded') {
      const form = Object.fromEntries(new URLSearchParams(input.body));
      token ??= form.token || undefined;
      delete form.token;
      Object.assign(args, form);
    } else if (mediaType === 'application/json') {
      if (!/charset=/i.test(contentType)) warnings.push('missing_charset');
      if (!FORM_ONLY_METHODS.has(input.method)) {
        const parsed = parseJson(input.body);
        if (parsed === undefined) problem = 'invalid_json';
        else if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          problem = 'json_not_object';
        else {
          const { token: _ignored, ...rest } = parsed as SlackArgs;
          Object.assign(args, rest);
        }
      }
    } else {
      problem = 'invalid_post_type';
    }
  }

  for (const field of JSON_FIELDS) {
    const value = args[field];
    if (typeof value === 'string') {
      const parsed = parseJson(value);
      if (parsed !== undefined) args[field] = parsed;
    }
  }
  return { method: input.method, args, token, contentType, warnings, ...(problem ? { problem } : {}) };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
