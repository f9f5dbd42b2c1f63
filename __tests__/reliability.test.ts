import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APP, AS_OF, GITHUB_TOKEN, KR_GADGETS, KR_LAUNCH, OBJ_PERF, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { renderContent } from './helpers/render.js';
import { runAction } from './helpers/run-action.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeFeishu, type FakeFeishu, type FakeFeishuOptions, type ListOrder, type StoredRecord } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';
import type { FakeItem } from './servers/fake-github.js';

// The bundled action under the faults of issue 3, each judged by the records the fake Feishu
// holds at the end, the outputs, the summary and the exit code.

let github: FakeGitHub;
let feishu: FakeFeishu;
let workspace: string;

beforeEach(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-reliability-'));
  await mkdir(path.join(workspace, '.github'));
  await mapping(SAMPLE_MAPPING);
});

afterEach(async () => {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
});

async function startFeishu(options: FakeFeishuOptions = {}): Promise<void> {
  feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS, ...options });
}

function mapping(text: string): Promise<void> {
  return writeFile(path.join(workspace, '.github/okr-progress.yml'), text);
}

interface Run {
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  timeoutMs?: number;
}

async function action({ inputs = {}, env = {}, timeoutMs }: Run = {}) {
  const result = await runAction({
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF, ...inputs },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url, GITHUB_RUN_ID: '777', GITHUB_RUN_NUMBER: '42', GITHUB_WORKFLOW: 'OKR', ...env },
    ...(timeoutMs !== undefined && { timeoutMs }),
  });
  const records = JSON.parse(result.outputs['records'] ?? '[]') as { name: string; result: string; progress_id: string | null; percent: number; error?: string }[];
  const counts = [result.outputs['created'], result.outputs['updated'], result.outputs['failed']];
  return { ...result, records, counts };
}

const stored = (): StoredRecord[] => [...feishu.records.values()];
const storedFor = (targetId: string) => stored().filter((r) => r.target_id === targetId);
const creates = () => feishu.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/okr/v1/progress_records');
const tokenRequests = () => feishu.requests.filter((r) => r.path === '/open-apis/auth/v3/tenant_access_token/internal');
const footer = (record: StoredRecord) => renderContent(record.content).split('\n').at(-1);

