import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Target } from '../src/config/schema.js';
import { Collector, type Selection } from '../src/github/collect.js';
import { createOctokit } from '../src/github/octokit.js';
import { computeProgress, scheduleOf } from '../src/progress.js';
import { AS_OF, GITHUB_TOKEN, SAMPLE_REPOS } from './fixtures/sample.js';
import { makeTarget } from './fixtures/target.js';
import { startFakeGitHub, type FakeGitHub, type FakeRepo } from './servers/fake-github.js';

// Which targets are counted and which are listed, how a milestone is found, and the links of
// the record, against the fake GitHub in this process. Expected numbers are worked out by hand
// from the sample (fixtures/sample.ts) as of AS_OF.

const NOW = new Date(AS_OF);

// A repository with two milestones whose titles differ only in case.
const TOOLS: FakeRepo = {
  milestones: [
    { number: 1, title: 'q4', state: 'open', created_at: '2026-10-01T00:00:00Z', due_on: null },
    { number: 2, title: 'Q4', state: 'open', created_at: '2026-10-01T00:00:00Z', due_on: null },
  ],
  labels: ['bug'],
  items: [
    { number: 1, title: 'In q4', kind: 'issue', state: 'open', created_at: '2026-10-02T00:00:00Z', updated_at: '2026-10-02T00:00:00Z', closed_at: null, user: 'erin', labels: [], milestone: 1 },
    { number: 2, title: 'In Q4', kind: 'issue', state: 'closed', state_reason: 'completed', created_at: '2026-10-02T00:00:00Z', updated_at: '2026-11-26T00:00:00Z', closed_at: '2026-11-26T00:00:00Z', user: 'erin', labels: [], milestone: 2 },
  ],
};

let github: FakeGitHub;

beforeAll(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: { ...(structuredClone(SAMPLE_REPOS) as Record<string, FakeRepo>), 'acme/tools': structuredClone(TOOLS) }, now: AS_OF });
});
afterAll(() => github.close());

async function selectAll(targets: Target[], live: boolean): Promise<Selection[]> {
  const before = process.env['GITHUB_API_URL'];
  process.env['GITHUB_API_URL'] = github.url;
  try {
    const collector = new Collector(createOctokit(GITHUB_TOKEN), 'https://github.com', () => {});
    return await Promise.all(collector.selectAll(targets, NOW, live));
  } finally {
    if (before === undefined) delete process.env['GITHUB_API_URL'];
    else process.env['GITHUB_API_URL'] = before;
  }
}

const numbers = (target: Target, selection: Selection) => {
  const p = computeProgress(target, selection.items, NOW, scheduleOf(target, selection.milestone), undefined, selection.counts);
  return [p.done, p.total, p.percent];
};

const search = (query: string): string => `https://github.com/acme/widgets/issues?q=${encodeURIComponent(query)}`;

describe('counted or listed', () => {
  it('a run about the present counts a plain target, and lists one with since-last-record or a chart', async () => {
    const targets = [
      makeTarget({ index: 0, milestone: 'v2.0' }),
      makeTarget({ index: 1, milestone: 'v2.0', window: 'since-last-record' }),
      makeTarget({ index: 2, milestone: 'v2.0', chart: true }),
    ];
    const live = await selectAll(targets, true);
    expect(live.map((s) => s.counts)).toEqual([{ selected: 8, closed: 5 }, undefined, undefined]);
    // Counted: the 7 items updated in the window (all but 7); listed: the milestone's 8 items
    // (1–7 and 10; 12 is created after AS_OF and GitHub does not have it yet).
    expect(live.map((s) => s.items.length)).toEqual([7, 8, 8]);
    // Launch v2: closed 1, 2, 4, 6, 7 of 1–7 and 10: 5 of 8.
    expect(targets.map((t, i) => numbers(t, live[i]!))).toEqual([
      [5, 8, 62.5],
      [5, 8, 62.5],
      [5, 8, 62.5],
    ]);
    const asOf = await selectAll([targets[0]!], false);
    expect(asOf[0]!.counts).toBeUndefined();
    expect(numbers(targets[0]!, asOf[0]!)).toEqual([5, 8, 62.5]);
  });
});

describe('milestones by title', () => {
  it('takes the exact title first, then one that differs only in case', async () => {
    const targets = [
      makeTarget({ index: 0, name: undefined, repository: 'acme/tools', milestone: 'Q4' }),
      makeTarget({ index: 1, name: undefined, repository: 'acme/tools', milestone: 'q4' }),
      makeTarget({ index: 2, name: undefined, milestone: 'V2.0' }),
    ];
    const found = await selectAll(targets, false);
    expect(found.map((s) => [s.milestone?.number, s.displayName, s.targetUrl])).toEqual([
      [2, 'Q4', 'https://github.com/acme/tools/milestone/2'],
      [1, 'q4', 'https://github.com/acme/tools/milestone/1'],
      [1, 'v2.0', 'https://github.com/acme/widgets/milestone/1'],
    ]);
    expect(targets.map((t, i) => numbers(t, found[i]!))).toEqual([
      [1, 1, 100],
      [0, 1, 0],
      [5, 8, 62.5],
    ]);
  });
});

describe('links of the record', () => {
  it('a milestone alone links to its page; with labels or an include, to the search of the same items', async () => {
    const targets = [
      makeTarget({ index: 0, milestone: 'v2.0' }),
      makeTarget({ index: 1, milestone: 'v2.0', labels: ['okr/perf'] }),
      makeTarget({ index: 2, milestone: 'v2.0', include: 'issues' }),
      makeTarget({ index: 3, milestone: undefined, labels: ['okr/perf', 'area: api'], include: 'pulls' }),
    ];
    const found = await selectAll(targets, false);
    expect(found.map((s) => s.targetUrl)).toEqual([
      'https://github.com/acme/widgets/milestone/1',
      search('milestone:"v2.0" label:"okr/perf"'),
      search('milestone:"v2.0" is:issue'),
      search('label:"okr/perf","area: api" is:pr'),
    ]);
    expect(found.map((s) => [s.closedListUrl, s.openListUrl])).toEqual([
      [search('milestone:"v2.0" is:closed sort:updated-desc'), search('milestone:"v2.0" is:open sort:updated-desc')],
      [search('milestone:"v2.0" label:"okr/perf" is:closed sort:updated-desc'), search('milestone:"v2.0" label:"okr/perf" is:open sort:updated-desc')],
      [search('milestone:"v2.0" is:issue is:closed sort:updated-desc'), search('milestone:"v2.0" is:issue is:open sort:updated-desc')],
      [search('label:"okr/perf","area: api" is:pr is:closed sort:updated-desc'), search('label:"okr/perf","area: api" is:pr is:open sort:updated-desc')],
    ]);
    // In v2.0 with okr/perf: 7 (closed) and 10 (open). Issues of v2.0: 1, 3, 4, 5, 7, 10, of
    // which 1, 4, 7 are closed. Pull requests with either label: 2 (merged) and 9 (merged).
    expect(targets.map((t, i) => numbers(t, found[i]!))).toEqual([
      [5, 8, 62.5],
      [1, 2, 50],
      [3, 6, 50],
      [2, 2, 100],
    ]);
    expect(found.map((s) => s.displayName)).toEqual(['Launch v2', 'Launch v2', 'Launch v2', 'Launch v2']);
  });
});
