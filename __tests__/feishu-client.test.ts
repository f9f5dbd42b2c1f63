import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { textOfListedContent, type ListedRecord } from '../src/feishu/answers.js';
import { checkBaseUrl, FeishuClient, type FeishuClientOptions } from '../src/feishu/client.js';
import { Agent } from 'undici';
import { AmbiguousWriteError, FeishuError, FeishuStoppedError } from '../src/feishu/errors.js';
import type { CreateProgressRecordRequest, UpdateProgressRecordRequest } from '../src/record/request.js';

// Each test scripts the answers of a small HTTP server on 127.0.0.1 and checks what the
// client sent and what it made of the answers.

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (seen: Seen, res: ServerResponse, req: IncomingMessage) => void;

interface Fake {
  url: string;
  seen: Seen[];
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler): Promise<Fake> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(request);
      handler(request, res, req);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const PROGRESS_ID = '7046317985098760212';
const KEY_RESULT = '7041430377642082323';
const OBJECTIVE = '7043693679567028244';

function tokenAnswer(token = 't-abc'): unknown {
  return { code: 0, msg: 'ok', tenant_access_token: token, expire: 7200 };
}

function recordAnswer(progressId = PROGRESS_ID): unknown {
  return {
    code: 0,
    msg: 'success',
    data: {
      progress_id: progressId,
      modify_time: '1640675837810',
      content: {
        blocks: [
          { type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: '42% ', style: { bold: true } } }, { type: 'textRun', textRun: { text: 'done' } }] } },
          { type: 'gallery', gallery: { imageList: [{ fileToken: 'box1' }] } },
          { type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: 'footer' } }] } },
        ],
      },
      progress_rate: { percent: 42.5, status: 1 },
    },
  };
}

const createBody: CreateProgressRecordRequest = {
  source_title: 'GitHub · acme/widgets',
  source_url: 'https://github.com/acme/widgets/milestone/3',
  target_id: KEY_RESULT,
  target_type: 3,
  content: { blocks: [{ type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: 'hello' } }] } }] },
  progress_rate: { percent: 50.25, status: 0 },
};

const updateBody: UpdateProgressRecordRequest = {
  content: { blocks: [{ type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: 'again' } }] } }] },
  progress_rate: { percent: 60, status: 2 },
};

interface Harness {
  client: FeishuClient;
  sleeps: number[];
  secrets: string[];
  infos: string[];
}

// Sleeps are recorded, not slept; random() is fixed so the backoff waits are exact.
function harness(fake: Fake, options: Partial<FeishuClientOptions> = {}): Harness {
  const sleeps: number[] = [];
  const secrets: string[] = [];
  const infos: string[] = [];
  const client = new FeishuClient({
    baseUrl: fake.url,
    appId: 'cli_a1b2',
    appSecret: 'app-secret-1',
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    setSecret: (secret) => secrets.push(secret),
    log: { info: (m) => infos.push(m), warning: (m) => infos.push(m), debug: () => {} },
    ...options,
  });
  return { client, sleeps, secrets, infos };
}

const isToken = (seen: Seen): boolean => seen.method === 'POST' && seen.url === TOKEN_PATH;

