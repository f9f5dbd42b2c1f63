// The custom-bot webhook address (input feishu-webhook). It carries the bot's token, so it is
// a secret: no message here repeats it.

/** Hosts of Feishu and Lark custom-bot webhooks. */
export const WEBHOOK_HOSTS = ['open.feishu.cn', 'open.larksuite.com'] as const;

// Plain http and other hosts only for loopback addresses, as feishu-base-url allows: a
// stand-in server on the runner itself.
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

const HOOK_PATH = /^\/open-apis\/bot\/v2\/hook\/([\w-]+)$/;

const EXPECTED = 'https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark: https://open.larksuite.com/open-apis/bot/v2/hook/<token>)';

export class WebhookUrlError extends Error {
  override name = 'WebhookUrlError';
}

/** The webhook and its token, or an error that says what is wrong without quoting the address. */
export function checkWebhookUrl(text: string): { url: URL; token: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new WebhookUrlError(`Input feishu-webhook is not a URL; copy the custom bot's webhook address, ${EXPECTED}.`);
  }
  const loopback = LOOPBACK.test(url.hostname);
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    throw new WebhookUrlError(`Input feishu-webhook must use https; the custom bot's webhook address is ${EXPECTED}.`);
  }
  if (!loopback && !(WEBHOOK_HOSTS as readonly string[]).includes(url.hostname.toLowerCase())) {
    throw new WebhookUrlError(`Input feishu-webhook must be on ${WEBHOOK_HOSTS.join(' or ')} (host ${url.hostname} is neither); the custom bot's webhook address is ${EXPECTED}.`);
  }
  const token = HOOK_PATH.exec(url.pathname)?.[1];
  if (!token || url.username || url.password || url.search || url.hash) {
    throw new WebhookUrlError(`Input feishu-webhook is not a custom-bot webhook address; it looks like ${EXPECTED}.`);
  }
  return { url, token };
}
