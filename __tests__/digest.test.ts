import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { buildDigestCard, digestLine, markdownText, WEBHOOK_BODY_LIMIT, type Card } from '../src/digest/card.js';
import { sendDigest } from '../src/digest/index.js';
import { postCard, signWebhook, webhookBody } from '../src/digest/post.js';
import { checkWebhookUrl } from '../src/digest/url.js';
import type { TargetResult } from '../src/summary.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { checkCard } from './servers/webhook-spec.js';

// The group digest: the card (pure), its signature, and posting it to the fake custom bot.

const RUN = { url: 'https://github.com/acme/widgets/actions/runs/777', label: 'OKR #42' };
const NOW = Date.parse('2026-11-27T09:00:05Z');
const SECRET = 'bot-signing-secret';
const TOKEN = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';

function report(period: string, previousPercent?: number): NonNullable<TargetResult['report']> {
  const at = new Date('2026-11-27T09:00:00Z');
  return {
    timezone: 'UTC',
    windowStart: at,
    now: at,
    period,
    closed: [],
    closedItems: 50,
    closedListUrl: '',
    open: [],
    openItems: 10,
    openListUrl: '',
    ...(previousPercent !== undefined && { previousPercent }),
  };
}

function result(overrides: Partial<TargetResult>): TargetResult {
  return {
    name: 'Launch v2',
    target_id: '7041430377642082323',
    target_type: 3,
    repository: 'acme/widgets',
    percent: 62.5,
    status: 0,
    done: 5,
    total: 8,
    closed_in_window: 4,
    progress_id: '7000000000000000001',
    result: 'updated',
    url: 'https://github.com/acme/widgets/milestone/1',
    report: report('2026-W48', 50),
    ...overrides,
  };
}

const SAMPLE: TargetResult[] = [
  result({}),
  result({ name: 'Faster everywhere', target_type: 2, percent: 75, status: 1, url: 'https://github.com/acme/widgets/issues?q=label%3A%22okr%2Fperf%22', report: report('2026-W48', 75) }),
  result({ name: 'Q4', repository: 'acme/gadgets', percent: 33.33, status: -1, url: 'https://github.com/acme/gadgets/milestone/1', report: report('2026-W48', 40) }),
  result({ name: 'Ship docs', percent: 10, status: 2, url: 'https://github.com/acme/widgets/milestone/3', report: report('2026-W48') }),
  result({ name: 'Broken', percent: null, status: null, done: null, total: null, result: 'failed', error: 'milestone "v9" does not exist in acme/widgets', url: undefined, report: undefined }),
];

