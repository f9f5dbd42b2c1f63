import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Target } from '../src/config/schema.js';
import { Collector, explainGitHubError, rateLimitError, SelectionError, type Selection } from '../src/github/collect.js';
import { ListingError, MAX_PAGES } from '../src/github/pages.js';
import { computeProgress, scheduleOf } from '../src/progress.js';
import { AS_OF, GITHUB_TOKEN, SAMPLE_REPOS } from './fixtures/sample.js';
import { makeTarget } from './fixtures/target.js';
import { octokitAt } from './helpers/octokit.js';
import { withStdout } from './helpers/stdout.js';
import { startFakeGitHub, type FakeGitHub, type FakeItem, type FakeRepo, type GitHubFault } from './servers/fake-github.js';

// Which targets are counted and which are listed, how a milestone is found, the links of the
// record, what each counted target asks GitHub and how its numbers add up, and the words a
// failure is told in: against the fake GitHub in this process, so that a change of
// src/github/collect.ts fails a test here (the end-to-end tests run the bundle, which mutation
// testing does not reach). Expected numbers are worked out by hand from the sample
// (fixtures/sample.ts) as of AS_OF, or from the small repositories below.

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

const MILESTONE = { number: 1, title: 'M', state: 'open' as const, created_at: '2026-06-01T00:00:00Z', due_on: null };

/** An item of milestone 1 by erin, created 2026-10-01, updated (and closed, when closed) at `at`. */
function item(number: number, kind: 'issue' | 'pull', state: 'open' | 'closed', at: string, more: Partial<FakeItem> = {}): FakeItem {
  return { number, title: `Item ${number}`, kind, state, created_at: '2026-10-01T00:00:00Z', updated_at: at, closed_at: state === 'closed' ? at : null, user: 'erin', labels: [], milestone: 1, ...more };
}

// Five milestones (the first titled with stray white space) and six labels, one with quotes:
// the names a missing one is told about, and the search a label with quotes makes.
const MANY: FakeRepo = {
  milestones: [' Sprint\t1 ', 'Sprint 2', 'Sprint 3', 'Sprint 4', 'Sprint 5'].map((title, i) => ({ ...MILESTONE, number: i + 1, title })),
  labels: ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'say "hi"'],
  items: [
    item(1, 'issue', 'open', '2026-11-25T00:00:00Z', { labels: ['say "hi"'] }),
    item(2, 'issue', 'closed', '2026-11-24T00:00:00Z', { labels: ['alpha', 'say "hi"'], state_reason: 'completed' }),
  ],
};

// Every way an item ends, all in the window (from 2026-11-20T09:00Z) but for the open issue 5:
// issues closed as completed (1), not planned (2), duplicate (3) and with no reason (4, which
// counts as completed); pull requests merged (6), closed unmerged (7, 9) and open (8).
const DONE: FakeRepo = {
  milestones: [MILESTONE],
  labels: [],
  items: [
    item(1, 'issue', 'closed', '2026-11-21T00:00:00Z', { state_reason: 'completed' }),
    item(2, 'issue', 'closed', '2026-11-22T00:00:00Z', { state_reason: 'not_planned' }),
    item(3, 'issue', 'closed', '2026-11-23T00:00:00Z', { state_reason: 'duplicate' }),
    item(4, 'issue', 'closed', '2026-11-24T00:00:00Z', { state_reason: null }),
    item(5, 'issue', 'open', '2026-10-03T00:00:00Z'),
    item(6, 'pull', 'closed', '2026-11-25T00:00:00Z', { merged_at: '2026-11-25T00:00:00Z' }),
    item(7, 'pull', 'closed', '2026-11-25T01:00:00Z', { merged_at: null }),
    item(8, 'pull', 'open', '2026-11-26T00:00:00Z'),
    item(9, 'pull', 'closed', '2026-11-26T01:00:00Z', { merged_at: null }),
  ],
};

// 250 open pull requests, newest update first: 250 to 152 in the window, 151 and 150 updated
// exactly at its start (2026-11-20T09:00Z, so in it), 149 to 1 before it. A page holds 100.
const PULLS: FakeRepo = {
  milestones: [MILESTONE],
  labels: [],
  items: Array.from({ length: 250 }, (_, i) =>
    item(i + 1, 'pull', 'open', i + 1 >= 152 ? '2026-11-25T00:00:00Z' : i + 1 >= 150 ? '2026-11-20T09:00:00Z' : '2026-11-01T00:00:00Z'),
  ),
};

// 250 closed issues, created in order of their numbers and closed before the window; 1, 60–69
// not planned, 190–194 and 250 duplicates: 17 dropped.
const CLOSED: FakeRepo = {
  milestones: [MILESTONE],
  labels: [],
  items: Array.from({ length: 250 }, (_, i) => {
    const n = i + 1;
    const reason = n === 1 || (n >= 60 && n <= 69) ? 'not_planned' : (n >= 190 && n <= 194) || n === 250 ? 'duplicate' : 'completed';
    return item(n, 'issue', 'closed', '2026-10-20T00:00:00Z', { created_at: new Date(Date.parse('2026-06-01T00:00:00Z') + n * 3600_000).toISOString(), state_reason: reason });
  }),
};

