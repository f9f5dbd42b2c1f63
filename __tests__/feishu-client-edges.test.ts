import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FeishuClient, type FeishuClientOptions } from '../src/feishu/client.js';
import { AmbiguousWriteError, FeishuError } from '../src/feishu/errors.js';
import { CREATE_BODY } from './fixtures/create-request.js';

// The edges of the client's reading of an answer: which HTTP statuses and Feishu codes count
// as success, as a rate limit, as worth another try, as a create that may have been stored;
// how long it waits; where the deadline falls. Every wait is recorded on a clock of the
// test's own, never slept.

interface Seen {
  method: string;
  url: string;
}

type Handler = (seen: Seen, res: ServerResponse, req: IncomingMessage) => void;

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '' };
      seen.push(request);
      handler(request, res, req);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const PROGRESS_ID = '7046317985098760212';
const RECORD = { code: 0, msg: 'success', data: { progress_id: PROGRESS_ID, modify_time: '1640675837810' } };
const LIMITED = { code: 99991400, msg: 'request trigger frequency limit' };


/** A client with a given token, a clock that only the test (and the recorded sleeps) move, and random() 0.5. */
function client(url: string, options: Partial<FeishuClientOptions> = {}) {
  const clock = { now: 1_000_000 };
  const sleeps: number[] = [];
  const infos: string[] = [];
  const feishu = new FeishuClient({
    baseUrl: url,
    accessToken: 't-x',
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    random: () => 0.5,
    log: { info: (m) => infos.push(m), warning: (m) => infos.push(m), debug: () => {} },
    ...options,
  });
  return { feishu, clock, sleeps, infos };
}

/** Answers the scripted replies in turn, then the last one again. */
function script(...replies: ((res: ServerResponse) => void)[]): Handler {
  let calls = 0;
  return (_seen, res) => replies[Math.min(calls++, replies.length - 1)]!(res);
}

const failure = (promise: Promise<unknown>): Promise<unknown> => promise.catch((error: unknown) => error);

describe('success is HTTP 2xx with code 0, nothing else', () => {
  it.each([400, 300])('HTTP %i with code 0 is not a success', async (status) => {
    const fake = await serve(script((res) => reply(res, status, RECORD)));
    const { feishu, sleeps } = client(fake.url);
    await expect(feishu.getRecord(PROGRESS_ID)).rejects.toThrow(
      `Feishu answered GET /open-apis/okr/v1/progress_records/:id with HTTP ${status} and no Feishu answer in it. Check that feishu-base-url (${fake.url}) is the Feishu or Lark API host.`,
    );
    expect([fake.seen.length, sleeps.length]).toEqual([1, 0]);
  });

  it('HTTP 500 with code 0 is a server failure, tried again', async () => {
    const fake = await serve(script((res) => reply(res, 500, RECORD), (res) => reply(res, 299, RECORD)));
    const { feishu, sleeps } = client(fake.url);
    await expect(feishu.getRecord(PROGRESS_ID)).resolves.toMatchObject({ progressId: PROGRESS_ID });
    expect(sleeps).toEqual([500]);
    expect(fake.seen).toHaveLength(2);
  });
});

