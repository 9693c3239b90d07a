/** Block Kit, as much of it as Sluice builds. Plain data: builders return these, transports send them. */

export type TextObject =
  | { type: 'plain_text'; text: string; emoji?: boolean }
  | { type: 'mrkdwn'; text: string };

export interface ButtonElement {
  type: 'button';
  text: { type: 'plain_text'; text: string; emoji?: boolean };
  action_id: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
}

export type Block =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji?: boolean }; block_id?: string }
  | {
      type: 'section';
      text?: TextObject;
      fields?: TextObject[];
      block_id?: string;
      accessory?: ButtonElement;
    }
  | { type: 'context'; elements: TextObject[]; block_id?: string }
  | { type: 'divider'; block_id?: string }
  | { type: 'actions'; elements: ButtonElement[]; block_id?: string }
  | {
      type: 'input';
      block_id: string;
      label: { type: 'plain_text'; text: string };
      element: {
        type: 'plain_text_input';
        action_id: string;
        multiline?: boolean;
        max_length?: number;
        min_length?: number;
        placeholder?: { type: 'plain_text'; text: string };
      };
      optional?: boolean;
    };

/** A message ready for chat.postMessage / chat.update / response_url. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
  unfurl_links?: boolean;
  unfurl_media?: boolean;
}

/** Slack's published limits for what Sluice builds. */
export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  fallbackText: 4000,
} as const;