describe('the card', () => {
  it('has the period in its title, failed targets first in red, each percent with its change, and a button to the run', () => {
    expect(buildDigestCard(SAMPLE, 'en', RUN)).toEqual({
      config: { wide_screen_mode: true },
      header: { title: { tag: 'plain_text', content: 'OKR progress · 2026-W48' }, template: 'red' },
      elements: [
        {
          tag: 'markdown',
          content: [
            "**Broken** · <font color='red'>failed: milestone \"v9\" does not exist in acme/widgets</font>",
            "**[Launch v2](https://github.com/acme/widgets/milestone/1)** · 62.5% (+12.5 since the last period) · <font color='green'>on track</font>",
            "**[Faster everywhere](https://github.com/acme/widgets/issues?q=label%3A%22okr%2Fperf%22)** · 75% (no change since the last period) · <font color='orange'>at risk</font>",
            "**[Q4](https://github.com/acme/gadgets/milestone/1)** · 33.33% (−6.67 since the last period) · <font color='grey'>no status</font>",
            "**[Ship docs](https://github.com/acme/widgets/milestone/3)** · 10% (change unknown) · <font color='red'>delayed</font>",
          ].join('\n'),
        },
        { tag: 'hr' },
        { tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: 'Open the workflow run' }, type: 'primary', url: RUN.url }] },
        { tag: 'note', elements: [{ tag: 'plain_text', content: 'OKR #42 · okr-progress-action' }] },
      ],
    });
  });

  it('speaks the targets\' language', () => {
    const card = buildDigestCard(SAMPLE.slice(0, 4), 'zh', RUN);
    expect(card.header).toEqual({ title: { tag: 'plain_text', content: 'OKR 进展 · 2026-W48' }, template: 'blue' });
    expect(card.elements[0]).toEqual({
      tag: 'markdown',
      content: [
        "**[Launch v2](https://github.com/acme/widgets/milestone/1)** · 62.5% (较上期 +12.5) · <font color='green'>正常</font>",
        "**[Faster everywhere](https://github.com/acme/widgets/issues?q=label%3A%22okr%2Fperf%22)** · 75% (较上期持平) · <font color='orange'>有风险</font>",
        "**[Q4](https://github.com/acme/gadgets/milestone/1)** · 33.33% (较上期 −6.67) · <font color='grey'>暂无</font>",
        "**[Ship docs](https://github.com/acme/widgets/milestone/3)** · 10% (较上期变化未知) · <font color='red'>已延期</font>",
      ].join('\n'),
    });
    expect(card.elements[2]).toEqual({ tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: '查看工作流运行' }, type: 'primary', url: RUN.url }] });
  });

  it('names every period of the run once, and none when no target got as far as one', () => {
    const mixed = [result({}), result({ name: 'Daily', report: report('2026-11-27') }), result({ name: 'Again', report: report('2026-W48') })];
    expect(buildDigestCard(mixed, 'en', RUN).header.title.content).toBe('OKR progress · 2026-W48, 2026-11-27');
    expect(buildDigestCard([SAMPLE[4]!], 'en', RUN).header.title.content).toBe('OKR progress');
  });

  it('nothing in a name or an error can add a link, a colour or a mention', () => {
    const hostile = result({
      name: 'Evil [click](https://evil.example) <at id=all></at> **x** <font color=\'green\'>',
      url: 'https://github.com/acme/widgets/milestone/1)[x](https://evil.example',
    });
    expect(digestLine(hostile, 'en')).toBe(
      '**[Evil &#91;click&#93;&#40;https://evil.example&#41; &#60;at id=all&#62;&#60;/at&#62; &#42;&#42;x&#42;&#42; &#60;font color=\'green\'&#62;](https://github.com/acme/widgets/milestone/1%29%5Bx%5D%28https://evil.example)**' +
        " · 62.5% (+12.5 since the last period) · <font color='green'>on track</font>",
    );
    expect(markdownText('a\nb\u202Ec & d_e~f`g\\h')).toBe('a bc &#38; d&#95;e&#126;f&#96;g&#92;h');
    expect(digestLine(result({ url: 'javascript:alert(1)' }), 'en')).toMatch(/^\*\*Launch v2\*\* · /);
  });

  it('cuts a long error to 160 characters', () => {
    const line = digestLine(result({ result: 'failed', percent: 40, error: 'x'.repeat(500) }), 'en');
    expect(line).toBe(`**[Launch v2](https://github.com/acme/widgets/milestone/1)** · 40% · <font color='red'>failed: ${'x'.repeat(159)}…</font>`);
  });

  it('stays under 20 KB with 3,000 targets, failures first, and counts the rest', () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      result({
        name: `Target number ${i} with a fairly long name to fill the card`,
        url: `https://github.com/acme/widgets/milestone/${i}`,
        ...(i % 100 === 7 && { result: 'failed' as const, error: `failure ${i}` }),
      }),
    );
    const card = buildDigestCard(many, 'en', RUN);
    const body = JSON.stringify(webhookBody(card, SECRET, NOW));
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(WEBHOOK_BODY_LIMIT);
    expect(Buffer.byteLength(body)).toBeGreaterThan(WEBHOOK_BODY_LIMIT - 400);
    expect(checkCard(card)).toEqual([]);
    const lines = (card.elements[0] as { content: string }).content.split('\n');
    expect(lines.slice(0, 30).every((line) => line.includes('failed: failure'))).toBe(true);
    expect(lines[30]).toContain('[Target number 0 with');
    const more = card.elements[1] as { tag: string; content: string };
    const shown = lines.length;
    expect(more).toEqual({ tag: 'markdown', content: `…and ${3000 - shown} more targets: see the job summary of the run.` });
  });

  it('counts the failures among the targets left out', () => {
    const failing = Array.from({ length: 600 }, (_, i) => result({ name: `Failing ${i}`, result: 'failed', error: 'e'.repeat(100), percent: null, status: null }));
    const card = buildDigestCard(failing, 'zh', RUN);
    const shown = (card.elements[0] as { content: string }).content.split('\n').length;
    expect(card.elements[1]).toEqual({ tag: 'markdown', content: `…还有 ${600 - shown} 个目标（${600 - shown} 个失败），详见本次运行的作业摘要。` });
  });
});