// Two items in milestone M; a third is added while a run reads it.
const MOVING: FakeRepo = {
  milestones: [MILESTONE],
  labels: ['bug'],
  items: [item(1, 'issue', 'open', '2026-11-25T00:00:00Z', { labels: ['bug'] }), item(2, 'issue', 'closed', '2026-11-25T00:00:00Z', { state_reason: 'completed' })],
};

let github: FakeGitHub;
let warnings: string[];

beforeAll(async () => {
  const repos = { 'acme/tools': TOOLS, 'acme/many': MANY, 'acme/empty': { milestones: [], labels: [], items: [] }, 'acme/done': DONE, 'acme/pulls': PULLS, 'acme/closed': CLOSED, 'acme/moving': MOVING };
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: { ...(structuredClone(SAMPLE_REPOS) as Record<string, FakeRepo>), ...structuredClone(repos) }, now: AS_OF });
});
afterAll(() => github.close());
beforeEach(() => {
  warnings = [];
  github.requests.length = 0;
});
afterEach(() => {
  github.faults.length = 0;
});

/** A collector of its own (its own reads of milestones, labels and lists); retries do not wait. */
function collector(token = GITHUB_TOKEN): Collector {
  return new Collector(octokitAt(github.url, token, { waitUnitMs: 0 }), 'https://github.com', (m) => warnings.push(m));
}

function selectAll(targets: Target[], live: boolean): Promise<Selection[]> {
  return Promise.all(collector().selectAll(targets, NOW, live));
}

/** Each selection, or the error it failed with. */
function settle(targets: Target[], live: boolean): Promise<PromiseSettledResult<Selection>[]> {
  return Promise.allSettled(collector().selectAll(targets, NOW, live));
}

const numbers = (target: Target, selection: Selection) => {
  const p = computeProgress(target, selection.items, NOW, scheduleOf(target, selection.milestone), undefined, selection.counts);
  return [p.done, p.total, p.percent];
};

const search = (query: string, repository = 'acme/widgets'): string => `https://github.com/${repository}/issues?q=${encodeURIComponent(query)}`;

const fault = (f: GitHubFault): void => void github.faults.push(f);
const sorted = (selection: Selection): number[] => selection.items.map((i) => i.number).sort((a, b) => a - b);
const graphqlRequests = () => github.requests.filter((r) => r.path === '/graphql');
const fellBack = (repository: string, reason: string) => `GitHub's GraphQL API failed for ${repository} (${reason}); its targets are listed over REST instead.`;

/**
 * Each GraphQL query asked, one line per connection: its alias (within its milestone's), what
 * it asks, and `→ items` or `→ reasons` for a page of nodes (none: the count alone).
 */
function queries(): string[][] {
  return graphqlRequests().map((r) => {
    const lines: string[] = [];
    let scope = '';
    for (const line of (JSON.parse(r.body) as { query: string }).query.split('\n').map((l) => l.trim())) {
      const milestone = /^(m\d+): milestone\(number: \d+\) \{$/.exec(line);
      if (milestone) scope = `${milestone[1]}.`;
      else if (line === '}') scope = '';
      else if (/^c\d+: /.test(line)) {
        lines.push(
          scope +
            line
              .replace(/orderBy: \{ field: (\w+), direction: (\w+) \}/, 'orderBy: $1 $2')
              .replace(/ \{ totalCount \}$/, '')
              .replace(/ \{ totalCount pageInfo \{ hasNextPage endCursor \} nodes \{ number stateReason\(enableDuplicate: true\) \} \}$/, ' → reasons')
              .replace(/ \{ totalCount pageInfo \{ hasNextPage endCursor \} nodes \{ .* \} \}$/, ' → items'),
        );
      }
    }
    return lines;
  });
}

/** The variables of each GraphQL query but owner and name. */
function variables(): Record<string, unknown>[] {
  return graphqlRequests().map((r) => {
    const { owner: _, name: __, ...rest } = (JSON.parse(r.body) as { variables: Record<string, unknown> }).variables;
    return rest;
  });
}

/** The GraphQL answer with `edit` made to connection `alias` of milestone 1. */
const change = (alias: string, edit: (connection: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: unknown[] }) => void): GitHubFault => ({
  route: 'graphql',
  kind: 'rewrite',
  rewrite: (body) => {
    edit((body as { data: { repository: { m1: Record<string, Parameters<typeof edit>[0]> } } }).data.repository.m1[alias]!);
    return body;
  },
});

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

