import { afterEach, describe, expect, it } from '@jest/globals';
import { Agent, EnvHttpProxyAgent, MockAgent, type Dispatcher } from 'undici';
import { checkBaseUrl, defaultDispatcher, FeishuClient, type FeishuClientOptions } from '../src/feishu/client.js';
import { AmbiguousWriteError, FeishuError } from '../src/feishu/errors.js';
import { CREATE_BODY } from './fixtures/create-request.js';

// What each call sends (method, path, query, headers, body), what the client logs, and how it
// words what the network did: undici's MockAgent answers in place of Feishu, so that a reset
// connection or a TLS failure can be given exactly. Every wait goes on the test's own clock.

const BASE = 'https://open.feishu.cn';
const PROGRESS_ID = '7046317985098760212';
const KR = '7041430377642082323';
const OBJECTIVE = '7043693679567028244';
const RECORD = { code: 0, msg: 'success', data: { progress_id: PROGRESS_ID, modify_time: '1640675837810' } };

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  form?: FormData;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

let agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  agents = [];
});

/** A MockAgent for Feishu's host: each request is recorded and answered by `answer`, in turn. */
function feishuHost(answer: (sent: Sent, n: number) => Reply): { agent: MockAgent; sent: Sent[] } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const sent: Sent[] = [];
  agent
    .get(BASE)
    .intercept({ path: () => true, method: () => true })
    .reply((options) => {
      const request: Sent = {
        method: options.method,
        path: options.path,
        headers: Object.fromEntries(Object.entries((options.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v])),
        body: typeof options.body === 'string' ? options.body : undefined,
        // undici's own FormData, of another realm than the test's: known by its get().
        ...(typeof (options.body as FormData | undefined)?.get === 'function' && { form: options.body as FormData }),
      };
      sent.push(request);
      const { status, body, headers } = answer(request, sent.length);
      return { statusCode: status, data: typeof body === 'string' ? body : JSON.stringify(body), responseOptions: { headers: { 'content-type': 'application/json', ...headers } } };
    })
    .persist();
  return { agent, sent };
}

/** A MockAgent whose first `times` requests fail with `error`, and whose next ones `answer`. */
function failingHost(error: Error, times: number, answer: Reply = { status: 200, body: RECORD }): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const pool = agent.get(BASE);
  pool.intercept({ path: () => true, method: () => true }).replyWithError(error).times(times);
  pool.intercept({ path: () => true, method: () => true }).reply(answer.status, JSON.stringify(answer.body)).persist();
  return agent;
}

function client(dispatcher: Dispatcher, options: Partial<FeishuClientOptions> = {}) {
  const clock = { now: 1_000_000 };
  const sleeps: number[] = [];
  const infos: string[] = [];
  const debugs: string[] = [];
  const feishu = new FeishuClient({
    baseUrl: BASE,
    accessToken: 't-given',
    dispatcher,
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    random: () => 0.5,
    log: { info: (m) => infos.push(m), warning: (m) => infos.push(m), debug: (m) => debugs.push(m) },
    ...options,
  });
  return { feishu, sleeps, infos, debugs };
}

const failure = (promise: Promise<unknown>): Promise<unknown> => promise.catch((error: unknown) => error);


