import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { SluiceError } from '../errors.ts';
import { actionRisks } from '../policy/policy-schema.ts';
import { actionNamePattern } from '../policy/proposal.ts';
import type { ActionDefinition } from './define-action.ts';

/**
 * Custom actions: TypeScript (or JavaScript) modules in the folder SLUICE_ACTIONS_DIR names,
 * loaded once at start. Each module's default export is an action (see `defineAction`), a list
 * of them, or a factory `(deps) => action | action[]` for actions that need secrets. Everything
 * is checked before Sluice starts, and every problem names its file. See docs/actions.md.
 */

export interface CustomActionDeps {
  /** SLUICE_SECRET_* variables, for actions that call authenticated services. */
  secrets: Readonly<Record<string, string>>;
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');

const definitionShape = z.object({
  name: z.string().regex(actionNamePattern, 'name must be dotted lower-case words, e.g. acme.rotate_key'),
  description: z.string().trim().min(10, 'description must say what the action does (the model reads it)'),
  input: z.custom<z.ZodType>(
    (v) => typeof (v as { safeParse?: unknown } | null)?.safeParse === 'function',
    'input must be a zod schema',
  ),
  risk: z.enum(actionRisks, { error: 'risk must be low, medium or high' }),
  riskOf: fn.optional(),
  idempotencyKey: fn,
  execute: fn,
  retryUnknownOutcome: z.boolean().optional(),
  timeoutMs: z.int().min(100).max(600_000).optional(),
  baselineMinutes: z.number().min(0).optional(),
});

const moduleFile = /^[^._][^/]*\.(?:ts|mts|js|mjs)$/;

export async function loadCustomActions(dir: string, deps: CustomActionDeps): Promise<ActionDefinition[]> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new SluiceError('config_invalid', `SLUICE_ACTIONS_DIR ${dir} is not a folder`);
  }
  const files = fs
    .readdirSync(dir)
    .filter((f) => moduleFile.test(f) && !/\.(test|spec)\.|\.d\.ts$/.test(f))
    .sort();
  const actions: ActionDefinition[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    let exported: unknown;
    try {
      const mod = (await import(pathToFileURL(full).href)) as { default?: unknown };
      exported = mod.default;
      if (typeof exported === 'function')
        exported = await (exported as (d: CustomActionDeps) => unknown)(deps);
    } catch (error) {
      problems.push(`${full}: could not be loaded: ${(error as Error).message}`);
      continue;
    }
    if (exported === undefined) {
      problems.push(`${full}: has no default export; export default defineAction({ ... })`);
      continue;
    }
    for (const [i, candidate] of (Array.isArray(exported) ? exported : [exported]).entries()) {
      const checked = definitionShape.safeParse(candidate);
      if (!checked.success) {
        const where = Array.isArray(exported) ? ` (action #${i + 1})` : '';
        for (const issue of checked.error.issues) {
          problems.push(
            `${full}${where}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`,
          );
        }
        continue;
      }
      actions.push(candidate as ActionDefinition);
    }
  }
  if (problems.length > 0) {
    throw new SluiceError(
      'config_invalid',
      `Custom actions in ${dir} are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        details: { problems },
      },
    );
  }
  return actions;
}
