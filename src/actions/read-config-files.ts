import fs from 'node:fs';
import { SluiceError } from '../errors.ts';
import { parsePolicy } from '../policy/parse-policy.ts';
import type { Policy } from '../policy/policy-types.ts';
import { type Endpoint, parseEndpointsFile } from './endpoints-file.ts';

/**
 * Reading the two human-edited files from disk. The parsers themselves take text (the policy
 * engine does no I/O); these are the thin readers the composition root and the CLI share.
 */

function readText(file: string, what: string, variable: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SluiceError(
      'config_invalid',
      `${what} ${file} cannot be read (${(error as Error).message}); check ${variable}`,
      {
        cause: error,
      },
    );
  }
}

export function readPolicyFile(file: string): Policy {
  return parsePolicy(readText(file, 'Policy file', 'SLUICE_POLICY_FILE'), file);
}

export function readEndpointsFile(file: string, secrets: Readonly<Record<string, string>>): Endpoint[] {
  return parseEndpointsFile(readText(file, 'Endpoints file', 'SLUICE_ENDPOINTS_FILE'), file, secrets);
}