describe('counted in queries of 25 targets', () => {
  it('50 targets of one repository take two queries of 25 targets (75 connections each)', async () => {
    // Issues alone and no open list: 3 connections a target (all, closed, the window's).
    const targets = Array.from({ length: 50 }, (_, index) => makeTarget({ index, repository: 'acme/tools', milestone: 'Q4', include: 'issues', openItems: 0 }));
    const found = await selectAll(targets, true);
    // Q4 holds issue 2 alone, closed.
    expect(found.map((s) => s.counts)).toEqual(targets.map(() => ({ selected: 1, closed: 1 })));
    expect(warnings).toEqual([]);
    expect(queries().map((q) => q.length)).toEqual([75, 75]);
  });

  it('a target whose milestone does not exist fails alone; the others of its repository are counted in one query', async () => {
    const targets = [
      makeTarget({ index: 0, milestone: 'v2.0' }),
      makeTarget({ index: 1, milestone: 'v3.0' }),
      makeTarget({ index: 2, name: 'Faster', milestone: undefined, labels: ['okr/perf'] }),
    ];
    const [v2, missing, perf] = await settle(targets, true);
    expect(v2).toMatchObject({ status: 'fulfilled', value: { counts: { selected: 8, closed: 5 } } });
    expect(missing).toEqual({ status: 'rejected', reason: new SelectionError('milestone "v3.0" does not exist in acme/widgets; did you mean "v2.0", "v1.9"?', ['targets', 1, 'milestone']) });
    expect((missing as PromiseRejectedResult).reason).toHaveProperty('path', ['targets', 1, 'milestone']);
    // okr/perf: issues 7, 8, 10 and pull request 9; closed 7, 8 and merged 9.
    expect(perf).toMatchObject({ status: 'fulfilled', value: { counts: { selected: 4, closed: 3 } } });
    expect(warnings).toEqual([]);
    // 8 connections for each of the two targets that exist, none for the missing one.
    expect(queries().map((q) => q.length)).toEqual([16]);
  });
});

describe('milestones by number', () => {
  it('finds a milestone by its number, a closed one too; the title shown is cleaned', async () => {
    const targets = [
      makeTarget({ index: 0, name: undefined, milestone: 2 }),
      makeTarget({ index: 1, name: undefined, repository: 'acme/many', milestone: ' Sprint\t1 ' }),
    ];
    const found = await selectAll(targets, false);
    expect(found.map((s) => [s.milestone?.number, s.displayName, s.targetUrl, sorted(s)])).toEqual([
      // v1.9 is closed and holds nothing.
      [2, 'v1.9', 'https://github.com/acme/widgets/milestone/2', []],
      [1, 'Sprint 1', 'https://github.com/acme/many/milestone/1', [1, 2]],
    ]);
  });
});

describe('milestones and labels that do not exist', () => {
  it('fail the target with the names that are near, or those the repository has, and the key to fix', async () => {
    const targets = [
      makeTarget({ index: 0, milestone: 'v2.1' }),
      makeTarget({ index: 1, milestone: 7 }),
      // Exactly five milestones: all named, titles cleaned.
      makeTarget({ index: 2, repository: 'acme/many', milestone: 'Backlog' }),
      // Six labels: the first five, then "…".
      makeTarget({ index: 3, repository: 'acme/many', milestone: undefined, labels: ['gama', 'urgent'] }),
      makeTarget({ index: 4, repository: 'acme/empty', milestone: 'v1' }),
      makeTarget({ index: 5, repository: 'acme/empty', milestone: undefined, labels: ['bug'] }),
    ];
    const failed = await settle(targets, false);
    expect(failed.map((f) => (f.status === 'rejected' && f.reason instanceof SelectionError ? [f.reason.message, f.reason.path] : f.status))).toEqual([
      ['milestone "v2.1" does not exist in acme/widgets; did you mean "v2.0", "v1.9"?', ['targets', 0, 'milestone']],
      ['milestone #7 does not exist in acme/widgets; it has "v2.0", "v1.9"', ['targets', 1, 'milestone']],
      ['milestone "Backlog" does not exist in acme/many; it has "Sprint 1", "Sprint 2", "Sprint 3", "Sprint 4", "Sprint 5"', ['targets', 2, 'milestone']],
      [
        'label "gama" does not exist in acme/many; did you mean "gamma"?; label "urgent" does not exist in acme/many; it has "alpha", "beta", "gamma", "delta", "epsilon", …',
        ['targets', 3, 'labels'],
      ],
      ['milestone "v1" does not exist in acme/empty; it has no milestones', ['targets', 4, 'milestone']],
      ['label "bug" does not exist in acme/empty; it has no labels', ['targets', 5, 'labels']],
    ]);
    expect((failed[0] as PromiseRejectedResult).reason).toHaveProperty('name', 'SelectionError');
  });
});