describe('tenant access token', () => {
  it('is fetched once for many calls and sent as a Bearer token; secrets are masked', async () => {
    const fake = await serve((seen, res) => (isToken(seen) ? reply(res, 200, tokenAnswer('t-abc')) : reply(res, 200, recordAnswer())));
    const { client, secrets } = harness(fake);
    expect(secrets).toEqual(['app-secret-1']);

    const first = await client.getRecord(PROGRESS_ID);
    await client.getRecord(PROGRESS_ID);
    await client.getRecord(PROGRESS_ID);

    expect(first).toEqual({ progressId: PROGRESS_ID, modifyTime: '1640675837810', text: '42% done\nfooter', percent: 42.5, status: 1 });
    expect(fake.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `POST ${TOKEN_PATH}`,
      `GET /open-apis/okr/v1/progress_records/${PROGRESS_ID}?user_id_type=open_id`,
      `GET /open-apis/okr/v1/progress_records/${PROGRESS_ID}?user_id_type=open_id`,
      `GET /open-apis/okr/v1/progress_records/${PROGRESS_ID}?user_id_type=open_id`,
    ]);
    expect(JSON.parse(fake.seen[0]!.body)).toEqual({ app_id: 'cli_a1b2', app_secret: 'app-secret-1' });
    expect(fake.seen[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(fake.seen[0]!.headers.authorization).toBeUndefined();
    expect(fake.seen.slice(1).map((s) => s.headers.authorization)).toEqual(['Bearer t-abc', 'Bearer t-abc', 'Bearer t-abc']);
    expect(secrets).toEqual(['app-secret-1', 't-abc']);
    expect(client.requestCount).toBe(4);
  });

  it('uses a given access token as is and masks it', async () => {
    const fake = await serve((_seen, res) => reply(res, 200, recordAnswer()));
    const { client, secrets } = harness(fake, { appId: '', appSecret: '', accessToken: 'u-given' });
    expect(secrets).toEqual(['u-given']);
    await client.getRecord(PROGRESS_ID);
    expect(fake.seen.map((s) => [s.method, s.headers.authorization])).toEqual([['GET', 'Bearer u-given']]);
  });

  it('explains a wrong app secret (10014) and names the input to fix, without retrying', async () => {
    const fake = await serve((_seen, res) => reply(res, 400, { code: 10014, msg: 'app secret invalid' }, { 'x-tt-logid': '20261127abc' }));
    const { client } = harness(fake);
    const error = await client.getRecord(PROGRESS_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeishuError);
    expect((error as FeishuError).message).toBe(
      'Feishu refused: the app secret is wrong (code 10014). Fix the feishu-app-secret input: copy the App Secret of the same app from its Credentials page (resetting it there invalidates the old one). (log id 20261127abc)',
    );
    expect(error).toMatchObject({ code: 10014, httpStatus: 400, logId: '20261127abc', retryable: false });
    // The refusal is the answer for the whole run: the wrong secret is not sent again.
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow('Feishu refused: the app secret is wrong (code 10014).');
    expect(fake.seen).toHaveLength(1);
  });

  it('asks for the token again on a later call when it failed only for a while', async () => {
    let tokenCalls = 0;
    const fake = await serve((seen, res) => {
      if (!isToken(seen)) return reply(res, 200, recordAnswer());
      return ++tokenCalls <= 5 ? reply(res, 503, 'Service Unavailable') : reply(res, 200, tokenAnswer());
    });
    const { client } = harness(fake);
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      `Feishu answered POST ${TOKEN_PATH} with HTTP 503 and no Feishu answer in it. Gave up after 5 attempts.`,
    );
    await expect(client.getRecord(PROGRESS_ID)).resolves.toMatchObject({ progressId: PROGRESS_ID });
    expect(fake.seen.map((s) => s.method)).toEqual(['POST', 'POST', 'POST', 'POST', 'POST', 'POST', 'GET']);
  });

  it('fetches a new token once when Feishu says it expired (99991663), then repeats the call', async () => {
    let tokens = 0;
    const fake = await serve((seen, res) => {
      if (isToken(seen)) return reply(res, 200, tokenAnswer(`t-${++tokens}`));
      if (seen.headers.authorization === 'Bearer t-1') return reply(res, 400, { code: 99991663, msg: 'Invalid access token for authorization.' });
      return reply(res, 200, recordAnswer());
    });
    const { client, secrets, infos } = harness(fake);
    await expect(client.updateRecord(PROGRESS_ID, updateBody)).resolves.toEqual({ progressId: PROGRESS_ID, modifyTime: '1640675837810' });
    expect(fake.seen.map((s) => (isToken(s) ? 'token' : `${s.method} ${s.headers.authorization}`))).toEqual([
      'token',
      'PUT Bearer t-1',
      'token',
      'PUT Bearer t-2',
    ]);
    expect(secrets).toEqual(['app-secret-1', 't-1', 't-2']);
    expect(infos).toContain('Feishu says the tenant access token is invalid or has expired (code 99991663); fetching a new one.');
  });

  it('stops after one renewal when the new token is refused too', async () => {
    const fake = await serve((seen, res) =>
      isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 400, { code: 99991663, msg: 'Invalid access token for authorization.' }),
    );
    const { client } = harness(fake);
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      'Feishu refused: the tenant access token is invalid or has expired (code 99991663). A freshly fetched token was refused too; check that the app is enabled and installed in this tenant.',
    );
    expect(fake.seen.map((s) => s.method)).toEqual(['POST', 'GET', 'POST', 'GET']);
  });

  it('explains that a given access token expired, without asking for another', async () => {
    const fake = await serve((_seen, res) => reply(res, 400, { code: 99991663, msg: 'Invalid access token for authorization.' }, { 'x-tt-logid': 'L1' }));
    const { client } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-old' });
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      'Feishu refused: the access token is invalid or has expired (code 99991663). The token in feishu-access-token has expired (tenant and user tokens live at most 2 hours). Set feishu-app-id and feishu-app-secret instead, so that each run fetches a fresh token. (log id L1)',
    );
    expect(fake.seen).toHaveLength(1);
  });

  it('refuses to start without credentials', () => {
    expect(() => new FeishuClient({ baseUrl: 'https://open.feishu.cn' })).toThrow(
      'Feishu credentials are missing: set feishu-app-id and feishu-app-secret, or feishu-access-token',
    );
    expect(() => new FeishuClient({ baseUrl: 'https://open.feishu.cn', appId: 'cli_x' })).toThrow(
      'Feishu credentials are incomplete: feishu-app-secret is empty; set both feishu-app-id and feishu-app-secret',
    );
  });
});

