import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Target } from '../src/config/schema.js';
import { Collector, type Selection } from '../src/github/collect.js';
import { MAX_PAGES, readPages, type Page } from '../src/github/pages.js';
import { computeProgress, scheduleOf } from '../src/progress.js';
import { APP, AS_OF, GITHUB_TOKEN, KR_LAUNCH, SAMPLE_OKRS } from './fixtures/sample.js';
import { octokitAt } from './helpers/octokit.js';
import { renderContent } from './helpers/render.js';
import { runAction } from './helpers/run-action.js';
import { startFakeFeishu } from './servers/fake-feishu.js';
import { makeTarget } from './fixtures/target.js';
import { startFakeGitHub, type FakeGitHub, type FakeItem, type FakeRepo, type GitHubFault } from './servers/fake-github.js';

// GitHub answers that break off, stall, come empty, or lists that do not end or disagree with
// the totals GitHub states: each is asked again or fails the target, never read as fewer items.

const NOW = new Date('2026-11-27T09:00:00Z');
const ISSUES = '/repos/acme/widgets/issues';

/** 150 items in milestone v3.0, the 76 with the lowest numbers closed; 100 to a page, so page 2 holds 50. */
function bigRepo(): FakeRepo {
  const items: FakeItem[] = Array.from({ length: 150 }, (_, i) => {
    const number = i + 1;
    const closed = number <= 76;
    const at = new Date(Date.parse('2026-10-01T00:00:00Z') + number * 3600_000).toISOString();
    return {
      number,
      title: `Item ${number}`,
      kind: number % 5 === 0 ? 'pull' : 'issue',
      state: closed ? 'closed' : 'open',
      ...(closed && (number % 5 === 0 ? { merged_at: '2026-11-25T10:00:00Z' } : { state_reason: 'completed' as const })),
      created_at: at,
      updated_at: closed ? '2026-11-25T10:00:00Z' : at,
      closed_at: closed ? '2026-11-25T10:00:00Z' : null,
      user: 'alice',
      labels: number % 2 ? ['bug'] : [],
      milestone: 1,
    };
  });
  return {
    milestones: [{ number: 1, title: 'v3.0', state: 'open', created_at: '2026-10-01T00:00:00Z', due_on: '2026-12-31T08:00:00Z' }],
    labels: ['bug'],
    items,
  };
}

let github: FakeGitHub;
let warnings: string[];
/** Each request's clock; a stalled answer runs its request's clock out at once. */
let clocks: AbortController[];

beforeEach(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: { 'acme/widgets': bigRepo() }, now: NOW.toISOString() });
  // The clocks run out once the client has had its turn to read what came (two turns of
  // the event loop that both ends share), as a real clock runs out long after that.
  github.onStall = () =>
    setImmediate(() =>
      setImmediate(() => {
        for (const clock of clocks.splice(0)) clock.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }),
    );
  warnings = [];
  clocks = [];
});

afterEach(() => github.close());

function collector(): Collector {
  const clock = (): AbortSignal => {
    const controller = new AbortController();
    clocks.push(controller);
    return controller.signal;
  };
  return new Collector(octokitAt(github.url, GITHUB_TOKEN, { clock, waitUnitMs: 0 }), 'https://github.com', (m) => warnings.push(m));
}

const milestoneTarget = (overrides: Partial<Target> = {}): Target => makeTarget({ name: 'Launch v3', milestone: 'v3.0', ...overrides });

function numbers(target: Target, selection: Selection): { done: number; total: number } {
  const progress = computeProgress(target, selection.items, NOW, scheduleOf(target, selection.milestone), undefined, selection.counts);
  return { done: progress.done, total: progress.total };
}

/** The pages of the milestone's issue list that were asked for, in order, with their status. */
const issuePages = () => github.requests.filter((r) => r.path === ISSUES).map((r) => `${r.query['page'] ?? '1'} ${r.status}`);