describe('labels', () => {
  it('labels alone select items with any of them, each once, named by the labels; quotes are left out of the search', async () => {
    const targets = [
      makeTarget({ index: 0, name: undefined, milestone: undefined, labels: ['okr/perf', 'area: api'] }),
      makeTarget({ index: 1, name: undefined, repository: 'acme/many', milestone: undefined, labels: ['say "hi"', 'alpha'] }),
    ];
    const found = await selectAll(targets, false);
    // okr/perf: 7, 8, 9, 10; area: api: 1, 2, 10. Item 2 of acme/many has both labels.
    expect(found.map(sorted)).toEqual([
      [1, 2, 7, 8, 9, 10],
      [1, 2],
    ]);
    expect(found.map((s) => s.displayName)).toEqual(['okr/perf, area: api', 'say "hi", alpha']);
    expect(found.map((s) => [s.targetUrl, s.closedListUrl, s.openListUrl])).toEqual([
      [search('label:"okr/perf","area: api"'), search('label:"okr/perf","area: api" is:closed sort:updated-desc'), search('label:"okr/perf","area: api" is:open sort:updated-desc')],
      [
        search('label:"say hi","alpha"', 'acme/many'),
        search('label:"say hi","alpha" is:closed sort:updated-desc', 'acme/many'),
        search('label:"say hi","alpha" is:open sort:updated-desc', 'acme/many'),
      ],
    ]);
  });

  it('a milestone with labels selects its items with any of the labels', async () => {
    const target = makeTarget({ milestone: 'v2.0', labels: ['okr/perf', 'docs'], include: 'pulls' });
    const [found] = await selectAll([target], false);
    // v2.0 with okr/perf: 7 and 10 (which has area: api too); with docs: 5.
    expect(sorted(found!)).toEqual([5, 7, 10]);
    expect(found!.targetUrl).toBe(search('milestone:"v2.0" label:"okr/perf","docs" is:pr'));
  });
});

describe('lists', () => {
  it('each list is read once for every target that shares it, and the repository once', async () => {
    const targets = [
      makeTarget({ index: 0, milestone: 'v2.0' }),
      makeTarget({ index: 1, milestone: 'v2.0', labels: ['okr/perf'] }),
      makeTarget({ index: 2, milestone: undefined, labels: ['okr/perf'] }),
      makeTarget({ index: 3, milestone: undefined, labels: ['okr/perf', 'docs'] }),
    ];
    await selectAll(targets, false);
    expect(github.requests.map((r) => [r.path, r.query['milestone'] ?? r.query['labels']])).toEqual([
      ['/repos/acme/widgets/milestones', undefined],
      ['/repos/acme/widgets/labels', undefined],
      ['/repos/acme/widgets/issues', '1'],
      ['/repos/acme/widgets/issues', 'okr/perf'],
      ['/repos/acme/widgets/issues', 'docs'],
    ]);
  });

  it('a list of milestones or of a label’s items that does not end fails the target, naming the list', async () => {
    fault({ route: 'milestones', kind: 'link', next: 1 });
    await expect(collector().select(makeTarget())).rejects.toThrow(
      new ListingError("GitHub's list of the milestones of acme/widgets links its next page to page 1, a page already read, after 1 pages; the list was not read to its end. The number was not written."),
    );
    fault({ route: 'issues', kind: 'link', next: 1 });
    await expect(collector().select(makeTarget({ milestone: undefined, labels: ['bug'] }))).rejects.toThrow(
      new ListingError(
        'GitHub\'s list of the issues and pull requests of acme/widgets labelled "bug" links its next page to page 1, a page already read, after 1 pages; the list was not read to its end. The number was not written.',
      ),
    );
  });
});