/** The item numbers a record lists as closed (ticked boxes), in order. */
function closedIn(record: StoredRecord): number[] {
  return renderContent(record.content)
    .split('\n')
    .flatMap((line) => /^ {2}☑ (?:~~)?#(\d+)/.exec(line)?.[1] ?? [])
    .map(Number);
}

function widgetsItem(number: number, fields: Partial<FakeItem>): FakeItem {
  return {
    number,
    title: `Item ${number}`,
    kind: 'issue',
    state: 'open',
    created_at: '2026-11-01T10:00:00Z',
    updated_at: '2026-11-01T10:00:00Z',
    closed_at: null,
    user: 'dave',
    labels: [],
    milestone: 1,
    ...fields,
  };
}

function closedAt(at: string): Partial<FakeItem> {
  return { state: 'closed', state_reason: 'completed', closed_at: at, updated_at: at };
}

describe('re-runs', () => {
  beforeEach(() => startFeishu());

  it('a re-run in the same period updates each record with the latest numbers', async () => {
    const first = await action();
    expect(first.code).toBe(0);

    // Meanwhile "Migrate clients" was closed: Launch v2 goes from 5 of 8 to 6 of 8.
    const migrate = github.repos['acme/widgets']!.items.find((i) => i.number === 3)!;
    Object.assign(migrate, closedAt('2026-11-26T12:00:00Z'));

    const second = await action();
    expect(second.code).toBe(0);
    expect(second.counts).toEqual(['0', '3', '0']);
    expect(second.records.map((r) => r.progress_id)).toEqual(first.records.map((r) => r.progress_id));
    expect(second.records[0]).toMatchObject({ result: 'updated', percent: 75 });
    expect(feishu.records.size).toBe(3);
    const [launch] = storedFor(KR_LAUNCH);
    expect(launch!.progress_rate).toEqual({ percent: 75, status: 0 });
    expect(closedIn(launch!)).toEqual([3, 6, 2, 4, 1]);
    expect(creates()).toHaveLength(3);
    expect(second.summary).toContain('<td>75%</td><td>6 / 8</td><td>5</td><td>on track</td><td>updated</td>');
  });

  it('a run in the next period adds a second record', async () => {
    expect((await action()).code).toBe(0);
    const next = await action({ inputs: { 'as-of': '2026-12-04T09:00:00Z' } });
    expect(next.code).toBe(0);
    expect(next.counts).toEqual(['3', '0', '0']);
    expect(feishu.records.size).toBe(6);
    expect(storedFor(KR_LAUNCH).map(footer)).toEqual([
      expect.stringContaining('okr-progress-action · acme/widgets · 2026-W48 · OKR #42'),
      expect.stringContaining('okr-progress-action · acme/widgets · 2026-W49 · OKR #42'),
    ]);
  });

  it('period: run creates a record on every run', async () => {
    await mapping(SAMPLE_MAPPING.replace('period: week', 'period: run'));
    expect((await action()).counts).toEqual(['3', '0', '0']);
    const again = await action({ env: { GITHUB_RUN_ID: '778' } });
    expect(again.code).toBe(0);
    expect(again.counts).toEqual(['3', '0', '0']);
    expect(feishu.records.size).toBe(6);
    expect(storedFor(KR_LAUNCH).map(footer)).toEqual([
      expect.stringContaining('okr-progress-action · acme/widgets · run-777-1 · OKR #42'),
      expect.stringContaining('okr-progress-action · acme/widgets · run-778-1 · OKR #42'),
    ]);
  });

  it('window: since-last-record starts where the previous record was made, so consecutive records neither overlap nor leave a gap', async () => {
    await mapping(SAMPLE_MAPPING.replace('window: 7d', 'window: since-last-record\n  timezone: Asia/Shanghai'));
    // 20:00 UTC is 04:00 the next day in Shanghai: the dates shown must be Shanghai's.
    const firstRun = '2026-11-27T20:00:00Z';
    github.repos['acme/widgets']!.items.push(
      widgetsItem(13, closedAt('2026-11-27T19:59:59Z')),
      widgetsItem(14, closedAt('2026-11-27T20:00:01Z')),
      widgetsItem(15, closedAt('2026-12-02T08:00:00Z')),
    );

    const first = await action({ inputs: { 'as-of': firstRun, targets: 'Launch v2' } });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('No earlier record of acme/widgets on this key result: the window is the last 7 days.');
    const [record1] = storedFor(KR_LAUNCH);
    // The fake stamps records with its own clock; this one stands for a run made at firstRun.
    record1!.create_time = String(Date.parse(firstRun));

    const second = await action({ inputs: { 'as-of': '2026-12-04T20:00:00Z', targets: 'Launch v2' } });
    expect(second.code).toBe(0);
    expect(second.counts).toEqual(['1', '0', '0']);
    const record2 = storedFor(KR_LAUNCH).find((r) => r !== record1)!;

    expect(renderContent(record1!.content)).toContain('Closed since 2026-11-21 (5)');
    expect(renderContent(record2.content)).toContain('Closed since 2026-11-28 (2)');
    expect(closedIn(record1!)).toEqual([13, 6, 2, 4, 1]);
    expect(closedIn(record2)).toEqual([15, 14]);
  });
});

describe("re-runs whatever the order of Feishu's record lists", () => {
  // Newest first is the order the other tests run with; publish.test.ts runs every order over more weeks.
  const WEEKS = ['2026-11-27T09:00:00Z', '2026-12-04T09:00:00Z', '2026-12-11T09:00:00Z'];
  const CASES: [ListOrder, string[]][] = [
    ['oldest-first', WEEKS.slice(0, 2)],
    // From three records on the fixed shuffle is neither newest nor oldest first.
    ['shuffled', WEEKS],
  ];

  it.each(CASES)('two runs a week under a %s list paged by two without has_more at its end: one record per target and week', async (listOrder, weeks) => {
    await startFeishu({ listOrder, listPageLimit: 2, listOmitsEnd: true });
    const counts: (string | undefined)[][] = [];
    for (const asOf of weeks) {
      for (let run = 0; run < 2; run += 1) {
        const result = await action({ inputs: { 'as-of': asOf } });
        expect(result.code).toBe(0);
        counts.push(result.counts);
      }
    }
    expect(counts).toEqual(weeks.flatMap(() => [['3', '0', '0'], ['0', '3', '0']]));
    expect(feishu.records.size).toBe(3 * weeks.length);
    for (const target of [KR_LAUNCH, OBJ_PERF, KR_GADGETS]) {
      const periods = storedFor(target).map((r) => /· (2026-W\d\d) ·/.exec(footer(r) ?? '')?.[1]);
      expect(periods.sort()).toEqual(['2026-W48', '2026-W49', '2026-W50'].slice(0, weeks.length));
    }
  });
});

describe('Feishu that cannot be used at all', () => {
  /** Five targets, each on its own key result. */
  const FIVE = `version: 1\ntargets:\n${[0, 1, 2, 3, 4].map((i) => `  - name: Part ${i}\n    key_result: "710000000000000000${i}"\n    labels: [okr/perf]\n`).join('')}`;

  async function refusedPort(): Promise<string> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return `http://127.0.0.1:${port}`;
  }

  it('a refused port: one error says what to fix, every target fails with it, nothing is retried', async () => {
    await startFeishu();
    await mapping(FIVE);
    const url = await refusedPort();
    const result = await action({ inputs: { 'feishu-base-url': url } });
    const reason = `Could not reach Feishu at ${url}: the connection was refused (ECONNREFUSED). Check feishu-base-url (https://open.feishu.cn for Feishu, https://open.larksuite.com for Lark) and that the runner may connect to it (a firewall; a proxy set in HTTPS_PROXY, excluded by NO_PROXY).`;
    expect(result.code).toBe(1);
    expect(result.counts).toEqual(['0', '0', '5']);
    expect(result.records.map((r) => [r.name, r.result, r.error])).toEqual([0, 1, 2, 3, 4].map((i) => [`Part ${i}`, 'failed', reason]));
    expect(result.stdout.match(/^::error::.*$/gm)).toEqual([`::error::Part 0: ${reason}`, '::error::5 of 5 targets failed: Part 0, Part 1, Part 2, Part 3, Part 4.']);
    expect(result.stdout.match(/^Part \d: skipped: .*$/gm)).toEqual(
      [1, 2, 3, 4].map((i) => `Part ${i}: skipped: Feishu could not be used in this run (see the error above).`),
    );
    // No retry and no wait: the run does not pay a backoff per target.
    expect(result.stdout).not.toMatch(/Retrying|waiting/);
  });

  it('a refused app secret: asked once, said once, every target failed with the fix', async () => {
    await startFeishu();
    const result = await action({ inputs: { 'feishu-app-secret': 'not-the-secret-0123' } });
    expect(result.code).toBe(1);
    expect(result.counts).toEqual(['0', '0', '3']);
    expect(tokenRequests()).toHaveLength(1);
    expect(feishu.requests).toHaveLength(1);
    const errors = result.stdout.match(/^::error::.*$/gm) ?? [];
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^::error::Launch v2: Feishu refused: the app secret is wrong \(code 10014\)\. Fix the feishu-app-secret input: .* \(log id \w+\)$/);
    expect(new Set(result.records.map((r) => r.error))).toEqual(new Set([errors[0]!.slice('::error::Launch v2: '.length)]));
  });
});