const fault = (f: GitHubFault): void => void github.faults.push(f);
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const PAGE_2 = `GitHub's answer to GET ${ISSUES}?state=all&per_page=100&milestone=1&page=2`;

describe('a REST page whose body does not come whole', () => {
  it('reads the whole list with no request beyond the pages when nothing goes wrong', async () => {
    const target = milestoneTarget();
    expect(numbers(target, await collector().select(target))).toEqual({ done: 76, total: 150 });
    expect(github.requests.map((r) => `${r.path} ${r.query['page'] ?? '1'}`)).toEqual([
      '/repos/acme/widgets/milestones 1',
      '/repos/acme/widgets/labels 1',
      `${ISSUES} 1`,
      `${ISSUES} 2`,
    ]);
  });

  it.each([
    ['cut after 5 KB', { kind: 'cut', afterBytes: 5120 }],
    ['stalled after 5 KB', { kind: 'stall', afterBytes: 5120 }],
    ['empty with HTTP 200', { kind: 'empty' }],
    ['ended cleanly one byte short of whole JSON', { kind: 'truncate', afterBytes: -1 }],
  ] as const)('%s once: asked again, and the numbers are right', async (_, broken) => {
    if (broken.kind === 'truncate') fault({ route: 'issues', page: 2, kind: 'truncate', afterBytes: (await pageLength(2)) - 1 });
    else fault({ route: 'issues', page: 2, ...broken });
    const target = milestoneTarget();
    expect(numbers(target, await collector().select(target))).toEqual({ done: 76, total: 150 });
    expect(issuePages()).toEqual(['1 200', '2 200', '2 200']);
  });

  it('cut every time: the target fails, saying so, after the retries of a 5xx', async () => {
    fault({ route: 'issues', page: 2, kind: 'cut', afterBytes: 5120, times: Infinity });
    // The reset reaches the client as ECONNRESET, or as a closed socket when it comes first.
    await expect(collector().select(milestoneTarget())).rejects.toThrow(
      new RegExp(`^${escape(PAGE_2)} broke off after 5120 bytes \\(terminated: (read ECONNRESET|other side closed)\\), each time it was asked\\. The number was not written\\.$`),
    );
    expect(issuePages()).toEqual(['1 200', '2 200', '2 200', '2 200', '2 200']);
  });

  it('stalled every time: the target fails naming the request clock', async () => {
    fault({ route: 'issues', page: 2, kind: 'stall', afterBytes: 5120, times: Infinity });
    await expect(collector().select(milestoneTarget())).rejects.toThrow(
      new Error(`${PAGE_2} stalled: 5120 bytes came, then nothing more within the 30 s request clock, each time it was asked. The number was not written.`),
    );
    expect(issuePages()).toEqual(['1 200', '2 200', '2 200', '2 200', '2 200']);
  });

  it('empty every time: the target fails', async () => {
    fault({ route: 'issues', page: 2, kind: 'empty', times: Infinity });
    await expect(collector().select(milestoneTarget())).rejects.toThrow(
      new Error(`${PAGE_2} came with HTTP 200 and an empty body where JSON was expected, each time it was asked. The number was not written.`),
    );
  });

  it('a body that ends cleanly short of whole JSON every time fails', async () => {
    fault({ route: 'issues', page: 2, kind: 'truncate', afterBytes: 5120, times: Infinity });
    await expect(collector().select(milestoneTarget())).rejects.toThrow(
      new Error(`${PAGE_2} came with HTTP 200 and 5120 bytes that are not whole JSON, each time it was asked. The number was not written.`),
    );
  });

  it('the milestones and labels lists are read whole too', async () => {
    fault({ route: 'milestones', kind: 'cut', afterBytes: 10 });
    fault({ route: 'labels', kind: 'empty' });
    const target = milestoneTarget();
    expect(numbers(target, await collector().select(target))).toEqual({ done: 76, total: 150 });
    expect(github.requests.filter((r) => r.path !== ISSUES)).toHaveLength(4);
  });
});