describe('what a counted target asks', () => {
  async function counted(overrides: Partial<Target>) {
    github.requests.length = 0;
    const target = makeTarget({ repository: 'acme/done', milestone: 'M', ...overrides });
    const [selection] = await selectAll([target], true);
    return { selection: selection!, queries: queries() };
  }

  it('progress: github: the counts of all and of the closed, the items of the window and the open items', async () => {
    const all = await counted({});
    expect(all.queries).toEqual([
      [
        'm1.c0: issues',
        'm1.c1: pullRequests',
        'm1.c2: issues(states: [CLOSED])',
        'm1.c3: pullRequests(states: [CLOSED, MERGED])',
        'm1.c4: issues(filterBy: { since: $since4 }, first: 100, orderBy: UPDATED_AT DESC) → items',
        'm1.c5: issues(states: [OPEN], first: 10, orderBy: UPDATED_AT DESC) → items',
        'm1.c6: pullRequests(first: 100, orderBy: UPDATED_AT DESC) → items',
        'm1.c7: pullRequests(states: [OPEN], first: 10, orderBy: UPDATED_AT DESC) → items',
      ],
    ]);
    expect(variables()).toEqual([{ since4: '2026-11-20T09:00:00.000Z' }]);
    // Closed: issues 1–4, pull requests 6, 7, 9. Issue 5, open but updated before the window,
    // comes from the open list.
    expect(all.selection.counts).toEqual({ selected: 9, closed: 7 });
    expect(sorted(all.selection)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // open_items: 0 asks no open list, and issue 5 is not read.
    const none = await counted({ openItems: 0 });
    expect(none.queries).toEqual([
      [
        'm1.c0: issues',
        'm1.c1: pullRequests',
        'm1.c2: issues(states: [CLOSED])',
        'm1.c3: pullRequests(states: [CLOSED, MERGED])',
        'm1.c4: issues(filterBy: { since: $since4 }, first: 100, orderBy: UPDATED_AT DESC) → items',
        'm1.c5: pullRequests(first: 100, orderBy: UPDATED_AT DESC) → items',
      ],
    ]);
    expect(none.selection.counts).toEqual({ selected: 9, closed: 7 });
    expect(sorted(none.selection)).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);

    // The open list is its first page alone, though more open items follow: with open_items 2,
    // Launch v2's open issues 3 and 5 (10 was updated before them), in one query. All three
    // were updated in the window, and come with it.
    github.requests.length = 0;
    const [launch] = await selectAll([makeTarget({ milestone: 'v2.0', openItems: 2 })], true);
    expect(warnings).toEqual([]);
    expect(graphqlRequests()).toHaveLength(1);
    expect(launch!.counts).toEqual({ selected: 8, closed: 5 });
    expect(sorted(launch!)).toEqual([1, 2, 3, 4, 5, 6, 10]);
  });

  it('progress: completed: the pull requests closed unmerged and the closed issues’ reasons too; dropped are those and the issues not planned or duplicate', async () => {
    const all = await counted({ progress: 'completed', openItems: 0 });
    expect(all.queries).toEqual([
      [
        'm1.c0: issues',
        'm1.c1: pullRequests',
        'm1.c2: issues(states: [CLOSED])',
        'm1.c3: pullRequests(states: [CLOSED, MERGED])',
        'm1.c4: pullRequests(states: [CLOSED])',
        'm1.c5: issues(filterBy: { since: $since5 }, first: 100, orderBy: UPDATED_AT DESC) → items',
        'm1.c6: issues(states: [CLOSED], first: 100, orderBy: CREATED_AT ASC) → reasons',
        'm1.c7: issues(states: [CLOSED], first: 100, orderBy: CREATED_AT DESC) → reasons',
        'm1.c8: pullRequests(first: 100, orderBy: UPDATED_AT DESC) → items',
      ],
    ]);
    // Dropped: pull requests 7 and 9, issues 2 (not planned) and 3 (duplicate); 4, closed
    // without a reason, counts as completed.
    expect(all.selection.counts).toEqual({ selected: 9, closed: 7, dropped: 4 });

    // Issues alone: no pull request is asked, so 7 and 9 are not dropped.
    const issues = await counted({ progress: 'completed', openItems: 0, include: 'issues' });
    expect(issues.queries).toEqual([
      [
        'm1.c0: issues',
        'm1.c1: issues(states: [CLOSED])',
        'm1.c2: issues(filterBy: { since: $since2 }, first: 100, orderBy: UPDATED_AT DESC) → items',
        'm1.c3: issues(states: [CLOSED], first: 100, orderBy: CREATED_AT ASC) → reasons',
        'm1.c4: issues(states: [CLOSED], first: 100, orderBy: CREATED_AT DESC) → reasons',
      ],
    ]);
    expect(issues.selection.counts).toEqual({ selected: 5, closed: 4, dropped: 2 });

    // Pull requests alone: no issue's reason is asked, so 2 and 3 are not dropped.
    const pulls = await counted({ progress: 'completed', include: 'pulls' });
    expect(pulls.queries).toEqual([
      [
        'm1.c0: pullRequests',
        'm1.c1: pullRequests(states: [CLOSED, MERGED])',
        'm1.c2: pullRequests(states: [CLOSED])',
        'm1.c3: pullRequests(first: 100, orderBy: UPDATED_AT DESC) → items',
        'm1.c4: pullRequests(states: [OPEN], first: 10, orderBy: UPDATED_AT DESC) → items',
      ],
    ]);
    expect(pulls.selection.counts).toEqual({ selected: 4, closed: 3, dropped: 2 });
  });
});

describe('counted lists longer than a page', () => {
  it('pull requests are read a page at a time until one was updated before the window', async () => {
    const target = makeTarget({ repository: 'acme/pulls', milestone: 'M', include: 'pulls', openItems: 0 });
    const c = collector();
    const [found] = await Promise.all(c.selectAll([target], NOW, true));
    expect(warnings).toEqual([]);
    // Two queries of under 100 connections' requests each: a point each.
    expect(c.graphql).toMatchObject({ queries: 2, cost: 2 });
    // Page 1 (250 to 152, then 151) ends at the window's start: page 2 (150, then 149 to 51)
    // is read, and ends before it: page 3 is not.
    expect(queries()).toEqual([
      ['m1.c0: pullRequests', 'm1.c1: pullRequests(states: [CLOSED, MERGED])', 'm1.c2: pullRequests(first: 100, orderBy: UPDATED_AT DESC) → items'],
      ['m1.c0: pullRequests(first: 100, orderBy: UPDATED_AT DESC, after: $after0) → items'],
    ]);
    expect(variables()).toEqual([{}, { after0: Buffer.from('cursor:v2:100').toString('base64') }]);
    expect(found!.counts).toEqual({ selected: 250, closed: 0 });
    expect(found!.items).toHaveLength(200);
    expect(found!.items.map((i) => i.number).slice(98, 102)).toEqual([152, 151, 150, 149]);
  });

  it('closed issues are read from both ends until the ends meet', async () => {
    const target = makeTarget({ repository: 'acme/closed', milestone: 'M', include: 'issues', progress: 'completed', openItems: 0 });
    const [found] = await selectAll([target], true);
    expect(warnings).toEqual([]);
    // 1–100 and 250–151 have nothing in common; 101–200 and 150–51 meet them.
    expect(queries()).toEqual([
      [
        'm1.c0: issues',
        'm1.c1: issues(states: [CLOSED])',
        'm1.c2: issues(filterBy: { since: $since2 }, first: 100, orderBy: UPDATED_AT DESC) → items',
        'm1.c3: issues(states: [CLOSED], first: 100, orderBy: CREATED_AT ASC) → reasons',
        'm1.c4: issues(states: [CLOSED], first: 100, orderBy: CREATED_AT DESC) → reasons',
      ],
      [
        'm1.c0: issues(states: [CLOSED], first: 100, orderBy: CREATED_AT ASC, after: $after0) → reasons',
        'm1.c1: issues(states: [CLOSED], first: 100, orderBy: CREATED_AT DESC, after: $after1) → reasons',
      ],
    ]);
    expect(found!.counts).toEqual({ selected: 250, closed: 250, dropped: 17 });
    expect(found!.items).toEqual([]);
  });
});

