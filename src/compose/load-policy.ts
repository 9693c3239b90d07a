import { readPolicyFile } from '../actions/read-config-files.ts';
import type { Logger } from '../logger.ts';
import { parsePolicy } from '../policy/parse-policy.ts';
import type { Policy } from '../policy/policy-types.ts';

/**
 * The policy in force. Without SLUICE_POLICY_FILE nothing may run (no rule matched means deny),
 * and the log says how to allow actions. A bad file stops Sluice at start with its line numbers.
 */
export function loadPolicy(file: string | undefined, logger: Logger): Policy {
  if (!file) {
    logger.warn('no SLUICE_POLICY_FILE: every proposed action will be denied; see examples/policy.yaml');
    return parsePolicy('version: 1\nrules: []\n', '(no policy file: deny everything)');
  }
  const policy = readPolicyFile(file);
  for (const warning of policy.warnings) logger.warn({ warning }, 'policy warning');
  return policy;
}