describe('what each call sends', () => {
  it('an update is a PUT of the JSON body to the record, with the token, the agent and the content type', async () => {
    const host = feishuHost(() => ({ status: 200, body: RECORD }));
    const { feishu, debugs } = client(host.agent);
    const body = { content: CREATE_BODY.content, progress_rate: { percent: 60, status: 1 as const } };
    expect(await feishu.updateRecord(PROGRESS_ID, body)).toEqual({ progressId: PROGRESS_ID, modifyTime: '1640675837810' });
    expect(host.sent).toEqual([
      {
        method: 'PUT',
        path: `/open-apis/okr/v1/progress_records/${PROGRESS_ID}?user_id_type=open_id`,
        headers: { 'user-agent': 'okr-progress-action', authorization: 'Bearer t-given', 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
      },
    ]);
    expect(debugs).toEqual(['Feishu PUT /open-apis/okr/v1/progress_records/:id: HTTP 200, code 0']);
  });

  it('an image is sent as multipart form data: the PNG as a named file, the target beside it', async () => {
    const host = feishuHost(() => ({ status: 200, body: { code: 0, msg: 'success', data: { file_token: 'boxcn1', url: 'https://x/1.png' } } }));
    const { feishu } = client(host.agent);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    expect(await feishu.uploadImage(png, 3, KR)).toEqual({ fileToken: 'boxcn1', url: 'https://x/1.png' });
    const [sent] = host.sent;
    expect([sent!.method, sent!.path, sent!.headers['content-type'], sent!.headers.authorization]).toEqual(['POST', '/open-apis/okr/v1/images/upload', undefined, 'Bearer t-given']);
    const file = sent!.form!.get('data') as File;
    expect([file.name, file.type, Buffer.from(await file.arrayBuffer())]).toEqual([`okr-chart-${KR}.png`, 'image/png', png]);
    expect([sent!.form!.get('target_id'), sent!.form!.get('target_type')]).toEqual([KR, '3']);
  });

  it('an upload: its refusal names the upload scope, and an answer without a file token is explained', async () => {
    const host = feishuHost((_, n) => (n === 1 ? { status: 400, body: { code: 1001002, msg: 'no permission' } } : { status: 200, body: { code: 0, msg: 'success', data: { url: 'u' } } }));
    const { feishu } = client(host.agent);
    expect(((await failure(feishu.uploadImage(Buffer.from('png'), 2, OBJECTIVE))) as Error).message).toMatch(/^Feishu refused: the app has no permission for this OKR \(code 1001002\)\. .*okr:okr\.progress\.file:upload/);
    expect(((await failure(feishu.uploadImage(Buffer.from('png'), 2, OBJECTIVE))) as Error).message).toBe(
      "Feishu's answer to POST /open-apis/okr/v1/images/upload was not understood: data.file_token: Invalid input: expected string, received undefined.",
    );
  });

  it('a get sends no body and no content type', async () => {
    const host = feishuHost(() => ({ status: 200, body: { code: 0, msg: 'success', data: { progress_id: PROGRESS_ID, modify_time: '1', content: { blocks: [] } } } }));
    const { feishu } = client(host.agent);
    await feishu.getRecord(PROGRESS_ID);
    expect(host.sent).toEqual([
      {
        method: 'GET',
        path: `/open-apis/okr/v1/progress_records/${PROGRESS_ID}?user_id_type=open_id`,
        headers: { 'user-agent': 'okr-progress-action', authorization: 'Bearer t-given' },
        body: undefined,
      },
    ]);
  });

  it('names the call in what it says of a refusal: update and get', async () => {
    const host = feishuHost(() => ({ status: 400, body: { code: 1001002, msg: 'no permission' }, headers: { 'x-tt-logid': 'L7' } }));
    const { feishu, debugs } = client(host.agent);
    const update = await failure(feishu.updateRecord(PROGRESS_ID, { content: CREATE_BODY.content, progress_rate: CREATE_BODY.progress_rate }));
    expect((update as Error).message).toBe(
      `Feishu refused: the app has no permission for this OKR (code 1001002). Make sure the access token in feishu-access-token carries the okr:okr.progress:writeonly (or okr:okr) scope and that its user or app may see the OKR of the target. (log id L7)`,
    );
    const get = await failure(feishu.getRecord(PROGRESS_ID));
    expect((get as Error).message).toBe(
      `Feishu refused: the app has no permission for this OKR (code 1001002). Make sure the access token in feishu-access-token carries the okr:okr.progress:readonly (or okr:okr) scope and that its user or app may see the OKR of the target. (log id L7)`,
    );
    expect(debugs).toEqual([
      'Feishu PUT /open-apis/okr/v1/progress_records/:id: HTTP 400, code 1001002, log id L7',
      'Feishu GET /open-apis/okr/v1/progress_records/:id: HTTP 400, code 1001002, log id L7',
    ]);
  });

  it("an objective's records are listed under objectives/, and its id named in what goes wrong", async () => {
    const host = feishuHost(() => ({ status: 200, body: { code: 0, msg: 'success', data: { has_more: true, page_token: 'again' } } }));
    const { feishu } = client(host.agent);
    const read: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const record of feishu.listRecords(2, OBJECTIVE)) read.push(record);
      })(),
    );
    expect(host.sent.map((s) => s.path)).toEqual([
      `/open-apis/okr/v2/objectives/${OBJECTIVE}/progresses?page_size=100`,
      `/open-apis/okr/v2/objectives/${OBJECTIVE}/progresses?page_size=100&page_token=again`,
    ]);
    expect(error).toBeInstanceOf(FeishuError);
    expect(error).toMatchObject({
      message: `Feishu's list of the records of objective "${OBJECTIVE}" said there were more pages but gave a page token it had given before.`,
      retryable: false,
    });
    expect(read).toEqual([]);
  });

  it('a list page with a page token but has_more false is the last', async () => {
    const host = feishuHost(() => ({ status: 200, body: { code: 0, msg: 'success', data: { has_more: false, page_token: 'next', items: [] } } }));
    const { feishu } = client(host.agent);
    const read: unknown[] = [];
    for await (const record of feishu.listRecords(3, KR)) read.push(record);
    expect([host.sent.length, read.length]).toEqual([1, 0]);
  });

  it('the 100-page cap is not an error that another try would mend', async () => {
    const host = feishuHost((_, n) => ({ status: 200, body: { code: 0, msg: 'success', data: { has_more: true, page_token: `p${n}`, items: [] } } }));
    const { feishu } = client(host.agent);
    const error = await failure(
      (async () => {
        for await (const _record of feishu.listRecords(3, KR));
      })(),
    );
    expect(error).toMatchObject({ retryable: false });
    expect(host.sent).toHaveLength(100);
  });
});

