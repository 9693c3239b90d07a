/**
 * Failures injected into the Slack double on demand: rate limits (HTTP 429 with `Retry-After`
 * and Slack's `{"ok":false,"error":"ratelimited"}`), server errors, platform refusals (HTTP 200
 * with `{ok:false, error}`), slow replies and dropped connections. A rule names a Web API method,
 * `response_url` for posts to response URLs, or `*` for everything; rules naming the method win
 * over `*`, and among those the oldest rule with uses left applies.
 */

export interface SlackFailure {
  /** HTTP status to answer with; 429 sends `Retry-After`. Defaults to 200 when `error` is set. */
  status?: number;
  /** A platform error: HTTP 200 (unless `status` says otherwise) with `{ ok: false, error }`. */
  error?: string;
  /** Seconds sent in `Retry-After` with a 429 (default 1); null leaves the header out. */
  retryAfter?: number | null;
  /** How many calls this rule fails (default: every call until cleared). */
  times?: number;
  /** Waits this long before answering; alone, it only slows an otherwise normal reply. */
  delayMs?: number;
  /** The response body; an object is sent as JSON, a string as it is. */
  body?: unknown;
  /** Drops the connection without answering (after `delayMs`). */
  dropConnection?: boolean;
}

export interface FailureHandle {
  /** Calls this rule will still fail. */
  remaining(): number;
  clear(): void;
}

export interface PlannedFailure {
  delayMs: number;
  dropConnection: boolean;
  /** Undefined when the rule only delays. */
  response?: { status: number; headers: Record<string, string>; body: string };
}

interface Rule {
  target: string;
  failure: SlackFailure;
  left: number;
}

export interface SlackFailureRules {
  add(target: string, failure: SlackFailure): FailureHandle;
  /** The failure planned for a call to `method`, using up one of its rule's uses. */
  take(method: string): PlannedFailure | undefined;
  clear(): void;
}

export function createSlackFailureRules(): SlackFailureRules {
  let rules: Rule[] = [];
  return {
    add(target, failure) {
      const rule: Rule = { target, failure, left: failure.times ?? Number.POSITIVE_INFINITY };
      rules.push(rule);
      return {
        remaining: () => rule.left,
        clear: () => {
          rules = rules.filter((r) => r !== rule);
        },
      };
    },
    take(method) {
      const rule =
        rules.find((r) => r.target === method && r.left > 0) ??
        rules.find((r) => r.target === '*' && r.left > 0);
      if (!rule) return undefined;
      rule.left -= 1;
      return plan(rule.failure);
    },
    clear() {
      rules = [];
    },
  };
}

function plan(failure: SlackFailure): PlannedFailure {
  const planned: PlannedFailure = {
    delayMs: failure.delayMs ?? 0,
    dropConnection: failure.dropConnection ?? false,
  };
  const answers = failure.status !== undefined || failure.error !== undefined || failure.body !== undefined;
  if (!answers) return planned;
  const status = failure.status ?? 200;
  const headers: Record<string, string> = {};
  let body = failure.body;
  if (body === undefined) {
    if (status === 429) body = { ok: false, error: 'ratelimited' };
    else if (failure.error !== undefined) body = { ok: false, error: failure.error };
    else if (status >= 500) body = { ok: false, error: 'internal_error' };
    else body = { ok: false, error: 'unknown_error' };
  }
  if (status === 429 && failure.retryAfter !== null) headers['retry-after'] = String(failure.retryAfter ?? 1);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  headers['content-type'] =
    typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  planned.response = { status, headers, body: text };
  return planned;
}