describe('token renewal', () => {
  it('fetches a new token once on 99991664 too, then repeats the call', async () => {
    let tokens = 0;
    const fake = await serve((seen, res) => {
      if (isToken(seen)) return reply(res, 200, tokenAnswer(`t-${++tokens}`));
      if (seen.headers.authorization === 'Bearer t-1') return reply(res, 400, { code: 99991664, msg: 'Invalid access token for authorization.' });
      return reply(res, 200, recordAnswer());
    });
    const { client, infos } = harness(fake);
    await client.getRecord(PROGRESS_ID);
    expect(fake.seen.map((s) => (isToken(s) ? 'token' : `${s.method} ${s.headers.authorization}`))).toEqual(['token', 'GET Bearer t-1', 'token', 'GET Bearer t-2']);
    expect(infos).toContain('Feishu says the tenant access token is invalid or has expired (code 99991664); fetching a new one.');
  });

  it('renews the tenant token 3 minutes before it expires, on the injected clock', async () => {
    let clock = 1_000_000;
    let tokens = 0;
    const fake = await serve((seen, res) => {
      if (isToken(seen)) return reply(res, 200, { code: 0, msg: 'ok', tenant_access_token: `t-${++tokens}`, expire: 600 });
      return reply(res, 200, recordAnswer());
    });
    const { client, infos, secrets } = harness(fake, { now: () => clock, deadlineMs: 60 * 60_000 });
    await client.getRecord(PROGRESS_ID);
    clock += 7 * 60_000 - 1; // 10 min lifetime: still 3 min and 1 ms left
    await client.getRecord(PROGRESS_ID);
    clock += 1;
    await client.getRecord(PROGRESS_ID);
    clock += 6 * 60_000;
    await client.getRecord(PROGRESS_ID);
    expect(fake.seen.map((s) => (isToken(s) ? 'token' : s.headers.authorization))).toEqual([
      'token',
      'Bearer t-1',
      'Bearer t-1',
      'token',
      'Bearer t-2',
      'Bearer t-2',
    ]);
    expect(infos.filter((m) => m.includes('expires within'))).toEqual(['The tenant access token expires within 3 minutes; fetching a new one.']);
    expect(secrets).toEqual(['app-secret-1', 't-1', 't-2']);
  });
});