describe('the calls of list-okrs', () => {
  const ok = (data: unknown): Reply => ({ status: 200, body: { code: 0, msg: 'success', data } });

  it('periods: ten to a page, by page token; a page without items adds none', async () => {
    const host = feishuHost((_, n) =>
      n === 1 ? ok({ has_more: true, page_token: 'p2', items: [{ id: '1', zh_name: '2026 年 10 月 - 12 月', en_name: 'Oct - Dec 2026', status: 0, period_start_time: '1', period_end_time: '2' }] }) : ok({ has_more: false }),
    );
    const { feishu } = client(host.agent);
    expect((await feishu.listPeriods()).map((p) => p.id)).toStrictEqual(['1']);
    expect(host.sent.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /open-apis/okr/v1/periods?page_size=10', 'GET /open-apis/okr/v1/periods?page_size=10&page_token=p2']);
  });

  it.each([
    ['no page token', { has_more: true }],
    ['a page token given before', { has_more: true, page_token: 'p1' }],
  ])('periods: more pages with %s is an error, not tried again', async (_, second) => {
    const host = feishuHost((_, n) => (n === 1 ? ok({ has_more: true, page_token: 'p1', items: [] }) : ok(second)));
    const { feishu } = client(host.agent);
    const error = await failure(feishu.listPeriods());
    expect(error).toBeInstanceOf(FeishuError);
    expect(error).toMatchObject({ message: "Feishu's list of OKR periods said there were more pages but gave no new page token.", retryable: false });
    expect(host.sent).toHaveLength(2);
  });

  it('periods: a token on the last page (has_more false) ends the list', async () => {
    const host = feishuHost(() => ok({ has_more: false, page_token: 'p9', items: [] }));
    const { feishu } = client(host.agent);
    expect(await feishu.listPeriods()).toEqual([]);
    expect(host.sent).toHaveLength(1);
  });

  const okr = (i: number) => ({ id: `70000000000000000${String(i).padStart(2, '0')}`, name: `OKR ${i}`, objective_list: [] });

  it('okrs: offset and limit as strings, each period id its own key, in English; reads on while total says there are more', async () => {
    const host = feishuHost((_, n) => ok({ total: 12, okr_list: n === 1 ? Array.from({ length: 10 }, (_, i) => okr(i)) : [okr(10), okr(11)] }));
    const { feishu } = client(host.agent);
    await feishu.listUserOkrs('ou_a/b', 'user_id', ['11', '22']);
    expect(host.sent.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /open-apis/okr/v1/users/ou_a%2Fb/okrs?user_id_type=user_id&offset=0&limit=10&lang=en_us&period_ids=11&period_ids=22',
      'GET /open-apis/okr/v1/users/ou_a%2Fb/okrs?user_id_type=user_id&offset=10&limit=10&lang=en_us&period_ids=11&period_ids=22',
    ]);
  });

  it.each([
    ['a total that the pages read reach exactly', { total: 10 }, 1],
    ['no total', {}, 1],
    ['a total of 11', { total: 11 }, 2],
  ])('okrs: %s', async (_, total, requests) => {
    const host = feishuHost((_, n) => ok({ ...total, okr_list: n === 1 ? Array.from({ length: 10 }, (_, i) => okr(i)) : [] }));
    const { feishu } = client(host.agent);
    await feishu.listUserOkrs('ou_a', 'open_id', ['11']);
    expect(host.sent).toHaveLength(requests);
  });

  it('okrs: an empty page ends the list whatever the total says', async () => {
    const host = feishuHost(() => ok({ total: 50 }));
    const { feishu } = client(host.agent);
    expect(await feishu.listUserOkrs('ou_a', 'open_id', ['11'])).toEqual([]);
    expect(host.sent).toHaveLength(1);
  });

  it('emails: 50 to a call as a JSON body; no call for none; a user without an id or email is no match; emails in lower case', async () => {
    const host = feishuHost((sent) => {
      const { emails } = JSON.parse(sent.body!) as { emails: string[] };
      return ok(
        emails.length === 50
          ? { user_list: [{ email: 'Ann@Acme.com', user_id: 'ou_ann' }, { email: 'nobody@acme.com' }, { user_id: 'ou_x' }] }
          : {},
      );
    });
    const { feishu } = client(host.agent);
    expect(await feishu.openIdsOfEmails([])).toEqual(new Map());
    expect(host.sent).toEqual([]);
    const emails = Array.from({ length: 51 }, (_, i) => `u${i}@acme.com`);
    expect([...(await feishu.openIdsOfEmails(emails))]).toEqual([['ann@acme.com', 'ou_ann']]);
    expect(host.sent.map((s) => [s.method, s.path, (JSON.parse(s.body!) as { emails: string[] }).emails])).toEqual([
      ['POST', '/open-apis/contact/v3/users/batch_get_id?user_id_type=open_id', emails.slice(0, 50)],
      ['POST', '/open-apis/contact/v3/users/batch_get_id?user_id_type=open_id', emails.slice(50)],
    ]);
  });

  it('names the call in what it says of a refusal: periods, okrs, emails', async () => {
    const host = feishuHost(() => ({ status: 400, body: { code: 1001002, msg: 'no permission' } }));
    const { feishu } = client(host.agent);
    expect(((await failure(feishu.listPeriods())) as Error).message).toMatch(/^Feishu refused: the app may not read OKRs \(code 1001002\)\./);
    expect(((await failure(feishu.listUserOkrs('ou_a', 'open_id', ['1']))) as Error).message).toMatch(/^Feishu refused: the app may not read OKRs \(code 1001002\)\./);
    const users = feishuHost(() => ({ status: 400, body: { code: 99991672, msg: '' } }));
    expect(((await failure(client(users.agent).feishu.openIdsOfEmails(['a@acme.com']))) as Error).message).toBe(
      'Feishu refused: the app lacks the scope this call needs (code 99991672). Grant the app the contact:user.id:readonly scope in the Feishu developer console and publish a new version of the app.',
    );
  });
});