describe('a counted list that does not end', () => {
  it(`is given up after ${MAX_PAGES} pages, and the targets listed over REST`, async () => {
    // A thousand queries through the fake GitHub would take seconds: here GraphQL answers
    // straight away, every page with a new cursor and more to come, the first with a pull
    // request updated in the window (so the window never ends). Only after 1,100 pages would
    // it end.
    let asked = 0;
    const node = { number: 8, title: 'Endless', url: 'https://github.com/acme/done/pull/8', state: 'OPEN', mergedAt: null, createdAt: '2026-10-01T00:00:00Z', updatedAt: '2026-11-26T00:00:00Z', closedAt: null, author: { __typename: 'User', login: 'erin' }, milestone: { number: 1 } };
    const graphql = async (query: string): Promise<unknown> => {
      asked += 1;
      const m1: Record<string, unknown> = {};
      for (const [, alias, selection] of query.matchAll(/(c\d+): pullRequests(?:\([^)]*\))? \{ (totalCount(?: pageInfo)?)/g)) {
        m1[alias!] = selection === 'totalCount' ? { totalCount: 1 } : { totalCount: 1, pageInfo: { hasNextPage: asked < 1100, endCursor: `page ${asked}` }, nodes: asked === 1 ? [node] : [] };
      }
      return { repository: { m1 }, rateLimit: { cost: 1, remaining: 4000 } };
    };
    const c = collector();
    Object.assign(c.octokit, { graphql });
    const [found] = await Promise.all(c.selectAll([makeTarget({ repository: 'acme/done', milestone: 'M', include: 'pulls', openItems: 0 })], NOW, true));
    expect(asked).toBe(MAX_PAGES);
    expect(warnings).toEqual([fellBack('acme/done', `a list goes on past ${MAX_PAGES} pages`)]);
    expect(found!.counts).toBeUndefined();
  });
});

describe('counted lists that do not add up', () => {
  // Launch v2 as of AS_OF: c4 is the issues of its window (1, 3, 4, 5, 10).
  const launch = makeTarget({ milestone: 'v2.0' });

  it('a list read to its end with an item twice: listed over REST instead', async () => {
    // 6 items where GitHub counts 5: as many different ones as it counts, but one too many.
    fault(change('c4', (c) => void c.nodes.push(c.nodes[0])));
    const [found] = await selectAll([launch], true);
    expect(warnings).toEqual([fellBack('acme/widgets', 'a list read to its end held 6 items (5 different), where GitHub counts 5')]);
    expect(found!.counts).toBeUndefined();
    expect(numbers(launch, found!)).toEqual([5, 8, 62.5]);
  });

  it('an empty page that says more follow ends the list', async () => {
    fault(
      change('c4', (c) => {
        c.nodes = [];
        c.pageInfo.hasNextPage = true;
      }),
    );
    const [found] = await selectAll([launch], true);
    expect(warnings).toEqual([]);
    expect(graphqlRequests()).toHaveLength(1);
    // Without the issues of the window: the pull requests 2 and 6, the open issues 3, 5 and 10.
    expect(found!.counts).toEqual({ selected: 8, closed: 5 });
    expect(sorted(found!)).toEqual([2, 3, 5, 6, 10]);
  });

  it('the two ends of the closed issues must count the same', async () => {
    // acme/done, progress: completed, open_items 10: c7 and c8 are the closed issues from
    // either end. The newest end counts one more (5) and says it goes on; the oldest end,
    // read to its end, holds the 4 closed issues.
    fault(
      change('c8', (c) => {
        c.totalCount += 1;
        c.pageInfo.hasNextPage = true;
      }),
    );
    const [found] = await selectAll([makeTarget({ repository: 'acme/done', milestone: 'M', progress: 'completed' })], true);
    expect(warnings).toEqual([fellBack('acme/done', 'a list read from both ends held 4 items, where GitHub counts 4')]);
    expect(found!.counts).toBeUndefined();
  });
});