describe('a fatal error stops the Feishu work of the run', () => {
  it('a refused app secret: the first call says what to fix, later calls throw it again without a request', async () => {
    const fake = await serve((_seen, res) => reply(res, 400, { code: 10014, msg: 'app secret invalid' }, { 'x-tt-logid': 'S1' }));
    const { client, sleeps } = harness(fake);
    const message =
      'Feishu refused: the app secret is wrong (code 10014). Fix the feishu-app-secret input: copy the App Secret of the same app from its Credentials page (resetting it there invalidates the old one). (log id S1)';
    await expect(client.getRecord(PROGRESS_ID)).rejects.toMatchObject({ name: 'FeishuError', fatal: true, message });
    const later = client.createRecord(createBody);
    await expect(later).rejects.toBeInstanceOf(FeishuStoppedError);
    await expect(later).rejects.toMatchObject({ message, code: 10014 });
    await expect(client.uploadImage(Buffer.from('x'), 3, KEY_RESULT)).rejects.toThrow(message);
    expect(fake.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(client.stopped?.message).toBe(message);
  });

  it.each([
    ['a user token Feishu no longer accepts (99991668)', 400, { code: 99991668, msg: 'user access token invalid' }, 'Feishu refused: the user access token is invalid or has expired (code 99991668).'],
    ['HTTP 401 with a Feishu code', 401, { code: 99991665, msg: 'invalid token' }, 'Feishu refused: the tenant access token is invalid (code 99991665).'],
    ['HTTP 403 without a Feishu answer', 403, 'Forbidden', 'Feishu answered GET /open-apis/okr/v1/progress_records/:id with HTTP 403 and no Feishu answer in it. The credentials were refused'],
  ])('%s', async (_name, status, body, start) => {
    const fake = await serve((_seen, res) => reply(res, status, body));
    const { client } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 'u-given' });
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(start);
    await expect(client.getRecord(PROGRESS_ID)).rejects.toBeInstanceOf(FeishuStoppedError);
    expect(fake.seen).toHaveLength(1);
  });

  it('a tenant token refused again after one renewal', async () => {
    const fake = await serve((seen, res) =>
      isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 400, { code: 99991663, msg: 'Invalid access token for authorization.' }),
    );
    const { client } = harness(fake);
    await expect(client.getRecord(PROGRESS_ID)).rejects.toMatchObject({ fatal: true, code: 99991663 });
    await expect(client.updateRecord(PROGRESS_ID, updateBody)).rejects.toBeInstanceOf(FeishuStoppedError);
    expect(fake.seen.map((s) => s.method)).toEqual(['POST', 'GET', 'POST', 'GET']);
  });

  it('a host name that does not resolve: no retry', async () => {
    const dispatcher = new Agent({
      connect: {
        lookup: (hostname, _options, callback) => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 4),
      },
    });
    const { client, sleeps } = harness({ url: 'https://open.feishu.example', seen: [] }, { dispatcher });
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      'Could not reach Feishu at https://open.feishu.example: the host name could not be resolved (ENOTFOUND). Check the host name in feishu-base-url (https://open.feishu.cn for Feishu, https://open.larksuite.com for Lark) and that the runner can resolve it.',
    );
    await expect(client.getRecord(PROGRESS_ID)).rejects.toBeInstanceOf(FeishuStoppedError);
    expect([client.requestCount, sleeps]).toEqual([1, []]);
    await dispatcher.close();
  });

  it('a TLS handshake that fails (https to a server that speaks plain http): no retry, the fix named', async () => {
    const fake = await serve((_seen, res) => reply(res, 200, tokenAnswer()));
    const { client, sleeps } = harness({ ...fake, url: fake.url.replace('http:', 'https:') });
    const failed = client.getRecord(PROGRESS_ID);
    await expect(failed).rejects.toThrow(/^Could not reach Feishu at https:\/\/127\.0\.0\.1:\d+: the TLS connection failed \((ERR_SSL_|EPROTO)[^)]*\)\. Check that feishu-base-url/);
    await expect(failed).rejects.toThrow("behind a proxy that inspects TLS, give Node its CA certificate with NODE_EXTRA_CA_CERTS.");
    await expect(client.getRecord(PROGRESS_ID)).rejects.toBeInstanceOf(FeishuStoppedError);
    expect([client.requestCount, sleeps, fake.seen]).toEqual([1, [], []]);
  });

  it('a host that stays unreachable through the retries stops the rest too', async () => {
    const dispatcher = new Agent({
      connect: { lookup: (_hostname, _options, callback) => callback(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }), '', 4) },
    });
    const { client, sleeps } = harness({ url: 'https://open.feishu.example', seen: [] }, { dispatcher });
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      'Could not reach Feishu at https://open.feishu.example: the host name could not be resolved (EAI_AGAIN). Gave up after 5 attempts.',
    );
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
    await expect(client.getRecord(PROGRESS_ID)).rejects.toBeInstanceOf(FeishuStoppedError);
    expect(client.requestCount).toBe(5);
    await dispatcher.close();
  });

  it('a refusal of one call or one OKR stops nothing', async () => {
    const fake = await serve((seen, res) =>
      isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 400, { code: 1001002, msg: 'no permission' }),
    );
    const { client } = harness(fake);
    await expect(client.getRecord(PROGRESS_ID)).rejects.toMatchObject({ code: 1001002, fatal: false });
    await expect(client.getRecord(PROGRESS_ID)).rejects.toMatchObject({ code: 1001002, fatal: false });
    expect(fake.seen.map((s) => s.method)).toEqual(['POST', 'GET', 'GET']);
    expect(client.stopped).toBeUndefined();
  });
});