describe('the tenant access token', () => {
  const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
  const appClient = (dispatcher: Dispatcher) => client(dispatcher, { accessToken: undefined, appId: 'cli_a', appSecret: 's3cret' });

  it('is asked for with the app id and secret as JSON, without an Authorization header', async () => {
    const host = feishuHost((sent) => (sent.path === TOKEN_PATH ? { status: 200, body: { code: 0, msg: 'ok', tenant_access_token: 't-1', expire: 7200 } } : { status: 200, body: RECORD }));
    const { feishu } = appClient(host.agent);
    await feishu.createRecord(CREATE_BODY);
    expect(host.sent[0]).toEqual({
      method: 'POST',
      path: TOKEN_PATH,
      headers: { 'user-agent': 'okr-progress-action', 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ app_id: 'cli_a', app_secret: 's3cret' }),
    });
    expect(host.sent[1]!.headers.authorization).toBe('Bearer t-1');
  });

  it('an answer without the token is explained field by field', async () => {
    const host = feishuHost(() => ({ status: 200, body: { code: 0, msg: 'ok', expire: 'soon' } }));
    const { feishu } = appClient(host.agent);
    const error = await failure(feishu.getRecord(PROGRESS_ID));
    expect(error).toBeInstanceOf(FeishuError);
    expect(error).toMatchObject({
      message: `Feishu's answer to POST ${TOKEN_PATH} was not understood: tenant_access_token: Invalid input: expected string, received undefined; expire: Invalid input: expected number, received string.`,
      retryable: false,
    });
  });

  it('a refusal that is neither passing nor about the credentials stays the answer: the token is not asked for again', async () => {
    const host = feishuHost(() => ({ status: 400, body: { code: 1234567, msg: 'odd' } }));
    const { feishu } = appClient(host.agent);
    const first = await failure(feishu.getRecord(PROGRESS_ID));
    const second = await failure(feishu.getRecord(PROGRESS_ID));
    expect(second).toBe(first);
    expect(host.sent).toHaveLength(1);
  });

  it('two calls told at once that the token expired fetch one new token between them', async () => {
    let tokens = 0;
    const host = feishuHost((sent) => {
      if (sent.path === TOKEN_PATH) return { status: 200, body: { code: 0, msg: 'ok', tenant_access_token: `t-${++tokens}`, expire: 7200 } };
      return sent.headers.authorization === 'Bearer t-1' ? { status: 400, body: { code: 99991663, msg: 'expired' } } : { status: 200, body: RECORD };
    });
    const { feishu } = appClient(host.agent);
    await Promise.all([feishu.updateRecord(PROGRESS_ID, { content: CREATE_BODY.content, progress_rate: CREATE_BODY.progress_rate }), feishu.updateRecord(PROGRESS_ID, { content: CREATE_BODY.content, progress_rate: CREATE_BODY.progress_rate })]);
    expect(host.sent.filter((s) => s.path === TOKEN_PATH)).toHaveLength(2);
    expect(tokens).toBe(2);
  });
});