describe('a GraphQL query that fails', () => {
  const launch = makeTarget({ milestone: 'v2.0' });

  it('HTTP 502: not asked again, the targets are listed over REST', async () => {
    fault({ route: 'graphql', kind: 'status', status: 502 });
    const [found] = await selectAll([launch], true);
    expect(warnings).toEqual([fellBack('acme/widgets', 'HTTP 502: Server Error - https://docs.github.com/rest')]);
    expect(graphqlRequests()).toHaveLength(1);
    expect(found!.counts).toBeUndefined();
    expect(found!.items).toHaveLength(8);
    expect(numbers(launch, found!)).toEqual([5, 8, 62.5]);
  });

  it('an answer in another shape, and errors without a status, are told in one line', async () => {
    fault(change('c0', (c) => void ((c as { totalCount: unknown }).totalCount = 'eight')));
    await selectAll([launch], true);
    fault({ route: 'graphql', kind: 'errors', message: 'Timeout on\n  validation of query \n' });
    await selectAll([launch], true);
    expect(warnings).toEqual([
      fellBack('acme/widgets', 'an answer in an unexpected shape: ✖ Invalid input: expected number, received string → at totalCount'),
      fellBack('acme/widgets', 'Request failed due to following response errors: - Timeout on validation of query'),
    ]);
  });
});

