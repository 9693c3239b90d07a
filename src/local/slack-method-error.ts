/**
 * A refusal by a Web API method of the Slack double, answered as Slack answers one: HTTP 200 and
 * `{ ok: false, error, ...extra }`. `extra` carries what Slack adds to some refusals, such as
 * `response_metadata.messages` for invalid arguments or `needed`/`provided` for scopes.
 */
export class SlackMethodError extends Error {
  readonly error: string;
  readonly extra: Record<string, unknown>;

  constructor(error: string, extra: Record<string, unknown> = {}) {
    super(error);
    this.name = 'SlackMethodError';
    this.error = error;
    this.extra = extra;
  }
}

/** Slack's `invalid_arguments`, with the `[ERROR] ...` lines it puts in `response_metadata`. */
export function invalidArguments(...problems: string[]): SlackMethodError {
  return new SlackMethodError('invalid_arguments', {
    response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
  });
}

/** Slack's `invalid_blocks`: each problem names its place with a JSON pointer. */
export function invalidBlocks(problems: string[]): SlackMethodError {
  return new SlackMethodError('invalid_blocks', {
    errors: problems,
    response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
  });
}