describe('answers that are not what they seem', () => {
  it('a code that is a string is no Feishu code', async () => {
    const host = feishuHost(() => ({ status: 200, body: { code: '0', data: RECORD.data } }));
    const { feishu } = client(host.agent);
    expect(((await failure(feishu.getRecord(PROGRESS_ID))) as Error).message).toBe(
      `Feishu answered GET /open-apis/okr/v1/progress_records/:id with HTTP 200 and no Feishu answer in it. Check that feishu-base-url (${BASE}) is the Feishu or Lark API host.`,
    );
  });

  it('a body of null is no answer', async () => {
    const host = feishuHost(() => ({ status: 200, body: 'null' }));
    const { feishu } = client(host.agent);
    expect(((await failure(feishu.getRecord(PROGRESS_ID))) as Error).message).toMatch(/^Feishu answered GET \/open-apis\/okr\/v1\/progress_records\/:id with HTTP 200 and no Feishu answer in it\./);
  });

  it("a log id in the body's error is used when it is a string, and only then", async () => {
    const host = feishuHost((_, n) => ({ status: 400, body: { code: 1001004, msg: 'not found', error: { log_id: n === 1 ? 'B1' : 42 } } }));
    const { feishu } = client(host.agent);
    expect(await failure(feishu.getRecord(PROGRESS_ID))).toMatchObject({ logId: 'B1' });
    expect(await failure(feishu.getRecord(PROGRESS_ID))).toMatchObject({ logId: undefined });
  });

  it.each([
    ['a message', 'invalid parameters: content', ' (Feishu says: "invalid parameters: content")'],
    ['an empty message', '', ''],
    ['a message that is not text', 7, ''],
  ])("Feishu's words are passed on with %s", async (_, msg, words) => {
    const host = feishuHost(() => ({ status: 400, body: { code: 99991672, msg } }));
    const { feishu } = client(host.agent);
    expect(((await failure(feishu.getRecord(PROGRESS_ID))) as Error).message).toBe(
      `Feishu refused: the app lacks the scope this call needs${words} (code 99991672). Grant the app the okr:okr.progress:readonly (or okr:okr) scope in the Feishu developer console and publish a new version of the app.`,
    );
  });

  it('HTTP 401 without a Feishu code: the credentials were refused, not tried again, and every later call stops', async () => {
    const host = feishuHost(() => ({ status: 401, body: 'Unauthorized' }));
    const { feishu } = client(host.agent);
    const error = await failure(feishu.getRecord(PROGRESS_ID));
    expect(error).toMatchObject({
      message: `Feishu answered GET /open-apis/okr/v1/progress_records/:id with HTTP 401 and no Feishu answer in it. The credentials were refused: check feishu-app-id and feishu-app-secret (or feishu-access-token), and that a proxy between the runner and ${BASE} lets the Authorization header through.`,
      httpStatus: 401,
      retryable: false,
      fatal: true,
    });
    expect(host.sent).toHaveLength(1);
  });

  it('HTTP 404 without a Feishu code names the status and is not tried again', async () => {
    const host = feishuHost(() => ({ status: 404, body: 'Not Found' }));
    const { feishu } = client(host.agent);
    expect(await failure(feishu.getRecord(PROGRESS_ID))).toMatchObject({ httpStatus: 404, retryable: false, fatal: false });
  });

  it('an answer with more than three problems names the first three', async () => {
    const host = feishuHost(() => ({ status: 200, body: { code: 0, msg: 'success', data: { items: [1, 2, 3, 4] } } }));
    const { feishu } = client(host.agent);
    const error = await failure(
      (async () => {
        for await (const _record of feishu.listRecords(3, KR));
      })(),
    );
    expect(error).toMatchObject({
      message:
        "Feishu's answer to GET /open-apis/okr/v2/key_results/:id/progresses was not understood: data.items.0: Invalid input: expected object, received number; data.items.1: Invalid input: expected object, received number; data.items.2: Invalid input: expected object, received number.",
      code: 0,
      retryable: false,
    });
  });
});