describe('the signature', () => {
  it('matches the test vectors of the spec', () => {
    expect(signWebhook(1599360473, 'demo')).toBe('l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=');
    expect(signWebhook(100, 'demo')).toBe('jquNHnVOwmDRfw+vqTIrY5dooJAgi5EcRtLsQE4wfXg=');
  });

  it('goes in the body with the timestamp in seconds, as a string; no secret, no signature', () => {
    const card = buildDigestCard(SAMPLE, 'en', RUN);
    expect(webhookBody(card, 'demo', 1599360473_999)).toEqual({ timestamp: '1599360473', sign: 'l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=', msg_type: 'interactive', card });
    expect(webhookBody(card, undefined, NOW)).toEqual({ msg_type: 'interactive', card });
  });
});

describe('the webhook address', () => {
  it.each([
    ['https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f', '0a1b2c3d-4e5f'],
    ['https://open.larksuite.com/open-apis/bot/v2/hook/abc_DEF', 'abc_DEF'],
    ['http://127.0.0.1:8080/open-apis/bot/v2/hook/t1', 't1'],
  ])('accepts %s', (url, token) => {
    expect(checkWebhookUrl(url).token).toBe(token);
  });

  it.each([
    ['not a url', 'Input feishu-webhook is not a URL; copy the custom bot\'s webhook address, https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark: https://open.larksuite.com/open-apis/bot/v2/hook/<token>).'],
    ['http://open.feishu.cn/open-apis/bot/v2/hook/secret-token', 'Input feishu-webhook must use https; the custom bot\'s webhook address is https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark: https://open.larksuite.com/open-apis/bot/v2/hook/<token>).'],
    ['https://hooks.slack.com/open-apis/bot/v2/hook/secret-token', 'Input feishu-webhook must be on open.feishu.cn or open.larksuite.com (host hooks.slack.com is neither); the custom bot\'s webhook address is https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark: https://open.larksuite.com/open-apis/bot/v2/hook/<token>).'],
    ['https://open.feishu.cn/open-apis/okr/v1/secret-token', 'Input feishu-webhook is not a custom-bot webhook address; it looks like https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark: https://open.larksuite.com/open-apis/bot/v2/hook/<token>).'],
    ['https://open.feishu.cn/open-apis/bot/v2/hook/secret-token?x=1', 'Input feishu-webhook is not a custom-bot webhook address; it looks like https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark: https://open.larksuite.com/open-apis/bot/v2/hook/<token>).'],
  ])('refuses %s without repeating it', (url, message) => {
    expect(() => checkWebhookUrl(url)).toThrow(message);
    expect(message).not.toContain('secret-token');
  });
});

