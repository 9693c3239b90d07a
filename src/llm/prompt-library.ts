import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../errors.ts';
import type { Task } from './types.ts';

/**
 * System prompts are files (`src/llm/prompts/<task>.md`) with a small front matter naming the
 * prompt and its version. Every call records `name@version` and a hash of the file's content, so
 * an edited prompt is visible in the trace even if someone forgot to bump the version.
 */

export const defaultPromptsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'prompts');

export interface Prompt {
  task: Task;
  /** `answer@1` */
  version: string;
  /** First 16 hex characters of the sha256 of the file. */
  hash: string;
  text: string;
}

export type PromptLibrary = Record<Task, Prompt>;

const frontMatter = /^---\n((?:[a-z_]+: *[^\n]*\n)+)---\n/;

export function parsePrompt(task: Task, content: string, file = `${task}.md`): Prompt {
  const normalised = content.replace(/\r\n/g, '\n');
  const match = frontMatter.exec(normalised);
  const fields = Object.fromEntries(
    (match?.[1] ?? '')
      .trim()
      .split('\n')
      .map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      }),
  );
  if (!match || fields.prompt !== task || !/^\d+$/.test(fields.version ?? '')) {
    throw new SluiceError(
      'internal',
      `prompt file ${file} must start with front matter naming "prompt: ${task}" and a whole-number "version:"`,
    );
  }
  return {
    task,
    version: `${task}@${fields.version}`,
    hash: createHash('sha256').update(normalised).digest('hex').slice(0, 16),
    text: normalised.slice(match[0].length).trim(),
  };
}

export function loadPromptLibrary(dir: string = defaultPromptsDir): PromptLibrary {
  const read = (task: Task) => parsePrompt(task, fs.readFileSync(path.join(dir, `${task}.md`), 'utf8'));
  return { triage: read('triage'), answer: read('answer'), propose: read('propose') };
}