describe('a create whose connection breaks', () => {
  beforeEach(() => startFeishu());

  it('after Feishu stored it: the record is found, not written twice', async () => {
    feishu.faults.push({ route: 'create', kind: 'drop-after-store' });
    const result = await action();
    expect(result.code).toBe(0);
    expect(result.counts).toEqual(['3', '0', '0']);
    expect(feishu.records.size).toBe(3);
    expect(storedFor(KR_LAUNCH)).toHaveLength(1);
    expect(result.records[0]!.progress_id).toBe(storedFor(KR_LAUNCH)[0]!.progress_id);
    expect(creates()).toHaveLength(3);
    expect(result.stdout).toContain("The create call's answer was lost (The request to create a progress record was sent to Feishu, but the connection was closed");
  });

  it('before Feishu stored it: the lookup finds nothing and the record is created once', async () => {
    feishu.faults.push({ route: 'create', kind: 'drop-before-store' });
    const result = await action();
    expect(result.code).toBe(0);
    expect(result.counts).toEqual(['3', '0', '0']);
    expect(feishu.records.size).toBe(3);
    expect(storedFor(KR_LAUNCH)).toHaveLength(1);
    expect(creates()).toHaveLength(4);
  });
});

describe('Feishu in trouble', () => {
  it('a token that expires mid-run is fetched again once and the call repeated', async () => {
    await startFeishu();
    feishu.faults.push({ route: 'create', kind: 'expire-token' });
    const result = await action();
    expect(result.code).toBe(0);
    expect(result.counts).toEqual(['3', '0', '0']);
    expect(feishu.records.size).toBe(3);
    expect(tokenRequests()).toHaveLength(2);
    expect(creates().map((r) => r.status)).toEqual([400, 200, 200, 200]);
    expect(result.stdout).toContain('Feishu says the tenant access token is invalid or has expired (code 99991663); fetching a new one.');
  });

  it('slow answers within the request timeout are waited for', async () => {
    await startFeishu();
    feishu.faults.push({ route: 'list', kind: 'delay', ms: 300 }, { route: 'create', kind: 'delay', ms: 300 });
    const result = await action();
    expect(result.code).toBe(0);
    expect(result.counts).toEqual(['3', '0', '0']);
    expect(feishu.records.size).toBe(3);
    expect(creates()).toHaveLength(3);
  });

  it('without the read scope: a warning naming okr:okr.progress:readonly, and one create per target', async () => {
    await startFeishu({ readScope: false });
    const result = await action();
    expect(result.code).toBe(0);
    expect(result.counts).toEqual(['3', '0', '0']);
    expect(feishu.records.size).toBe(3);
    expect(creates()).toHaveLength(3);
    expect(result.stdout.match(/^::warning::.*$/gm)).toEqual(
      Array(3).fill(
        '::warning::The Feishu app may not read progress records (code 1001002), so this run cannot find the record it wrote earlier in this period and creates a new one. Grant the app the okr:okr.progress:readonly scope so that re-runs update instead.',
      ),
    );
  });

});

describe('GitHub in trouble', () => {
  // 5xx answers and rate limits, which octokit waits out on a real clock, are tested in
  // collect-edges.test.ts, where the waits last no time.
  beforeEach(() => startFeishu());

  it('a repository that does not exist fails only its targets, with a clear message', async () => {
    await mapping(SAMPLE_MAPPING.replace('repository: acme/gadgets', 'repository: acme/missing'));
    const result = await action();
    expect(result.code).toBe(1);
    expect(result.counts).toEqual(['2', '0', '1']);
    expect(result.records.map((r) => r.result)).toEqual(['created', 'created', 'failed']);
    expect(result.records[2]!.error).toBe(
      'GitHub repository acme/missing was not found, or the token cannot read it; for another repository, pass a token with access to it as github-token (HTTP 404).',
    );
    expect(feishu.records.size).toBe(2);
  });
});
