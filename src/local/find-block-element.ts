/**
 * Finds the interactive element a click names, the way Slack knows which button was pressed:
 * by the block's `block_id` and the element's `action_id`, in an actions block or as a
 * section's accessory. The local workspace reads the button's value and text from the stored
 * message or view, never from the page, so a click carries exactly what the app posted.
 */

type Json = Record<string, unknown>;

export interface BlockElement {
  type: string;
  action_id: string;
  value?: string;
  url?: string;
  style?: string;
  text?: { type: string; text: string };
}

export function findBlockElement(
  blocks: unknown,
  blockId: string,
  actionId: string,
): BlockElement | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const block = (blocks as Json[]).find((b) => b.block_id === blockId);
  if (!block) return undefined;
  const candidates = [
    ...(Array.isArray(block.elements) ? (block.elements as Json[]) : []),
    ...(block.accessory ? [block.accessory as Json] : []),
  ];
  const element = candidates.find((e) => e.action_id === actionId && typeof e.type === 'string');
  return element as BlockElement | undefined;
}

/** Input blocks of a view: what a submission's `state.values` is built from. */
export function inputBlocks(blocks: unknown): Array<{
  blockId: string;
  actionId: string;
  type: string;
  optional: boolean;
  minLength?: number;
  label: string;
}> {
  if (!Array.isArray(blocks)) return [];
  return (blocks as Json[]).flatMap((b) => {
    const element = b.element as Json | undefined;
    if (b.type !== 'input' || !element || typeof element.action_id !== 'string') return [];
    return [
      {
        blockId: String(b.block_id),
        actionId: element.action_id,
        type: String(element.type),
        optional: b.optional === true,
        ...(typeof element.min_length === 'number' ? { minLength: element.min_length } : {}),
        label: String((b.label as Json | undefined)?.text ?? ''),
      },
    ];
  });
}
