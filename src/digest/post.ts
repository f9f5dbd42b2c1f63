import { createHmac } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { cleanTitle } from '../record/text.js';
import type { Card } from './card.js';

// Posting the card to the custom bot's webhook (spec: "Custom bot webhook"). One attempt: a
// retry after a lost answer could show the card twice in the group, and the digest is worth
// less than that.

export interface WebhookBody {
  timestamp?: string;
  sign?: string;
  msg_type: 'interactive';
  card: Card;
}

/** The outcome of a post: posted, or why not and what fixes it. */
export type Delivery = { posted: true } | { posted: false; code?: number; reason: string; fix: string };

export interface PostOptions {
  secret?: string;
  /** Milliseconds since the epoch (default Date.now): the signature's timestamp. */
  now?: () => number;
  dispatcher?: Dispatcher;
  /** No answer within this long is a network failure (default 30 s). */
  timeoutMs?: number;
}

/**
 * The signature of a signed webhook call: HMAC-SHA256 keyed with `timestamp + "\n" + secret`
 * over an empty message, in Base64. `timestamp` is in seconds.
 */
export function signWebhook(timestamp: number, secret: string): string {
  return createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
}

/** The request body: the card under `card`, and the signature when there is a secret. */
export function webhookBody(card: Card, secret: string | undefined, nowMs: number): WebhookBody {
  if (!secret) return { msg_type: 'interactive', card };
  const timestamp = Math.floor(nowMs / 1000);
  // The documented sample sends the timestamp as a string.
  return { timestamp: String(timestamp), sign: signWebhook(timestamp, secret), msg_type: 'interactive', card };
}

const SETTINGS = "the bot's security settings (group settings → Bots → the custom bot)";

/** What each documented error code means for the user, and what to change. */
const EXPLAINED: Record<number, { reason: string; fix: string }> = {
  19021: {
    reason: 'the signature does not match, or the timestamp is more than an hour from Feishu\'s clock',
    fix: `set feishu-webhook-secret to the signing secret shown in ${SETTINGS}, or leave it empty if signing is off there; a self-hosted runner's clock must be right`,
  },
  19022: {
    reason: "the runner's IP address is not on the bot's allow-list",
    fix: `GitHub-hosted runners have changing addresses: remove the IP allow-list in ${SETTINGS}, or post from a runner whose address it lists`,
  },
  19024: {
    reason: "the card contains none of the bot's keywords",
    fix: `add "OKR", which every card's title contains, to the keywords in ${SETTINGS}, or turn the keyword check off`,
  },
  9499: {
    reason: 'Feishu read the request as a bad request (a malformed body or one over 20 KB)',
    fix: 'run with dry-run: true to print the card, and report it as a problem of the action',
  },
  11232: {
    reason: 'the bot is over its rate limit (5 messages a second, 100 a minute)',
    fix: 'other workflows may post through the same bot: give this one its own bot, or schedule it away from the hour and half hour',
  },
  // Seen in third-party code only (unconfirmed): a token the webhook does not know.
  19001: {
    reason: 'Feishu does not know the webhook token',
    fix: "copy the webhook address again from the bot's settings into the secret passed as feishu-webhook",
  },
};

function explain(code: number, msg: string): Delivery {
  const known = EXPLAINED[code];
  // Feishu's words, shortened to one plain line.
  const said = msg ? `: ${cleanTitle(msg)}` : '';
  if (known) return { posted: false, code, reason: `${known.reason} (code ${code}${said})`, fix: known.fix };
  return { posted: false, code, reason: `Feishu answered code ${code}${said}`, fix: "see the error codes of Feishu's custom bot documentation" };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Posts the card once; never throws. */
export async function postCard(webhookUrl: string, card: Card, options: PostOptions = {}): Promise<Delivery> {
  const body = JSON.stringify(webhookBody(card, options.secret, (options.now ?? Date.now)()));
  const timeoutMs = options.timeoutMs ?? 30_000;
  let status: number;
  let text: string;
  try {
    const response = await request(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'okr-progress-action' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      ...(options.dispatcher && { dispatcher: options.dispatcher }),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    const cause = error instanceof Error ? (error.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : error.message) : String(error);
    return {
      posted: false,
      reason: `the request did not reach Feishu or its answer was lost (${cause})`,
      fix: 'check that the runner can reach the webhook host (HTTPS_PROXY and NO_PROXY apply); the records are written, the next run posts again',
    };
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  // Decide on the body, not the HTTP status (Feishu's errors may come with 200; unconfirmed).
  // `code` is the documented field; `StatusCode` alone is the older form of the answer.
  const code = isRecord(answer) ? (typeof answer.code === 'number' ? answer.code : answer.StatusCode) : undefined;
  const msg = isRecord(answer) ? String(answer.msg ?? answer.StatusMessage ?? '') : '';
  if (typeof code === 'number') return code === 0 ? { posted: true } : explain(code, msg);
  return {
    posted: false,
    reason: `the webhook answered HTTP ${status} without a Feishu answer`,
    fix: "check feishu-webhook: copy the webhook address again from the bot's settings",
  };
}
