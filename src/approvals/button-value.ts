/**
 * The value carried by an approval card's Approve and Reject buttons: the approval id and the
 * payload hash the card showed. Slack echoes it back on a click; the server trusts none of it
 * beyond looking the approval up and comparing the hash with the one it stored.
 */

export interface ApprovalButtonValue {
  approvalId: string;
  payloadHash: string;
}

const pattern = /^v1:([A-Za-z0-9_-]{1,100}):([0-9a-f]{64})$/;

export function encodeApprovalButtonValue(value: ApprovalButtonValue): string {
  return `v1:${value.approvalId}:${value.payloadHash}`;
}

/** Undefined for anything that is not a well-formed value (a forged or truncated click). */
export function decodeApprovalButtonValue(text: string): ApprovalButtonValue | undefined {
  const m = pattern.exec(text);
  return m ? { approvalId: m[1]!, payloadHash: m[2]! } : undefined;
}