describe('rate limits: HTTP 429 or code 99991400, either one', () => {
  it('HTTP 429 without a Feishu code waits as the reset header asks', async () => {
    const fake = await serve(script((res) => reply(res, 429, '<html>slow down</html>', { 'x-ogw-ratelimit-reset': '2' }), (res) => reply(res, 200, RECORD)));
    const { feishu, sleeps, infos } = client(fake.url);
    await expect(feishu.getRecord(PROGRESS_ID)).resolves.toMatchObject({ progressId: PROGRESS_ID });
    expect(sleeps).toEqual([2000]);
    expect(infos).toEqual(["Feishu's rate limit for GET /open-apis/okr/v1/progress_records/:id was reached; waiting 2 s as Feishu asks."]);
  });

  it.each([200, 400])('code 99991400 with HTTP %i is a rate limit too', async (status) => {
    const fake = await serve(script((res) => reply(res, status, LIMITED, { 'x-ogw-ratelimit-reset': '7' }), (res) => reply(res, 200, RECORD)));
    const { feishu, sleeps } = client(fake.url);
    await expect(feishu.getRecord(PROGRESS_ID)).resolves.toMatchObject({ progressId: PROGRESS_ID });
    expect(sleeps).toEqual([7000]);
  });

  it.each([
    ['blank', '', 1000],
    ['spaces', '  ', 1000],
    ['negative', '-5', 1000],
    ['not a number', 'soon', 1000],
    ['zero', '0', 0],
    ['a fraction', '2.5', 2500],
    ['exactly the cap', '60', 60_000],
    ['over the cap', '61', 60_000],
  ])('reset header %s (%j): a wait of %i ms', async (_label, reset, wait) => {
    const fake = await serve(script((res) => reply(res, 429, LIMITED, { 'x-ogw-ratelimit-reset': reset }), (res) => reply(res, 200, RECORD)));
    const { feishu, sleeps } = client(fake.url);
    await feishu.getRecord(PROGRESS_ID);
    expect(sleeps).toEqual([wait]);
  });

  it('waits ten times at most, then gives up', async () => {
    const fake = await serve(script((res) => reply(res, 429, LIMITED, { 'x-ogw-ratelimit-reset': '1', 'x-tt-logid': 'RL' })));
    const { feishu, sleeps } = client(fake.url);
    const error = await failure(feishu.getRecord(PROGRESS_ID));
    expect(error).toBeInstanceOf(FeishuError);
    expect((error as Error).message).toBe(
      'Feishu refused: too many requests (code 99991400). The app reached its rate limit for this API (100 a minute); try again later. Still rate limited after 10 waits. (log id RL)',
    );
    expect(error).toMatchObject({ code: 99991400, httpStatus: 429, logId: 'RL', retryable: true });
    expect(sleeps).toEqual(Array(10).fill(1000));
    expect(fake.seen).toHaveLength(11);
  });
});

describe('Feishu codes on 5xx answers', () => {
  it('a code that is not worth retrying on its own is retried when the status is 500', async () => {
    const fake = await serve(script((res) => reply(res, 500, { code: 1001001, msg: 'invalid parameters' }), (res) => reply(res, 200, RECORD)));
    const { feishu, sleeps } = client(fake.url);
    await expect(feishu.getRecord(PROGRESS_ID)).resolves.toMatchObject({ progressId: PROGRESS_ID });
    expect(sleeps).toEqual([500]);
    expect(fake.seen).toHaveLength(2);
  });

  it('the same code with HTTP 499 is not retried', async () => {
    const fake = await serve(script((res) => reply(res, 499, { code: 1001001, msg: 'invalid parameters' })));
    const { feishu, sleeps } = client(fake.url);
    const error = await failure(feishu.getRecord(PROGRESS_ID));
    expect(error).toMatchObject({ code: 1001001, httpStatus: 499, retryable: false });
    expect([fake.seen.length, sleeps.length]).toEqual([1, 0]);
  });

  it('a retryable code with HTTP 200 is retried', async () => {
    const fake = await serve(script((res) => reply(res, 200, { code: 1009999, msg: 'internal error' }), (res) => reply(res, 200, RECORD)));
    const { feishu, sleeps } = client(fake.url);
    await expect(feishu.getRecord(PROGRESS_ID)).resolves.toMatchObject({ progressId: PROGRESS_ID });
    expect(sleeps).toEqual([500]);
  });
});

