import { createHmac } from 'node:crypto';

// Feishu's custom-bot webhook as the spec's notes describe it (section "Custom bot webhook"):
// what the fake Feishu checks on POST /open-apis/bot/v2/hook/:token. Errors are answered with
// HTTP 200 and a code in the body, as third-party tests report (unconfirmed).

/** A custom bot of a group, as its settings page configures it. */
export interface FakeBot {
  token: string;
  /** Signature check on: the signing secret. */
  secret?: string;
  /** Keyword check on: the card's text must contain one of these. */
  keywords?: string[];
}

/** A message the fake accepted, as sent. */
export interface PostedMessage {
  token: string;
  body: Record<string, unknown>;
}

export const BODY_LIMIT_BYTES = 20 * 1024;
export const SIGNATURE_TOLERANCE_S = 3600;

export const WEBHOOK_ERRORS = {
  badRequest: { code: 9499, msg: 'Bad Request' },
  sign: { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' },
  keywords: { code: 19024, msg: 'Key Words Not Found' },
  rateLimit: { code: 11232, msg: 'frequency limited psm[lark.oapi.app_platform_runtime]appID[1]' },
  token: { code: 19001, msg: 'param invalid: incoming webhook access token invalid' },
} as const;

export const WEBHOOK_OK = { StatusCode: 0, StatusMessage: 'success', code: 0, data: {}, msg: 'success' } as const;

const TEMPLATES = ['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey'];
const BUTTON_TYPES = ['default', 'primary', 'danger'];

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function checkText(value: unknown, at: string, tags: string[]): string[] {
  if (!isMap(value) || !tags.includes(value.tag as string) || typeof value.content !== 'string') {
    return [`${at}: must be {tag: ${tags.join('|')}, content: string}`];
  }
  return [];
}

function checkElement(element: unknown, at: string): string[] {
  if (!isMap(element)) return [`${at}: must be an object`];
  switch (element.tag) {
    case 'markdown':
      return typeof element.content === 'string' ? [] : [`${at}.content: must be a string`];
    case 'div':
      return checkText(element.text, `${at}.text`, ['plain_text', 'lark_md']);
    case 'hr':
      return [];
    case 'note':
      return Array.isArray(element.elements) && element.elements.length
        ? element.elements.flatMap((e, i) => checkText(e, `${at}.elements[${i}]`, ['plain_text', 'lark_md']))
        : [`${at}.elements: must be a non-empty list`];
    case 'action':
      if (!Array.isArray(element.actions) || !element.actions.length) return [`${at}.actions: must be a non-empty list`];
      return element.actions.flatMap((button, i) => {
        const where = `${at}.actions[${i}]`;
        if (!isMap(button) || button.tag !== 'button') return [`${where}: must be a button`];
        return [
          ...checkText(button.text, `${where}.text`, ['plain_text', 'lark_md']),
          ...(BUTTON_TYPES.includes(button.type as string) ? [] : [`${where}.type: must be one of ${BUTTON_TYPES.join(', ')}`]),
          // Callbacks are not supported on custom bots: a button must open a link.
          ...(typeof button.url === 'string' && /^https?:\/\//.test(button.url) ? [] : [`${where}.url: must be an http(s) link`]),
        ];
      });
    default:
      return [`${at}.tag: ${JSON.stringify(element.tag)} is not an element of card JSON 1.0 that this fake knows`];
  }
}

/** Problems of an interactive message's card (card JSON 1.0: no `schema`, `elements` at the top). */
export function checkCard(card: unknown): string[] {
  if (!isMap(card)) return ['card: must be an object (the card itself, not a string)'];
  if (card.schema !== undefined) return ['card.schema: this fake checks card JSON 1.0 only'];
  const problems: string[] = [];
  if (card.header !== undefined) {
    const header = card.header;
    if (!isMap(header)) problems.push('card.header: must be an object');
    else {
      problems.push(...checkText(header.title, 'card.header.title', ['plain_text']));
      if (header.template !== undefined && !TEMPLATES.includes(header.template as string)) problems.push(`card.header.template: must be one of ${TEMPLATES.join(', ')}`);
    }
  }
  if (!Array.isArray(card.elements) || !card.elements.length) problems.push('card.elements: must be a non-empty list');
  else card.elements.forEach((element, i) => problems.push(...checkElement(element, `card.elements[${i}]`)));
  return problems;
}

/** The card's words a keyword can match: text and titles, not links. */
export function cardText(value: unknown, key = ''): string[] {
  if (typeof value === 'string') return key === 'content' || key === 'text' ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => cardText(v, key));
  if (isMap(value)) return Object.entries(value).flatMap(([k, v]) => (k === 'url' || k === 'href' ? [] : cardText(v, k)));
  return [];
}

export function expectedSign(timestamp: string, secret: string): string {
  return createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
}

/** The error an accepted-size body earns from a bot, or undefined when it is posted. */
export function webhookError(bot: FakeBot, body: unknown, nowMs: number): (typeof WEBHOOK_ERRORS)[keyof typeof WEBHOOK_ERRORS] | undefined {
  if (!isMap(body)) return WEBHOOK_ERRORS.badRequest;
  if (bot.secret !== undefined) {
    const { timestamp, sign } = body;
    if (typeof timestamp !== 'string' || !/^\d+$/.test(timestamp) || typeof sign !== 'string') return WEBHOOK_ERRORS.sign;
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_S) return WEBHOOK_ERRORS.sign;
    if (sign !== expectedSign(timestamp, bot.secret)) return WEBHOOK_ERRORS.sign;
  }
  if (body.msg_type !== 'interactive' || checkCard(body.card).length) return WEBHOOK_ERRORS.badRequest;
  if (bot.keywords?.length) {
    const text = cardText(body.card).join('\n');
    if (!bot.keywords.some((keyword) => text.includes(keyword))) return WEBHOOK_ERRORS.keywords;
  }
  return undefined;
}