/** How many bytes page `page` of the milestone's issue list has. */
async function pageLength(page: number): Promise<number> {
  const response = await fetch(`${github.url}${ISSUES}?state=all&per_page=100&milestone=1&page=${page}`, { headers: { authorization: `token ${GITHUB_TOKEN}` } });
  const length = (await response.arrayBuffer()).byteLength;
  github.requests.length = 0;
  return length;
}

describe('totals GitHub states', () => {
  it('a milestone list shorter than the milestone counts fails the target, after one more read of the milestone', async () => {
    // Page 1 says the next page is page 3, past the end: 100 items where the milestone counts 150.
    fault({ route: 'issues', page: 1, kind: 'link', next: 3 });
    await expect(collector().select(milestoneTarget())).rejects.toThrow(
      new Error(
        'GitHub listed 100 issues and pull requests in milestone "v3.0" of acme/widgets, but the milestone counts 150 (74 open, 76 closed); the list is incomplete. The number was not written.',
      ),
    );
    expect(github.requests.map((r) => `${r.path} ${r.query['page'] ?? '1'}`).slice(2)).toEqual([`${ISSUES} 1`, `${ISSUES} 3`, '/repos/acme/widgets/milestones/1 1']);
  });

  it('a milestone that changed between its read and its list is read again, and the list accepted', async () => {
    const c = collector();
    // The repository (milestones, labels) is read once for the run, here for a label target.
    await c.select(makeTarget({ name: 'Bugs', milestone: undefined, labels: ['bug'] }));
    const repo = github.repos['acme/widgets']!;
    repo.items.push({ ...repo.items[149]!, number: 151, title: 'Added meanwhile', created_at: '2026-11-26T10:00:00Z', updated_at: '2026-11-26T10:00:00Z' });
    const target = milestoneTarget();
    expect(numbers(target, await c.select(target))).toEqual({ done: 76, total: 151 });
    expect(github.requests.filter((r) => r.path === '/repos/acme/widgets/milestones/1')).toHaveLength(1);
  });
});

describe('lists that do not end', () => {
  it('a Link rel="next" back to a page already read fails the target', async () => {
    fault({ route: 'issues', page: 2, kind: 'link', next: 1, times: Infinity });
    await expect(collector().select(milestoneTarget())).rejects.toThrow(
      new Error(
        "GitHub's list of the issues and pull requests of acme/widgets in milestone #1 links its next page to page 1, a page already read, after 2 pages; the list was not read to its end. The number was not written.",
      ),
    );
    expect(issuePages()).toEqual(['1 200', '2 200']);
  });

  it('a Link to the page itself fails the labels list too', async () => {
    fault({ route: 'labels', page: 1, kind: 'link', next: 1 });
    await expect(collector().select(milestoneTarget())).rejects.toThrow(
      new Error("GitHub's list of the labels of acme/widgets links its next page to page 1, a page already read, after 1 pages; the list was not read to its end. The number was not written."),
    );
  });

  async function* endless(from = 1): AsyncGenerator<Page> {
    for (let page = from; ; page += 1) yield { data: [page], headers: { link: `<https://api.github.com/x?page=${page + 1}&per_page=1>; rel="next"` } };
  }

  it(`stops a list that goes on past ${MAX_PAGES} pages`, async () => {
    let read = 0;
    await expect(
      readPages(endless(), 'https://api.github.com/x?per_page=1', 'The list', (data) => {
        read += data.length;
        return data;
      }),
    ).rejects.toThrow(new Error(`The list goes on past ${MAX_PAGES} pages; the list was not read to its end. The number was not written.`));
    expect(read).toBe(MAX_PAGES);
  });

  it('reads a list of exactly the cap, and knows the first page without its page parameter', async () => {
    async function* pages(): AsyncGenerator<Page> {
      for (let page = 1; page <= 3; page += 1) yield { data: [page], headers: page < 3 ? { link: `<https://api.github.com/x?per_page=1&page=${page + 1}>; rel="next"` } : {} };
    }
    expect(await readPages(pages(), 'https://api.github.com/x?per_page=1', 'The list', (d) => d, 3)).toEqual([1, 2, 3]);
    async function* back(): AsyncGenerator<Page> {
      yield { data: [1], headers: { link: '<https://api.github.com/x?page=2&per_page=1>; rel="next"' } };
      yield { data: [2], headers: { link: '<https://api.github.com/x?page=1&per_page=1>; rel="next", <https://api.github.com/x?page=1&per_page=1>; rel="first"' } };
    }
    await expect(readPages(back(), 'https://api.github.com/x?per_page=1', 'The list', (d) => d)).rejects.toThrow(
      'The list links its next page to page 1, a page already read, after 2 pages',
    );
  });

  it('a page that is not a list fails', async () => {
    async function* odd(): AsyncGenerator<Page> {
      yield { data: { message: 'hi' }, headers: {} };
    }
    await expect(readPages(odd(), 'https://api.github.com/x', 'The list', (d) => d)).rejects.toThrow(
      new Error('The list: page 1 came as object, not a list. The number was not written.'),
    );
  });
});