describe('retries', () => {
  it('waits as long as a rate limit answer asks (default 1 s, at most 60 s), then succeeds', async () => {
    let calls = 0;
    const fake = await serve((_seen, res) => {
      calls += 1;
      const limited = { code: 99991400, msg: 'request trigger frequency limit' };
      if (calls === 1) return reply(res, 429, limited, { 'x-ogw-ratelimit-reset': '3' });
      if (calls === 2) return reply(res, 429, limited);
      if (calls === 3) return reply(res, 429, limited, { 'x-ogw-ratelimit-reset': '600' });
      return reply(res, 200, recordAnswer());
    });
    const { client, sleeps, infos } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x' });
    await expect(client.getRecord(PROGRESS_ID)).resolves.toMatchObject({ progressId: PROGRESS_ID });
    expect(sleeps).toEqual([3000, 1000, 60_000]);
    expect(fake.seen).toHaveLength(4);
    expect(infos[0]).toBe("Feishu's rate limit for GET /open-apis/okr/v1/progress_records/:id was reached; waiting 3 s as Feishu asks.");
  });

  it('retries server errors with backoff and succeeds on the third attempt', async () => {
    let calls = 0;
    const fake = await serve((_seen, res) =>
      ++calls <= 2 ? reply(res, 500, { code: 1009999, msg: 'internal server error' }) : reply(res, 200, recordAnswer()),
    );
    const { client, sleeps } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x' });
    await expect(client.updateRecord(PROGRESS_ID, updateBody)).resolves.toEqual({ progressId: PROGRESS_ID, modifyTime: '1640675837810' });
    // random() is 0.5: half of 1 s, then half of 2 s.
    expect(sleeps).toEqual([500, 1000]);
    expect(fake.seen.map((s) => s.method)).toEqual(['PUT', 'PUT', 'PUT']);
    expect(fake.seen.map((s) => JSON.parse(s.body))).toEqual([updateBody, updateBody, updateBody]);
    expect(fake.seen[0]!.url).toBe(`/open-apis/okr/v1/progress_records/${PROGRESS_ID}?user_id_type=open_id`);
  });

  it('gives up after four retries of a server error, with the code and log id', async () => {
    const fake = await serve((_seen, res) =>
      reply(res, 500, { code: 1009998, msg: 'system exception', error: { log_id: '2026112715000001' } }),
    );
    const { client, sleeps } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x' });
    const error = await client.getRecord(PROGRESS_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeishuError);
    expect((error as Error).message).toBe(
      "Feishu failed: system exception on Feishu's side (code 1009998). Try again later. Gave up after 5 attempts. (log id 2026112715000001)",
    );
    expect(error).toMatchObject({ code: 1009998, httpStatus: 500, logId: '2026112715000001', retryable: true });
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
    expect(fake.seen).toHaveLength(5);
  });

  it('does not retry a refusal and names the missing scope', async () => {
    const fake = await serve((seen, res) =>
      isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 400, { code: 1001002, msg: 'no permission' }, { 'x-tt-logid': '2026112799' }),
    );
    const { client, sleeps } = harness(fake);
    await expect(client.createRecord(createBody)).rejects.toThrow(
      'Feishu refused: the app has no permission for this OKR (code 1001002). Grant the app the okr:okr.progress:writeonly (or okr:okr) scope in the Feishu developer console, publish a new version of the app, and make sure the app may see the OKR of key_result "7041430377642082323". (log id 2026112799)',
    );
    const posts = fake.seen.filter((s) => !isToken(s));
    expect(posts.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /open-apis/okr/v1/progress_records?user_id_type=open_id']);
    expect(posts[0]!.body).toBe(JSON.stringify(createBody));
    expect(sleeps).toEqual([]);
  });

  it('turns a create whose connection broke after sending into AmbiguousWriteError, sent once', async () => {
    const fake = await serve((seen, res, req) => (isToken(seen) ? reply(res, 200, tokenAnswer()) : req.socket.destroy()));
    const { client, sleeps } = harness(fake);
    const error = await client.createRecord(createBody).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousWriteError);
    expect(error).toBeInstanceOf(FeishuError);
    expect(error).toMatchObject({ name: 'AmbiguousWriteError', retryable: false, code: undefined });
    expect((error as Error).message).toMatch(
      /^The request to create a progress record was sent to Feishu, but the connection was (reset \(ECONNRESET\)|closed before an answer came \(UND_ERR_SOCKET\)): Feishu may have stored the record or not\.$/,
    );
    expect(fake.seen.filter((s) => s.method === 'POST' && !isToken(s))).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries an update whose connection broke', async () => {
    let calls = 0;
    const fake = await serve((_seen, res, req) => (++calls === 1 ? req.socket.destroy() : reply(res, 200, recordAnswer())));
    const { client, sleeps } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x' });
    await expect(client.updateRecord(PROGRESS_ID, updateBody)).resolves.toEqual({ progressId: PROGRESS_ID, modifyTime: '1640675837810' });
    expect(fake.seen.map((s) => s.method)).toEqual(['PUT', 'PUT']);
    expect(sleeps).toEqual([500]);
  });

  it('bounds each request by timeoutMs and retries a read that timed out', async () => {
    const fake = await serve(() => {});
    const { client, sleeps } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x', timeoutMs: 100 });
    const started = Date.now();
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      `Could not reach Feishu at ${fake.url}: no answer came within 0.1 s. Gave up after 5 attempts.`,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(fake.seen).toHaveLength(5);
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
  });

  it('does not repeat a create that timed out', async () => {
    const fake = await serve(() => {});
    const { client } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x', timeoutMs: 100 });
    const error = await client.createRecord(createBody).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).message).toBe(
      'The request to create a progress record was sent to Feishu, but no answer came within 0.1 s: Feishu may have stored the record or not.',
    );
    expect(fake.seen).toHaveLength(1);
  });

  it('does not retry a refused connection: the port will not open within the run', async () => {
    const fake = await serve(() => {});
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    const { client, sleeps } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x' });
    await expect(client.createRecord(createBody)).rejects.toMatchObject({
      name: 'FeishuError',
      fatal: true,
      message: `Could not reach Feishu at ${fake.url}: the connection was refused (ECONNREFUSED). Check feishu-base-url (https://open.feishu.cn for Feishu, https://open.larksuite.com for Lark) and that the runner may connect to it (a firewall; a proxy set in HTTPS_PROXY, excluded by NO_PROXY).`,
    });
    expect(sleeps).toEqual([]);
    expect(client.requestCount).toBe(1);
  });

  it('never waits past the deadline of the run', async () => {
    let clock = 1_000_000;
    const fake = await serve((_seen, res) =>
      reply(res, 429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-reset': '45', 'x-tt-logid': 'RL' }),
    );
    const { client, sleeps } = harness(fake, {
      appId: undefined,
      appSecret: undefined,
      accessToken: 't-x',
      deadlineMs: 60_000,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      "Feishu refused: too many requests (code 99991400). The app reached its rate limit for this API (100 a minute); try again later. Stopped: waiting 45 s more would go past the 60 s allowed for this run's Feishu calls. (log id RL)",
    );
    expect(sleeps).toEqual([45_000]);
    expect(fake.seen).toHaveLength(2);
  });

  it('counts the deadline from the first request, not from when the client was made', async () => {
    let clock = 1_000_000;
    const fake = await serve((_seen, res) =>
      reply(res, 429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-reset': '45', 'x-tt-logid': 'RL' }),
    );
    const { client, sleeps } = harness(fake, {
      appId: undefined,
      appSecret: undefined,
      accessToken: 't-x',
      deadlineMs: 60_000,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    // The run's GitHub work comes first and does not use up Feishu's time.
    clock += 50_000;
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow("Stopped: waiting 45 s more would go past the 60 s allowed for this run's Feishu calls.");
    expect(sleeps).toEqual([45_000]);
    expect(fake.seen).toHaveLength(2);
  });

  it('explains an answer that does not come from Feishu', async () => {
    const fake = await serve((_seen, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>Not Found</html>');
    });
    const { client } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x' });
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      `Feishu answered GET /open-apis/okr/v1/progress_records/:id with HTTP 404 and no Feishu answer in it. Check that feishu-base-url (${fake.url}) is the Feishu or Lark API host.`,
    );
    expect(fake.seen).toHaveLength(1);
  });

  it('refuses an id that arrived as a JSON number, and treats such a create answer as ambiguous', async () => {
    // Written as raw JSON: the 19-digit id is a number that JavaScript cannot hold exactly.
    const raw = `{"code":0,"msg":"success","data":{"progress_id":${PROGRESS_ID},"modify_time":"1640675837810"}}`;
    const fake = await serve((_seen, res) => reply(res, 200, raw, { 'x-tt-logid': 'N1' }));
    const { client } = harness(fake, { appId: undefined, appSecret: undefined, accessToken: 't-x' });
    await expect(client.getRecord(PROGRESS_ID)).rejects.toThrow(
      "Feishu's answer to GET /open-apis/okr/v1/progress_records/:id was not understood: data.progress_id: Invalid input: expected string, received number. (log id N1)",
    );
    const error = await client.createRecord(createBody).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).message).toBe(
      'Feishu accepted the request to create a progress record, but its answer was not understood (data.progress_id: Invalid input: expected string, received number): the record may exist. (log id N1)',
    );
  });
});