describe('GitHub errors, explained', () => {
  const DOCS = 'https://docs.github.com/rest';

  it('a repository that does not exist, a token GitHub rejects, a status of its own', async () => {
    await expect(collector().select(makeTarget({ repository: 'acme/nope' }))).rejects.toThrow(
      new Error('GitHub repository acme/nope was not found, or the token cannot read it; for another repository, pass a token with access to it as github-token (HTTP 404).'),
    );
    await expect(collector('ghs_wrong').select(makeTarget())).rejects.toThrow(new Error(`GitHub rejected the token (HTTP 401: Bad credentials - ${DOCS}); check the github-token input.`));
    fault({ route: 'issues', kind: 'status', status: 422 });
    await expect(collector().select(makeTarget())).rejects.toThrow(new Error(`GitHub request for acme/widgets failed (HTTP 422): Validation Failed - ${DOCS}`));
  });

  it('a list in another shape', async () => {
    fault({ route: 'milestones', kind: 'rewrite', rewrite: (body) => (body as Record<string, unknown>[]).map((m) => ({ ...m, title: 2 })) });
    await expect(collector().select(makeTarget())).rejects.toThrow(
      new Error('GitHub answered for acme/widgets in an unexpected shape: ✖ Invalid input: expected string, received number\n  → at [0].title\n✖ Invalid input: expected string, received number\n  → at [1].title'),
    );
  });

  it('HTTP 403 when the milestone is read again, after its list came longer than it counts', async () => {
    const c = collector();
    // The repository (milestone M counting 2 items) is read once for the run, here for a label target.
    await c.select(makeTarget({ repository: 'acme/moving', milestone: undefined, labels: ['bug'] }));
    github.repos['acme/moving']!.items.push(item(3, 'issue', 'open', '2026-11-26T00:00:00Z'));
    fault({ route: 'milestones', kind: 'status', status: 403 });
    await expect(c.select(makeTarget({ repository: 'acme/moving', milestone: 'M' }))).rejects.toThrow(
      new Error(`GitHub refused access to acme/moving (HTTP 403: Forbidden - ${DOCS}); grant the workflow issues: read and pull-requests: read, or pass a token that has them.`),
    );
    expect(github.requests.map((r) => `${r.path} ${r.status}`).slice(-2)).toEqual(['/repos/acme/moving/issues 200', '/repos/acme/moving/milestones/1 403']);
  });

  it('a rate limit by its status and its words or its remaining count, with the time it resets when GitHub gave one', () => {
    const failure = (status: number, message: string, headers: Record<string, string> = {}) => Object.assign(new Error(message), { status, response: { headers } });
    const words = (status: number, message: string, headers?: Record<string, string>) => rateLimitError(failure(status, message, headers), 'acme/x')?.message;
    expect(words(429, 'Too Many Requests', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1893456000' })).toBe(
      "GitHub's rate limit stopped the reading of acme/x (HTTP 429: Too Many Requests); the run waits at most 2 minutes for it. Run again after 2030-01-01T00:00:00.000Z.",
    );
    expect(words(403, 'You have exceeded a secondary rate limit.')).toBe(
      "GitHub's rate limit stopped the reading of acme/x (HTTP 403: You have exceeded a secondary rate limit.); the run waits at most 2 minutes for it. Run again later.",
    );
    expect(words(403, 'API Rate Limit exceeded', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0' })).toMatch(/\(HTTP 403: API Rate Limit exceeded\); .* Run again later\.$/);
    // A secondary limit: the hourly limit's reset time is not when it ends; retry-after is.
    expect(words(403, 'You have exceeded a secondary rate limit.', { 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': '1893456000', 'retry-after': '300' })).toBe(
      "GitHub's rate limit stopped the reading of acme/x (HTTP 403: You have exceeded a secondary rate limit.); the run waits at most 2 minutes for it. Run again after the 300 s GitHub asked for.",
    );
    expect(rateLimitError(Object.assign(new Error('API rate limit exceeded'), { status: 403 }), 'acme/x')?.message).toBe(
      "GitHub's rate limit stopped the reading of acme/x (HTTP 403: API rate limit exceeded); the run waits at most 2 minutes for it. Run again later.",
    );
    // A retry-after of 0 says nothing of when to run again.
    expect(words(403, 'You have exceeded a secondary rate limit.', { 'retry-after': '0' })).toMatch(/ Run again later\.$/);
    // Neither a rate limit's status, nor its words or count.
    expect(words(500, 'rate limit service down', { 'x-ratelimit-remaining': '0' })).toBeUndefined();
    expect(words(403, 'Resource not accessible by integration', { 'x-ratelimit-remaining': '12' })).toBeUndefined();
    expect(words(403, 'moderate limits')).toBeUndefined();
    expect(rateLimitError('rate limit', 'acme/x')).toBeUndefined();
    expect(explainGitHubError(failure(403, 'Must have admin rights', { 'x-ratelimit-remaining': '4999' }), 'acme/x').message).toBe(
      'GitHub refused access to acme/x (HTTP 403: Must have admin rights); grant the workflow issues: read and pull-requests: read, or pass a token that has them.',
    );
  });

  it('what has no status: a network error, something thrown that is not an Error; a list that did not end is told as it is', () => {
    expect(explainGitHubError(new Error('socket hang up'), 'acme/x').message).toBe('GitHub request for acme/x failed: socket hang up');
    expect(explainGitHubError('gone away', 'acme/x').message).toBe('GitHub request for acme/x failed: gone away');
    const listing = new ListingError('The list goes on.');
    expect(explainGitHubError(listing, 'acme/x')).toBe(listing);
  });
});

describe('GitHub in trouble', () => {
  const MILESTONES = '/repos/acme/widgets/milestones';

  it('5xx answers are asked again, three times at most, and the numbers are those of the whole list', async () => {
    fault({ route: 'milestones', kind: 'status', status: 502, times: 2 });
    const [found] = await selectAll([makeTarget()], false);
    expect(numbers(makeTarget(), found!)).toEqual([5, 8, 62.5]);
    expect(github.requests.filter((r) => r.path === MILESTONES).map((r) => r.status)).toEqual([502, 502, 200]);

    fault({ route: 'milestones', kind: 'status', status: 503, times: 4 });
    await expect(collector().select(makeTarget())).rejects.toThrow(new Error('GitHub request for acme/widgets failed (HTTP 503): Service Unavailable - https://docs.github.com/rest'));
    expect(github.requests.filter((r) => r.path === MILESTONES).map((r) => r.status).slice(3)).toEqual([503, 503, 503, 503]);
  });

  it('a secondary rate limit is waited out as retry-after says, and said', async () => {
    const message = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
    fault({ route: 'milestones', kind: 'status', status: 403, message, headers: { 'retry-after': '7' } });
    const { outcome, lines } = await withStdout(() => selectAll([makeTarget()], false));
    expect(outcome.status === 'fulfilled' && numbers(makeTarget(), outcome.value[0]!)).toEqual([5, 8, 62.5]);
    expect(lines).toEqual([`::warning::GitHub secondary rate limit for GET ${github.url}${MILESTONES}?state=all&per_page=100; waiting 7 s.`]);
    expect(github.requests.filter((r) => r.path === MILESTONES).map((r) => r.status)).toEqual([403, 200]);
  });

  it('a rate limit that resets in more than 2 minutes fails the target, saying when to run again', async () => {
    const message = 'API rate limit exceeded for installation ID 1.';
    // GitHub's reset time is in seconds since 1970; octokit reads it as a 32-bit integer.
    fault({ route: 'milestones', kind: 'status', status: 403, message, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1893456000' } });
    const { outcome, lines } = await withStdout(() => collector().select(makeTarget()));
    expect(outcome).toEqual({
      status: 'rejected',
      reason: new Error(
        `GitHub's rate limit stopped the reading of acme/widgets (HTTP 403: ${message} - https://docs.github.com/rest); the run waits at most 2 minutes for it. Run again after 2030-01-01T00:00:00.000Z.`,
      ),
    });
    expect(lines).toEqual([`::warning::GitHub rate limit reached for GET ${github.url}${MILESTONES}?state=all&per_page=100; giving up.`]);
    expect(github.requests.filter((r) => r.path === MILESTONES).map((r) => r.status)).toEqual([403]);
  });

  it('a rate limit already reset is asked again at once; one that goes on is given up after three waits', async () => {
    fault({ route: 'milestones', kind: 'status', status: 403, message: 'API rate limit exceeded', headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0' }, times: 4 });
    const { outcome, lines } = await withStdout(() => collector().select(makeTarget()));
    expect(outcome).toEqual({
      status: 'rejected',
      reason: new Error("GitHub's rate limit stopped the reading of acme/widgets (HTTP 403: API rate limit exceeded - https://docs.github.com/rest); the run waits at most 2 minutes for it. Run again later."),
    });
    const warning = (end: string) => `::warning::GitHub rate limit reached for GET ${github.url}${MILESTONES}?state=all&per_page=100; ${end}.`;
    expect(lines).toEqual([warning('waiting 0 s'), warning('waiting 0 s'), warning('waiting 0 s'), warning('giving up')]);
    expect(github.requests.filter((r) => r.path === MILESTONES).map((r) => r.status)).toEqual([403, 403, 403, 403]);
  });
});