describe('the network in words', () => {
  const withCode = (code: string, message = `${code} happened`): Error => Object.assign(new Error(message), { code });

  it.each([
    ['ECONNRESET', 'the connection was reset (ECONNRESET)'],
    ['UND_ERR_SOCKET', 'the connection was closed before an answer came (UND_ERR_SOCKET)'],
    ['EAI_AGAIN', 'the host name could not be resolved (EAI_AGAIN)'],
    ['EPIPE', 'EPIPE happened (EPIPE)'],
    ['EPROTONOSUPPORT', 'EPROTONOSUPPORT happened (EPROTONOSUPPORT)'],
  ])('%s: tried again five times in all, then given up, saying so', async (code, words) => {
    const { feishu, infos, sleeps } = client(failingHost(withCode(code), 5));
    const error = await failure(feishu.getRecord(PROGRESS_ID));
    expect(error).toBeInstanceOf(FeishuError);
    expect(error).toMatchObject({ message: `Could not reach Feishu at ${BASE}: ${words}. Gave up after 5 attempts.`, retryable: true, fatal: code === 'EAI_AGAIN' });
    expect((error as Error).cause).toMatchObject({ code });
    expect(infos[0]).toBe(`GET /open-apis/okr/v1/progress_records/:id: Could not reach Feishu at ${BASE}: ${words}. Retrying in 0.5 s (retry 1 of 4).`);
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
  });

  it('an error without a code is said in its own words', async () => {
    const { feishu } = client(failingHost(new Error('something odd'), 5));
    expect(((await failure(feishu.getRecord(PROGRESS_ID))) as Error).message).toBe(`Could not reach Feishu at ${BASE}: something odd. Gave up after 5 attempts.`);
  });

  it("a refused connection to each of a host's addresses (an AggregateError) is a refused connection: no retry", async () => {
    const refused = new AggregateError([withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'), withCode('ECONNREFUSED', 'connect ECONNREFUSED ::1:443')], 'all failed');
    const { feishu } = client(failingHost(refused, 1));
    const error = await failure(feishu.getRecord(PROGRESS_ID));
    expect(error).toMatchObject({ message: expect.stringMatching(/^Could not reach Feishu at https:\/\/open\.feishu\.cn: the connection was refused \(ECONNREFUSED\)\. Check feishu-base-url/), retryable: false, fatal: true });
    expect((error as Error).cause).toBe(refused);
  });

  it.each(['EPROTO', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'])('%s is a TLS failure: no retry, the fix named', async (code) => {
    const { feishu } = client(failingHost(withCode(code, 'handshake failed'), 1));
    const error = await failure(feishu.createRecord(CREATE_BODY));
    expect(error).not.toBeInstanceOf(AmbiguousWriteError);
    expect(error).toMatchObject({
      message: `Could not reach Feishu at ${BASE}: the TLS connection failed (${code}: handshake failed). Check that feishu-base-url (https://open.feishu.cn for Feishu, https://open.larksuite.com for Lark) names Feishu's API host over https; behind a proxy that inspects TLS, give Node its CA certificate with NODE_EXTRA_CA_CERTS.`,
      retryable: false,
      fatal: true,
    });
  });

  it('a create whose connection was reset may have been stored: ambiguous, with the cause kept', async () => {
    const reset = withCode('ECONNRESET');
    const { feishu } = client(failingHost(reset, 1));
    const error = await failure(feishu.createRecord(CREATE_BODY));
    expect(error).toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).cause).toBe(reset);
  });

  it.each(['EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])('a create that could not connect (%s) was never sent: tried again, and written once', async (code) => {
    const { feishu } = client(failingHost(withCode(code), 1));
    expect(await feishu.createRecord(CREATE_BODY)).toEqual({ progressId: PROGRESS_ID, modifyTime: '1640675837810' });
  });

  it('the deadline keeps the error that had to be waited out as its cause', async () => {
    const reset = withCode('ECONNRESET');
    const { feishu } = client(failingHost(reset, 5), { deadlineMs: 1000 });
    const error = await failure(feishu.getRecord(PROGRESS_ID));
    expect(error).toMatchObject({ retryable: true, message: `Could not reach Feishu at ${BASE}: the connection was reset (ECONNRESET). Stopped: waiting 1 s more would go past the 1 s allowed for this run's Feishu calls.` });
    expect(((error as Error).cause as Error).cause).toBe(reset);
  });
});