describe('pacing', () => {
  function clockHarness(fake: Fake): Harness & { advance(ms: number): void } {
    let clock = 5_000_000;
    const h = harness(fake, {
      ratePerMinute: 3,
      now: () => clock,
      sleep: async (ms) => {
        h.sleeps.push(ms);
        clock += ms;
      },
    });
    return { ...h, advance: (ms) => (clock += ms) };
  }

  it('holds the fourth request to an endpoint until the oldest leaves the 60 s window, plus a second; token calls count apart', async () => {
    const fake = await serve((seen, res) => (isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 200, recordAnswer())));
    const { client, sleeps, advance } = clockHarness(fake);
    await client.getRecord(PROGRESS_ID);
    advance(10_000);
    await client.getRecord(PROGRESS_ID);
    advance(10_000);
    await client.getRecord(PROGRESS_ID);
    advance(10_000);
    expect(sleeps).toEqual([]);
    await client.getRecord(PROGRESS_ID);
    // The first request went out 30 s ago: its slot frees in 30 s, and a second for Feishu to count it gone.
    expect(sleeps).toEqual([31_000]);
    expect(fake.seen.filter((s) => s.method === 'GET')).toHaveLength(4);
    expect(client.requestCount).toBe(5);
  });

  it('paces each endpoint on its own', async () => {
    const fake = await serve((seen, res) => (isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 200, recordAnswer())));
    const { client, sleeps } = clockHarness(fake);
    for (let i = 0; i < 3; i += 1) await client.getRecord(PROGRESS_ID);
    for (let i = 0; i < 3; i += 1) await client.updateRecord(PROGRESS_ID, updateBody);
    expect(sleeps).toEqual([]);
    await client.createRecord(createBody);
    expect(sleeps).toEqual([]);
    await client.updateRecord(PROGRESS_ID, updateBody);
    expect(sleeps).toEqual([61_000]);
  });
});