describe('posting to the fake custom bot', () => {
  let feishu: FakeFeishu;
  let clock: number;
  const card: Card = buildDigestCard(SAMPLE, 'en', RUN);
  const hook = (token = TOKEN) => `${feishu.url}/open-apis/bot/v2/hook/${token}`;
  // null: no secret (undefined would take the default).
  const post = (c: Card = card, secret: string | null = SECRET, now = NOW) => postCard(hook(), c, { secret: secret ?? undefined, now: () => now, timeoutMs: 5000 });

  beforeEach(async () => {
    clock = NOW + 2000;
    feishu = await startFakeFeishu({ bots: [{ token: TOKEN, secret: SECRET }], webhookClock: () => clock });
  });
  afterEach(() => feishu.close());

  it('posts one signed card, exactly as built', async () => {
    expect(await post()).toEqual({ posted: true });
    expect(feishu.messages).toEqual([{ token: TOKEN, body: { timestamp: '1795770005', sign: signWebhook(1795770005, SECRET), msg_type: 'interactive', card } }]);
    expect(feishu.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', `/open-apis/bot/v2/hook/${TOKEN}`, 'application/json; charset=utf-8']]);
  });

  it('posts unsigned to a bot without a signing secret', async () => {
    feishu.bots[0] = { token: TOKEN };
    expect(await post(card, null)).toEqual({ posted: true });
    expect(feishu.messages[0]!.body).toEqual({ msg_type: 'interactive', card });
  });

  it('19021: a wrong secret, a missing signature, or a clock more than an hour off', async () => {
    const sign = {
      posted: false,
      code: 19021,
      reason: "the signature does not match, or the timestamp is more than an hour from Feishu's clock (code 19021: sign match fail or timestamp is not within one hour from current time)",
      fix: "set feishu-webhook-secret to the signing secret shown in the bot's security settings (group settings → Bots → the custom bot), or leave it empty if signing is off there; a self-hosted runner's clock must be right",
    };
    expect(await post(card, 'not-the-secret')).toEqual(sign);
    expect(await post(card, null)).toEqual(sign);
    expect(await post(card, SECRET, NOW - 3601_000)).toEqual(sign);
    expect(await post(card, SECRET, NOW - 3500_000)).toEqual({ posted: true });
    expect(feishu.messages).toHaveLength(1);
  });

  it('19024: the card lacks the bot\'s keywords; "OKR" is always in the title', async () => {
    feishu.bots[0] = { token: TOKEN, keywords: ['deploy'] };
    expect(await post(card, null)).toEqual({
      posted: false,
      code: 19024,
      reason: "the card contains none of the bot's keywords (code 19024: Key Words Not Found)",
      fix: 'add "OKR", which every card\'s title contains, to the keywords in the bot\'s security settings (group settings → Bots → the custom bot), or turn the keyword check off',
    });
    feishu.bots[0] = { token: TOKEN, keywords: ['deploy', 'OKR'] };
    expect(await post(card, null)).toEqual({ posted: true });
    // Keywords match text only: a keyword found only in the button's link does not count.
    feishu.bots[0] = { token: TOKEN, keywords: ['actions/runs'] };
    expect((await post(card, null)).posted).toBe(false);
  });

  it('9499: a body over 20 KB is refused; the action\'s largest card is accepted', async () => {
    const huge: Card = { ...card, elements: [{ tag: 'markdown', content: 'x'.repeat(21 * 1024) }] };
    expect(await post(huge)).toEqual({
      posted: false,
      code: 9499,
      reason: 'Feishu read the request as a bad request (a malformed body or one over 20 KB) (code 9499: Bad Request)',
      fix: 'run with dry-run: true to print the card, and report it as a problem of the action',
    });
    const many = Array.from({ length: 3000 }, (_, i) => result({ name: `Target ${i} 目标`, url: `https://github.com/acme/widgets/milestone/${i}` }));
    expect(await post(buildDigestCard(many, 'zh', RUN))).toEqual({ posted: true });
  });

  it('11232: over the bot\'s rate limit', async () => {
    await feishu.close();
    feishu = await startFakeFeishu({ bots: [{ token: TOKEN, secret: SECRET }], webhookClock: () => clock, webhookRate: { perSecond: 5, perMinute: 2 } });
    expect(await post()).toEqual({ posted: true });
    expect(await post()).toEqual({ posted: true });
    expect(await post()).toEqual({
      posted: false,
      code: 11232,
      reason: 'the bot is over its rate limit (5 messages a second, 100 a minute) (code 11232: frequency limited psm[lark.oapi.app_platform_runtime]appID[1])',
      fix: 'other workflows may post through the same bot: give this one its own bot, or schedule it away from the hour and half hour',
    });
    clock += 61_000;
    expect(await post(card, SECRET, clock)).toEqual({ posted: true });
  });

  it('19001: a token the webhook does not know', async () => {
    expect(await postCard(hook('unknown-token'), card, { now: () => NOW })).toEqual({
      posted: false,
      code: 19001,
      reason: 'Feishu does not know the webhook token (code 19001: param invalid: incoming webhook access token invalid)',
      fix: "copy the webhook address again from the bot's settings into the secret passed as feishu-webhook",
    });
  });

  it('a network failure and an answer that is not Feishu\'s', async () => {
    feishu.faults.push({ route: 'webhook', kind: 'drop-before-store' });
    const dropped = await post();
    expect(dropped).toEqual({
      posted: false,
      reason: expect.stringMatching(/^the request did not reach Feishu or its answer was lost \(.+\)$/),
      fix: 'check that the runner can reach the webhook host (HTTPS_PROXY and NO_PROXY apply); the records are written, the next run posts again',
    });
    expect(await postCard(`${feishu.url}/open-apis/bot/v3/hook/${TOKEN}`, card, { now: () => NOW })).toEqual({
      posted: false,
      reason: 'the webhook answered HTTP 404 without a Feishu answer',
      fix: "check feishu-webhook: copy the webhook address again from the bot's settings",
    });
    feishu.faults.push({ route: 'webhook', kind: 'status', status: 500, code: 1009999, msg: 'internal error' });
    expect(await post()).toEqual({ posted: false, code: 1009999, reason: 'Feishu answered code 1009999: internal error', fix: "see the error codes of Feishu's custom bot documentation" });
    expect(feishu.messages).toEqual([]);
  });

  it('the fake refuses what Feishu refuses: a body that is not JSON, another message type, a card 2.0 or a button without a link', async () => {
    feishu.bots[0] = { token: TOKEN };
    const raw = async (body: string) => {
      clock += 1000; // a second apart, to stay under the bot's 5 a second
      const response = await fetch(hook(), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return (await response.json()) as { code: number; msg: string };
    };
    const send = (body: unknown) => raw(JSON.stringify(body));
    expect(await raw('{"msg_type":')).toMatchObject({ code: 9499, msg: 'Bad Request' });
    expect(await send({ msg_type: 'text', content: { text: 'OKR' } })).toMatchObject({ code: 9499 });
    expect(await send({ msg_type: 'interactive', card: { schema: '2.0', body: { elements: [] } } })).toMatchObject({ code: 9499 });
    expect(await send({ msg_type: 'interactive', card: JSON.stringify(card) })).toMatchObject({ code: 9499 });
    const noLink = { ...card, elements: [{ tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: 'x' }, type: 'primary' }] }] };
    expect(checkCard(noLink)).toEqual(['card.elements[0].actions[0].url: must be an http(s) link']);
    expect(await send({ msg_type: 'interactive', card: noLink })).toMatchObject({ code: 9499 });
    expect(await send({ msg_type: 'interactive', card })).toMatchObject({ code: 0, msg: 'success', StatusCode: 0 });
    expect(feishu.messages).toHaveLength(1);
  });

  it('sendDigest posts once and logs it; a refusal only warns; a dry run prints the card and posts nothing', async () => {
    const log: string[] = [];
    const options = (dryRun: boolean, secret: string | undefined) => ({
      webhook: { url: hook(), secret },
      dryRun,
      language: 'en' as const,
      run: RUN,
      log: { info: (m: string) => log.push(`info ${m}`), warning: (m: string) => log.push(`warning ${m}`), group: (t: string, text: string) => log.push(`group ${t}\n${text}`) },
      post: { now: () => NOW },
    });
    await sendDigest(SAMPLE, options(false, SECRET));
    await sendDigest(SAMPLE, options(false, 'wrong'));
    await sendDigest(SAMPLE, options(true, SECRET));
    expect(feishu.messages).toHaveLength(1);
    expect(feishu.requests).toHaveLength(2);
    expect(log).toEqual([
      'info Group digest posted: 5 targets.',
      "warning The group digest was not posted: the signature does not match, or the timestamp is more than an hour from Feishu's clock (code 19021: sign match fail or timestamp is not within one hour from current time). To fix it: set feishu-webhook-secret to the signing secret shown in the bot's security settings (group settings → Bots → the custom bot), or leave it empty if signing is off there; a self-hosted runner's clock must be right. This does not change the run's result.",
      `group Group digest (dry run: not posted)\n${JSON.stringify(card, null, 2)}`,
    ]);
  });
});
