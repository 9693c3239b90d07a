import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Bolt refuses request timestamps more than five minutes in the past but not in the future; a
 * request stamped in the future could be replayed for longer than Slack intends, so it is
 * refused here before Bolt sees it.
 */
export const MAX_FUTURE_SKEW_SECONDS = 5 * 60;

export function rejectFutureTimestamps(
  next: (req: IncomingMessage, res: ServerResponse) => void,
  now: () => number = Date.now,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const header = req.headers['x-slack-request-timestamp'];
    const stamp = Number(Array.isArray(header) ? header[0] : header);
    if (Number.isFinite(stamp) && stamp - now() / 1000 > MAX_FUTURE_SKEW_SECONDS) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('request timestamp is in the future');
      return;
    }
    next(req, res);
  };
}