describe('defaults', () => {
  it('logs nothing and still retries without a log', async () => {
    const { feishu } = client(failingHost(new Error('blip'), 1), { log: undefined });
    expect(await feishu.getRecord(PROGRESS_ID)).toMatchObject({ progressId: PROGRESS_ID });
  });

  it('sleeps on the real clock without a sleep of its own', async () => {
    const started = performance.now();
    const { feishu } = client(failingHost(new Error('blip'), 1), { sleep: undefined, random: () => 0.02 });
    await failure(feishu.getRecord(PROGRESS_ID));
    // 2 % of the first backoff of 1 s.
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
  });

  it('says which of the app id and secret is missing', () => {
    expect(() => new FeishuClient({ baseUrl: BASE, appSecret: 's' })).toThrow('Feishu credentials are incomplete: feishu-app-id is empty; set both feishu-app-id and feishu-app-secret');
  });

  it('keeps a path in the base URL, without its trailing slashes', async () => {
    const host = feishuHost(() => ({ status: 200, body: RECORD }));
    const { feishu } = client(host.agent, { baseUrl: `${BASE}/feishu//` });
    await feishu.createRecord(CREATE_BODY);
    expect(host.sent[0]!.path).toBe('/feishu/open-apis/okr/v1/progress_records?user_id_type=open_id');
  });

  it('accepts http only on loopback hosts, by their whole name', () => {
    expect(checkBaseUrl('http://127.0.0.10:8080').hostname).toBe('127.0.0.10');
    expect(() => checkBaseUrl('http://notlocalhost')).toThrow('must use https');
    expect(() => checkBaseUrl('ftp://127.0.0.1')).toThrow('must use https');
  });

  it.each(['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'])("goes through the runner's proxy when %s alone is set", (name) => {
    const saved = Object.fromEntries(['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].map((n) => [n, process.env[n]]));
    try {
      for (const n of Object.keys(saved)) delete process.env[n];
      expect(defaultDispatcher()).toBeInstanceOf(Agent);
      expect(defaultDispatcher()).not.toBeInstanceOf(EnvHttpProxyAgent);
      process.env[name] = 'http://127.0.0.1:3128';
      expect(defaultDispatcher()).toBeInstanceOf(EnvHttpProxyAgent);
    } finally {
      for (const [n, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[n];
        else process.env[n] = value;
      }
    }
  });
});

describe('answers not understood, per call', () => {
  const ok = (data: unknown): Reply => ({ status: 200, body: { code: 0, msg: 'success', data } });
  const notUnderstood = async (call: (feishu: FeishuClient) => Promise<unknown>, data: unknown) => {
    const host = feishuHost(() => ok(data));
    return ((await failure(call(client(host.agent).feishu))) as Error).message;
  };

  it('names the call and the field, under data', async () => {
    expect(await notUnderstood((f) => f.updateRecord(PROGRESS_ID, { content: CREATE_BODY.content, progress_rate: CREATE_BODY.progress_rate }), {})).toBe(
      "Feishu's answer to PUT /open-apis/okr/v1/progress_records/:id was not understood: data.progress_id: Invalid input: expected string, received undefined; data.modify_time: Invalid input: expected string, received undefined.",
    );
    expect(await notUnderstood((f) => f.listPeriods(), { items: 'none' })).toBe("Feishu's answer to GET /open-apis/okr/v1/periods was not understood: data.items: Invalid input: expected array, received string.");
    expect(await notUnderstood((f) => f.listUserOkrs('ou_a', 'open_id', ['1']), { okr_list: 'none' })).toBe(
      "Feishu's answer to GET /open-apis/okr/v1/users/:id/okrs was not understood: data.okr_list: Invalid input: expected array, received string.",
    );
    expect(await notUnderstood((f) => f.openIdsOfEmails(['a@acme.com']), { user_list: 'none' })).toBe(
      "Feishu's answer to POST /open-apis/contact/v3/users/batch_get_id was not understood: data.user_list: Invalid input: expected array, received string.",
    );
  });

  it('logs an answer without a Feishu code as code none', async () => {
    const host = feishuHost(() => ({ status: 404, body: 'Not Found' }));
    const { feishu, debugs } = client(host.agent);
    await failure(feishu.getRecord(PROGRESS_ID));
    expect(debugs).toEqual(['Feishu GET /open-apis/okr/v1/progress_records/:id: HTTP 404, code none']);
  });
});