/** The answer with `change` made to every connection read a page at a time. */
function everyPage(change: (connection: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: unknown[] }) => void) {
  return (body: unknown): unknown => {
    const visit = (value: unknown): void => {
      if (!value || typeof value !== 'object') return;
      if ('pageInfo' in value) change(value as Parameters<typeof change>[0]);
      Object.values(value).forEach(visit);
    };
    visit(body);
    return body;
  };
}

describe('GraphQL lists (counted targets)', () => {
  async function counted(target: Target) {
    const [selection] = collector().selectAll([target], NOW, true);
    return numbers(target, await selection!);
  }
  const graphql = () => github.requests.filter((r) => r.path === '/graphql').length;
  const listedOverRest = (reason: string) => [`GitHub's GraphQL API failed for acme/widgets (${reason}); its targets are listed over REST instead.`];

  it('count without REST lists when every list read to its end holds its totalCount', async () => {
    expect(await counted(milestoneTarget())).toEqual({ done: 76, total: 150 });
    expect(warnings).toEqual([]);
    expect(issuePages()).toEqual([]);
    expect(graphql()).toBe(1);
  });

  it('a list read to its end that disagrees with its totalCount: listed over REST instead', async () => {
    let first = true;
    fault({
      route: 'graphql',
      kind: 'rewrite',
      rewrite: everyPage((connection) => {
        if (!first || connection.pageInfo.hasNextPage) return;
        first = false;
        connection.totalCount += 1;
      }),
    });
    expect(await counted(milestoneTarget())).toEqual({ done: 76, total: 150 });
    expect(warnings).toEqual(listedOverRest('a list read to its end held 61 items (61 different), where GitHub counts 62'));
    expect(issuePages()).toEqual(['1 200', '2 200']);
  });

  it('a page that repeats items already read is caught the same way', async () => {
    let first = true;
    fault({
      route: 'graphql',
      kind: 'rewrite',
      rewrite: everyPage((connection) => {
        if (!first || connection.pageInfo.hasNextPage) return;
        first = false;
        connection.nodes[1] = connection.nodes[0];
      }),
    });
    expect(await counted(milestoneTarget())).toEqual({ done: 76, total: 150 });
    expect(warnings).toEqual(listedOverRest('a list read to its end held 61 items (60 different), where GitHub counts 61'));
  });

  it('the two ends of the closed issues, read until they meet, together hold their totalCount', async () => {
    fault({
      route: 'graphql',
      kind: 'rewrite',
      rewrite: everyPage((connection) => {
        // Both ends (pages of numbers and reasons, no titles) say there is more and meet, but neither holds #38.
        if (!connection.nodes.length || 'title' in (connection.nodes[0] as object)) return;
        connection.pageInfo.hasNextPage = true;
        connection.nodes = connection.nodes.filter((node) => (node as { number: number }).number !== 38);
      }),
    });
    expect(await counted(milestoneTarget({ progress: 'completed' }))).toEqual({ done: 76, total: 150 });
    expect(warnings).toEqual(listedOverRest('a list read from both ends held 60 items, where GitHub counts 61'));
  });

  it('a cursor given again while there are more pages: listed over REST instead', async () => {
    const again = Buffer.from('cursor:v2:100').toString('base64');
    fault({ route: 'graphql', kind: 'rewrite', times: Infinity, rewrite: everyPage((c) => void (c.pageInfo = { hasNextPage: true, endCursor: again })) });
    expect(await counted(milestoneTarget())).toEqual({ done: 76, total: 150 });
    expect(warnings).toEqual(listedOverRest('a list has more pages but gave a cursor to them it had given before'));
    expect(graphql()).toBe(2);
  });

  it('no cursor while there are more pages: listed over REST instead', async () => {
    fault({ route: 'graphql', kind: 'rewrite', rewrite: everyPage((c) => void (c.pageInfo = { hasNextPage: true, endCursor: null })) });
    expect(await counted(milestoneTarget())).toEqual({ done: 76, total: 150 });
    expect(warnings).toEqual(listedOverRest('a list has more pages but no cursor to them'));
  });

  it('a GraphQL answer that breaks off: listed over REST instead', async () => {
    fault({ route: 'graphql', kind: 'cut', afterBytes: 100 });
    expect(await counted(milestoneTarget())).toEqual({ done: 76, total: 150 });
    expect(warnings).toEqual([expect.stringMatching(/\(HTTP 500: GitHub's answer to POST \/graphql broke off after 100 bytes \(terminated: (read ECONNRESET|other side closed)\)\); its targets are listed over REST instead\.$/)]);
    expect(issuePages()).toEqual(['1 200', '2 200']);
  });
});

describe('the bundled action', () => {
  // As of a past instant the milestone is listed over REST, 100 to a page. A list that cannot
  // be trusted fails the target and writes nothing. (Answers that break off are asked again
  // after octokit's real backoff: they are tested above, in this process, where it lasts no time.)
  async function run(broken?: GitHubFault) {
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-github-answers-'));
    const feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
    try {
      await mkdir(path.join(workspace, '.github'));
      await writeFile(
        path.join(workspace, '.github/okr-progress.yml'),
        `version: 1\ndefaults:\n  window: 7d\n  period: week\ntargets:\n  - name: Launch v3\n    key_result: "${KR_LAUNCH}"\n    milestone: v3.0\n`,
      );
      if (broken) fault(broken);
      const result = await runAction({
        workspace,
        githubToken: GITHUB_TOKEN,
        inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF },
        env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
      });
      const records = JSON.parse(result.outputs['records'] ?? '[]') as { result: string; percent: number; error?: string }[];
      return { result, records, stored: [...feishu.records.values()] };
    } finally {
      await feishu.close();
      await rm(workspace, { recursive: true, force: true });
    }
  }

  it('reads both pages whole and writes 76 of 150', async () => {
    const { result, records, stored } = await run();
    expect(result.code).toBe(0);
    expect(records).toEqual([expect.objectContaining({ result: 'created', percent: 50.67 })]);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.progress_rate).toEqual({ percent: 50.67, status: 0 });
    expect(renderContent(stored[0]!.content)).toContain('76 of 150');
    expect(issuePages()).toEqual(['1 200', '2 200']);
  });

  it('a Link rel="next" back to page 1: the target fails, no record is written, exit code 1', async () => {
    const { result, records, stored } = await run({ route: 'issues', page: 2, kind: 'link', next: 1 });
    expect(result.code).toBe(1);
    expect(records[0]).toMatchObject({
      result: 'failed',
      error: "GitHub's list of the issues and pull requests of acme/widgets in milestone #1 links its next page to page 1, a page already read, after 2 pages; the list was not read to its end. The number was not written.",
    });
    expect(stored).toEqual([]);
  });
});
