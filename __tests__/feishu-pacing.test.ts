import { afterEach, describe, expect, it } from '@jest/globals';
import { FeishuClient } from '../src/feishu/client.js';
import { findEarlierRecords, publishRecord } from '../src/publish.js';
import type { CreateProgressRecordRequest } from '../src/record/request.js';
import { DEFAULT_APP, startFakeFeishu, type FakeFeishu, type FakeFeishuOptions } from './servers/fake-feishu.js';

// Rate limits, backoff and pacing of whole runs (list, then create or update, per target)
// against the fake Feishu, in this process. The client and the fake share one clock that only
// the client's waits move: a minute of pacing takes no real time, and every wait is exact.

const REPO = 'acme/widgets';
const PERIOD = '2026-W48';
const ids = (n: number) => Array.from({ length: n }, (_, i) => `7100000000000000${String(i).padStart(3, '0')}`);

let fake: FakeFeishu;
let clock: number;

afterEach(async () => {
  await fake.close();
});

interface Run {
  feishu: FeishuClient;
  sleeps: number[];
  infos: string[];
}

async function start(keyResults: string[], options: FakeFeishuOptions = {}): Promise<Run> {
  clock = Date.parse('2026-11-27T09:00:00Z');
  fake = await startFakeFeishu({ okrs: { objectives: [], keyResults }, now: () => clock, ...options });
  const sleeps: number[] = [];
  const infos: string[] = [];
  const feishu = new FeishuClient({
    baseUrl: fake.url,
    appId: DEFAULT_APP.appId,
    appSecret: DEFAULT_APP.appSecret,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    log: { info: (m) => infos.push(m), warning: (m) => infos.push(m), debug: () => {} },
  });
  return { feishu, sleeps, infos };
}

function request(keyResult: string): CreateProgressRecordRequest {
  const paragraph = (text: string) => ({ type: 'paragraph' as const, paragraph: { elements: [{ type: 'textRun' as const, textRun: { text } }] } });
  return {
    source_title: `GitHub · ${REPO}`,
    source_url: `https://github.com/${REPO}/milestone/1`,
    target_id: keyResult,
    target_type: 3,
    content: { blocks: [paragraph('headline'), paragraph(`okr-progress-action · ${REPO} · ${PERIOD} · OKR #42`)] },
    progress_rate: { percent: 50, status: 0 },
  };
}

/** What main.ts does per target with Feishu: look for this period's record, then write. */
async function runTargets(feishu: FeishuClient, keyResults: string[]): Promise<string[]> {
  const results: string[] = [];
  for (const keyResult of keyResults) {
    try {
      const earlier = await findEarlierRecords(feishu, 3, keyResult, REPO, PERIOD, () => {});
      results.push((await publishRecord(feishu, request(keyResult), REPO, PERIOD, earlier, () => {})).result);
    } catch (error) {
      results.push(`failed: ${(error as Error).message}`);
    }
  }
  return results;
}

const creates = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/okr/v1/progress_records');
const storedIds = () => [...fake.records.values()].map((r) => r.target_id);

describe('Feishu in trouble', () => {
  it('429 bursts: waits as long as the reset header says, then writes every record', async () => {
    // Two requests per endpoint every two seconds: the third list runs into the limit.
    const { feishu, sleeps, infos } = await start(ids(3), { ratePerMinute: 2, rateWindowMs: 2000 });
    expect(await runTargets(feishu, ids(3))).toEqual(['created', 'created', 'created']);
    expect(storedIds()).toEqual(ids(3));
    // The wait also frees the creates' window: the third create goes through at once.
    expect(fake.requests.filter((r) => r.status === 429).map((r) => r.path)).toEqual([`/open-apis/okr/v2/key_results/${ids(3)[2]}/progresses`]);
    expect(sleeps).toEqual([2000]);
    expect(infos).toEqual(["Feishu's rate limit for GET /open-apis/okr/v2/key_results/:id/progresses was reached; waiting 2 s as Feishu asks."]);
  });

  it('500s then success: retried with backoff, every record written once', async () => {
    const { feishu, sleeps } = await start(ids(3));
    fake.faults.push({ route: 'create', kind: 'status', status: 500, code: 1009999, msg: 'internal server error', times: 2 });
    expect(await runTargets(feishu, ids(3))).toEqual(['created', 'created', 'created']);
    expect(creates().map((r) => r.status)).toEqual([500, 500, 200, 200, 200]);
    // Full jitter with random() = 0.5: half of 1 s, then half of 2 s.
    expect(sleeps).toEqual([500, 1000]);
    expect(fake.records.size).toBe(3);
  });

  it("500s forever on one target's create: that target fails naming the code, the others are written", async () => {
    const { feishu, sleeps } = await start(ids(3));
    fake.faults.push({ route: 'create', kind: 'status', status: 500, code: 1009999, msg: 'internal server error', times: 5 });
    const results = await runTargets(feishu, ids(3));
    expect(results.slice(1)).toEqual(['created', 'created']);
    expect(results[0]).toMatch(
      /^failed: Feishu failed: internal server error on Feishu's side \(code 1009999\)\. Try again later\. Gave up after 5 attempts\. \(log id \w+\)$/,
    );
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
    expect(storedIds()).toEqual(ids(3).slice(1));
  });
});

describe('pacing', () => {
  it('the 101st create within a minute waits until the first has left the window: Feishu never answers 429', async () => {
    const { feishu, sleeps, infos } = await start(ids(1));
    for (let i = 0; i < 101; i += 1) {
      await feishu.createRecord(request(ids(1)[0]!));
      clock += 100;
    }
    // The first create left at 0 s, the 100th at 9.9 s; the 101st, at 10 s, waits until 61 s.
    expect(sleeps).toEqual([51_000]);
    expect(infos).toEqual(["Keeping under Feishu's rate limit for POST /open-apis/okr/v1/progress_records: waiting 51 s."]);
    expect(fake.records.size).toBe(101);
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([]);
  });

  it('150 targets stay under 100 requests a minute per endpoint: every record written, no 429', async () => {
    const { feishu, sleeps, infos } = await start(ids(150));
    const results = await runTargets(feishu, ids(150));
    expect(results).toEqual(Array(150).fill('created'));
    expect(new Set(storedIds())).toEqual(new Set(ids(150)));
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([]);
    // Each endpoint takes 100 requests, then waits for the window of the first to pass.
    expect(sleeps).toEqual([61_000]);
    expect(infos).toEqual(["Keeping under Feishu's rate limit for GET /open-apis/okr/v2/key_results/:id/progresses: waiting 61 s."]);
  });
});