describe('listing the records of a target (OKR v2)', () => {
  function listed(id: string, created: string, text: string, percent?: number, status?: number): unknown {
    return {
      id,
      create_time: created,
      update_time: String(Number(created) + 1000),
      entity_type: 2,
      entity_id: OBJECTIVE,
      content: {
        blocks: [
          {
            block_element_type: 'paragraph',
            paragraph: { elements: [{ paragraph_element_type: 'textRun', text_run: { text } }] },
          },
        ],
      },
      ...(percent !== undefined && { progress_rate: { progress_percent: percent, progress_status: status } }),
    };
  }

  it('follows page_token across pages and keeps 19-digit ids as strings', async () => {
    const fake = await serve((seen, res) => {
      if (isToken(seen)) return reply(res, 200, tokenAnswer());
      const page = new URL(seen.url, 'http://x').searchParams.get('page_token');
      if (page === null) {
        return reply(res, 200, {
          code: 0,
          msg: 'success',
          data: { has_more: true, page_token: 'next-1', items: [listed('7300000000000000003', '1764000000000', 'third', 50, 0), listed('7300000000000000002', '1763000000000', 'second')] },
        });
      }
      return reply(res, 200, { code: 0, msg: 'success', data: { has_more: false, page_token: '', items: [listed('7300000000000000001', '1762000000000', 'first', 10.25, 2)] } });
    });
    const { client } = harness(fake);
    const records: ListedRecord[] = [];
    for await (const record of client.listRecords(2, OBJECTIVE)) records.push(record);

    expect(records).toEqual([
      { id: '7300000000000000003', createTime: 1764000000000, updateTime: 1764000001000, text: 'third', percent: 50, status: 0 },
      { id: '7300000000000000002', createTime: 1763000000000, updateTime: 1763000001000, text: 'second' },
      { id: '7300000000000000001', createTime: 1762000000000, updateTime: 1762000001000, text: 'first', percent: 10.25, status: 2 },
    ]);
    expect(fake.seen.filter((s) => !isToken(s)).map((s) => `${s.method} ${s.url}`)).toEqual([
      `GET /open-apis/okr/v2/objectives/${OBJECTIVE}/progresses?page_size=100`,
      `GET /open-apis/okr/v2/objectives/${OBJECTIVE}/progresses?page_size=100&page_token=next-1`,
    ]);
  });

  it('lists the records of a key result, also when there are none', async () => {
    const fake = await serve((seen, res) =>
      isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 200, { code: 0, msg: 'success', data: { has_more: false, items: null } }),
    );
    const { client } = harness(fake);
    const records: ListedRecord[] = [];
    for await (const record of client.listRecords(3, KEY_RESULT)) records.push(record);
    expect(records).toEqual([]);
    expect(fake.seen[1]!.url).toBe(`/open-apis/okr/v2/key_results/${KEY_RESULT}/progresses?page_size=100`);
  });

  it('stops with an error when Feishu hands out the same page token again', async () => {
    const fake = await serve((seen, res) =>
      isToken(seen)
        ? reply(res, 200, tokenAnswer())
        : reply(res, 200, { code: 0, msg: 'success', data: { has_more: true, page_token: 'same', items: [] } }, { 'x-tt-logid': 'P1' }),
    );
    const { client } = harness(fake);
    const consume = async (): Promise<void> => {
      for await (const record of client.listRecords(3, KEY_RESULT)) void record;
    };
    await expect(consume()).rejects.toThrow(
      `Feishu's list of the records of key_result "${KEY_RESULT}" said there were more pages but gave a page token it had given before. (log id P1)`,
    );
    expect(fake.seen.filter((s) => !isToken(s))).toHaveLength(2);
  });

  it('ends the list at a page without has_more and page_token, as the SDK types allow', async () => {
    const fake = await serve((seen, res) => {
      if (isToken(seen)) return reply(res, 200, tokenAnswer());
      const page = new URL(seen.url, 'http://x').searchParams.get('page_token');
      if (page === null) return reply(res, 200, { code: 0, msg: 'success', data: { has_more: true, page_token: 'p2', items: [listed('7300000000000000002', '1763000000000', 'second')] } });
      return reply(res, 200, { code: 0, msg: 'success', data: { items: [listed('7300000000000000001', '1762000000000', 'first')] } });
    });
    const { client } = harness(fake);
    const records: ListedRecord[] = [];
    for await (const record of client.listRecords(2, OBJECTIVE)) records.push(record);
    expect(records.map((r) => r.id)).toEqual(['7300000000000000002', '7300000000000000001']);
    expect(fake.seen.filter((s) => !isToken(s))).toHaveLength(2);
  });

  it('stops with an error when Feishu says there are more pages but gives no page token', async () => {
    const fake = await serve((seen, res) =>
      isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 200, { code: 0, msg: 'success', data: { has_more: true, items: [] } }, { 'x-tt-logid': 'P2' }),
    );
    const { client } = harness(fake);
    const consume = async (): Promise<void> => {
      for await (const record of client.listRecords(3, KEY_RESULT)) void record;
    };
    await expect(consume()).rejects.toThrow(
      `Feishu's list of the records of key_result "${KEY_RESULT}" said there were more pages but gave no page token. (log id P2)`,
    );
  });

  it('stops after 100 pages of a list that never ends', async () => {
    let page = 0;
    const fake = await serve((seen, res) =>
      isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 200, { code: 0, msg: 'success', data: { has_more: true, page_token: `p${++page}`, items: [] } }),
    );
    const { client } = harness(fake, { ratePerMinute: 1000 });
    const consume = async (): Promise<void> => {
      for await (const record of client.listRecords(3, KEY_RESULT)) void record;
    };
    await expect(consume()).rejects.toThrow(
      `Feishu's list of the records of key_result "${KEY_RESULT}" still had more pages after 100; stopped reading it rather than guess which record is this period's.`,
    );
    expect(fake.seen.filter((s) => !isToken(s))).toHaveLength(100);
  });

  it('explains a missing read scope on the list', async () => {
    const fake = await serve((seen, res) =>
      isToken(seen) ? reply(res, 200, tokenAnswer()) : reply(res, 400, { code: 1001002, msg: 'no permission' }),
    );
    const { client } = harness(fake);
    const consume = async (): Promise<void> => {
      for await (const record of client.listRecords(2, OBJECTIVE)) void record;
    };
    await expect(consume()).rejects.toMatchObject({
      code: 1001002,
      message: `Feishu refused: the app has no permission for this OKR (code 1001002). Grant the app the okr:okr.progress:readonly (or okr:okr) scope in the Feishu developer console, publish a new version of the app, and make sure the app may see the OKR of objective "${OBJECTIVE}".`,
    });
  });
});