describe('a create answered without a Feishu answer', () => {
  it.each([
    [200, ''],
    [201, 'created'],
    [299, '{}'],
    [502, '<html>Bad Gateway</html>'],
    [504, ''],
  ])('HTTP %i (%j) may have stored the record: AmbiguousWriteError, sent once', async (status, body) => {
    const fake = await serve(script((res) => reply(res, status, body, { 'x-tt-logid': 'GW' })));
    const { feishu, sleeps } = client(fake.url);
    const error = await failure(feishu.createRecord(CREATE_BODY));
    expect(error).toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).message).toBe(
      `The request to create a progress record got HTTP ${status} with no Feishu answer in it: Feishu may have stored the record or not. (log id GW)`,
    );
    expect(error).toMatchObject({ httpStatus: status, logId: 'GW', retryable: false });
    expect([fake.seen.length, sleeps.length]).toEqual([1, 0]);
  });

  it('HTTP 503 without an answer was not handled: the create is sent again', async () => {
    const fake = await serve(script((res) => reply(res, 503, '<html>Service Unavailable</html>'), (res) => reply(res, 200, RECORD)));
    const { feishu, sleeps } = client(fake.url);
    await expect(feishu.createRecord(CREATE_BODY)).resolves.toEqual({ progressId: PROGRESS_ID, modifyTime: '1640675837810' });
    expect(sleeps).toEqual([500]);
    expect(fake.seen.map((s) => s.method)).toEqual(['POST', 'POST']);
  });

  it('HTTP 300 without an answer is a wrong host, for a create too', async () => {
    const fake = await serve(script((res) => reply(res, 300, '')));
    const { feishu } = client(fake.url);
    const error = await failure(feishu.createRecord(CREATE_BODY));
    expect(error).not.toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).message).toBe(
      `Feishu answered POST /open-apis/okr/v1/progress_records with HTTP 300 and no Feishu answer in it. Check that feishu-base-url (${fake.url}) is the Feishu or Lark API host.`,
    );
  });

  it('an update answered 502 without an answer is repeated: it is safe to repeat', async () => {
    const fake = await serve(script((res) => reply(res, 502, ''), (res) => reply(res, 200, RECORD)));
    const { feishu, sleeps } = client(fake.url);
    await expect(feishu.updateRecord(PROGRESS_ID, { content: CREATE_BODY.content, progress_rate: CREATE_BODY.progress_rate })).resolves.toEqual({
      progressId: PROGRESS_ID,
      modifyTime: '1640675837810',
    });
    expect(sleeps).toEqual([500]);
  });

  it('a read answered 500 without an answer is retried, then explained', async () => {
    const fake = await serve(script((res) => reply(res, 500, '')));
    const { feishu, sleeps } = client(fake.url);
    await expect(feishu.getRecord(PROGRESS_ID)).rejects.toThrow(
      'Feishu answered GET /open-apis/okr/v1/progress_records/:id with HTTP 500 and no Feishu answer in it. Gave up after 5 attempts.',
    );
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
  });
});

describe('the deadline of the run', () => {
  it('is 10 minutes by default; a wait that ends exactly at it is allowed, a request at it is not', async () => {
    const clock = { now: 0 };
    const fake = await serve(
      script((res) => {
        // This request took almost all of the run's time.
        clock.now += 599_000;
        reply(res, 429, LIMITED, { 'x-ogw-ratelimit-reset': '1' });
      }),
    );
    const sleeps: number[] = [];
    const { feishu } = client(fake.url, {
      now: () => clock.now,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.now += ms;
      },
    });
    await expect(feishu.getRecord(PROGRESS_ID)).rejects.toMatchObject({
      message: "Stopped: sending GET /open-apis/okr/v1/progress_records/:id would go past the 600 s allowed for this run's Feishu calls.",
    });
    expect(sleeps).toEqual([1000]);
    expect(fake.seen).toHaveLength(1);
  });

  it('a wait a millisecond past it is not made', async () => {
    const fake = await serve(script((res) => reply(res, 429, LIMITED, { 'x-ogw-ratelimit-reset': '3', 'x-tt-logid': 'D' })));
    const { feishu, clock, sleeps } = client(fake.url, { deadlineMs: 2999 });
    const error = await failure(feishu.getRecord(PROGRESS_ID));
    expect((error as Error).message).toBe(
      "Feishu refused: too many requests (code 99991400). The app reached its rate limit for this API (100 a minute); try again later. Stopped: waiting 3 s more would go past the 3 s allowed for this run's Feishu calls. (log id D)",
    );
    expect(error).toMatchObject({ code: 99991400, httpStatus: 429, logId: 'D', retryable: true });
    expect(sleeps).toEqual([]);
    expect(clock.now).toBe(1_000_000);
  });
});

describe('pacing by default', () => {
  it('sends 100 requests to an endpoint within 61 s, and holds the 101st until the first is 61 s old', async () => {
    const fake = await serve(script((res) => reply(res, 200, RECORD)));
    const { feishu, clock, sleeps } = client(fake.url);
    for (let i = 0; i < 100; i += 1) {
      await feishu.getRecord(PROGRESS_ID);
      clock.now += 100;
    }
    expect(sleeps).toEqual([]);
    await feishu.getRecord(PROGRESS_ID);
    // The first went out 10 s ago (100 × 100 ms): its slot frees 61 s after it was sent.
    expect(sleeps).toEqual([51_000]);
    expect(fake.seen).toHaveLength(101);
  });
});
