import { mintBlockId } from './slack-ids.ts';
import { invalidBlocks, SlackMethodError } from './slack-method-error.ts';

/**
 * Block Kit's size limits, checked the way Slack checks them, and the defaults Slack fills in on
 * what it echoes back (a `block_id` on every block, `emoji` on plain text, `verbatim` on mrkdwn).
 * A message Sluice could not post to Slack is refused here too, with Slack's error and pointer.
 * Limits are from the Block Kit reference; the count limit's wording is the one Slack answers
 * with (`no more than 50 items allowed [json-pointer:/blocks]`).
 */

export type BlockSurface = 'message' | 'view';

const MAX_BLOCKS: Record<BlockSurface, number> = { message: 50, view: 100 };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(value: unknown): string | undefined {
  return isObject(value) && typeof value.text === 'string' ? value.text : undefined;
}

/** Returns a normalised copy of the blocks, or throws Slack's refusal. */
export function checkBlocks(blocks: unknown, surface: BlockSurface): Json[] {
  if (!Array.isArray(blocks)) throw new SlackMethodError('invalid_blocks_format');
  const problems: string[] = [];
  const max = MAX_BLOCKS[surface];
  if (blocks.length > max) problems.push(`no more than ${max} items allowed [json-pointer:/blocks]`);
  const seen = new Set<string>();
  blocks.forEach((block, index) => {
    const at = `/blocks/${index}`;
    if (!isObject(block) || typeof block.type !== 'string') {
      problems.push(`missing required field: type [json-pointer:${at}]`);
      return;
    }
    if (typeof block.block_id === 'string') {
      if (block.block_id.length > 255) problems.push(tooLong(255, `${at}/block_id`));
      if (seen.has(block.block_id)) problems.push(`duplicate block_id [json-pointer:${at}/block_id]`);
      seen.add(block.block_id);
    }
    problems.push(...blockProblems(block, at));
  });
  if (problems.length > 0) throw invalidBlocks(problems);
  return blocks.map((block) => normaliseBlock(block as Json));
}

function tooLong(limit: number, at: string): string {
  return `must be less than ${limit + 1} characters [json-pointer:${at}]`;
}

function maxText(value: unknown, limit: number, at: string): string[] {
  const text = textOf(value);
  return text !== undefined && text.length > limit ? [tooLong(limit, `${at}/text`)] : [];
}

function maxItems(value: unknown, limit: number, at: string): string[] {
  return Array.isArray(value) && value.length > limit
    ? [`no more than ${limit} items allowed [json-pointer:${at}]`]
    : [];
}

function blockProblems(block: Json, at: string): string[] {
  switch (block.type) {
    case 'section': {
      const problems = [
        ...maxText(block.text, 3000, `${at}/text`),
        ...maxItems(block.fields, 10, `${at}/fields`),
      ];
      if (block.text === undefined && block.fields === undefined) {
        problems.push(`must provide either text or fields [json-pointer:${at}]`);
      }
      if (Array.isArray(block.fields)) {
        block.fields.forEach((f, i) => {
          problems.push(...maxText(f, 2000, `${at}/fields/${i}`));
        });
      }
      if (isObject(block.accessory)) problems.push(...elementProblems(block.accessory, `${at}/accessory`));
      return problems;
    }
    case 'header':
      return maxText(block.text, 150, `${at}/text`);
    case 'context':
      return maxItems(block.elements, 10, `${at}/elements`);
    case 'actions': {
      const problems = maxItems(block.elements, 25, `${at}/elements`);
      if (Array.isArray(block.elements)) {
        block.elements.forEach((e, i) => {
          if (isObject(e)) problems.push(...elementProblems(e, `${at}/elements/${i}`));
        });
      }
      return problems;
    }
    case 'input':
      return maxText(block.label, 2000, `${at}/label`);
    default:
      return [];
  }
}

function elementProblems(element: Json, at: string): string[] {
  const problems: string[] = [];
  if (typeof element.action_id === 'string' && element.action_id.length > 255) {
    problems.push(tooLong(255, `${at}/action_id`));
  }
  if (element.type === 'button') {
    problems.push(...maxText(element.text, 75, `${at}/text`));
    if (typeof element.value === 'string' && element.value.length > 2000) {
      problems.push(tooLong(2000, `${at}/value`));
    }
    if (typeof element.url === 'string' && element.url.length > 3000)
      problems.push(tooLong(3000, `${at}/url`));
  }
  return problems;
}

function normaliseBlock(block: Json): Json {
  const copy = normaliseTextObjects(structuredClone(block)) as Json;
  if (typeof copy.block_id !== 'string') copy.block_id = mintBlockId();
  return copy;
}

/** Slack echoes text objects with their defaults made explicit. */
export function normaliseTextObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseTextObjects);
  if (!isObject(value)) return value;
  for (const [key, inner] of Object.entries(value)) value[key] = normaliseTextObjects(inner);
  if (value.type === 'plain_text' && typeof value.text === 'string' && value.emoji === undefined)
    value.emoji = true;
  if (value.type === 'mrkdwn' && typeof value.text === 'string' && value.verbatim === undefined) {
    value.verbatim = false;
  }
  return value;
}