describe('textOfListedContent', () => {
  it('joins the text runs of each paragraph and puts paragraphs on their own lines', () => {
    const content = {
      blocks: [
        {
          block_element_type: 'paragraph',
          paragraph: {
            elements: [
              { paragraph_element_type: 'textRun', text_run: { text: '42%', style: { bold: true } } },
              { paragraph_element_type: 'person', mention: { user_id: 'ou_1' } },
              { paragraph_element_type: 'textRun', text_run: { text: ' of 10' } },
            ],
          },
        },
        { block_element_type: 'gallery', gallery: { images: [{ file_token: 'box' }] } },
        { block_element_type: 'paragraph', paragraph: { elements: [] } },
        { block_element_type: 'paragraph', paragraph: { elements: [{ paragraph_element_type: 'textRun', text_run: { text: 'okr-progress · acme/widgets · 2026-W48' } }] } },
      ],
    };
    expect(textOfListedContent(content)).toBe('42% of 10\n\nokr-progress · acme/widgets · 2026-W48');
  });

  it('reads nothing from an empty or missing content', () => {
    expect(textOfListedContent(undefined)).toBe('');
    expect(textOfListedContent({ blocks: null })).toBe('');
  });
});

describe('checkBaseUrl', () => {
  it('accepts https anywhere and http on loopback hosts', () => {
    expect(checkBaseUrl('https://open.feishu.cn').href).toBe('https://open.feishu.cn/');
    expect(checkBaseUrl('https://open.larksuite.com/').hostname).toBe('open.larksuite.com');
    expect(checkBaseUrl('http://127.0.0.1:8080').port).toBe('8080');
    expect(checkBaseUrl('http://127.1.2.3').hostname).toBe('127.1.2.3');
    expect(checkBaseUrl('http://localhost:3000').hostname).toBe('localhost');
    expect(checkBaseUrl('http://[::1]:3000').hostname).toBe('[::1]');
  });

  it('refuses plain http elsewhere, other schemes and non-URLs, saying what to use', () => {
    const https =
      'must use https (plain http is allowed only for loopback hosts such as http://127.0.0.1), so that tokens never travel unencrypted; use https://open.feishu.cn or https://open.larksuite.com';
    expect(() => checkBaseUrl('http://example.com')).toThrow(`feishu-base-url "http://example.com" ${https}`);
    expect(() => checkBaseUrl('http://127.0.0.1.example.com')).toThrow(`feishu-base-url "http://127.0.0.1.example.com" ${https}`);
    expect(() => checkBaseUrl('ftp://open.feishu.cn')).toThrow(`feishu-base-url "ftp://open.feishu.cn" ${https}`);
    expect(() => checkBaseUrl('open.feishu.cn')).toThrow(
      'feishu-base-url "open.feishu.cn" is not a URL; use https://open.feishu.cn or https://open.larksuite.com',
    );
  });

  it('is applied by the client', () => {
    expect(() => new FeishuClient({ baseUrl: 'http://open.feishu.cn', accessToken: 't-x' })).toThrow('feishu-base-url "http://open.feishu.cn" must use https');
  });
});
