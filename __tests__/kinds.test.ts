import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseMappingDocument, pathText } from '../src/config/load.js';
import { resolveTargets } from '../src/config/resolve.js';
import type { Target } from '../src/config/schema.js';
import { Collector, SelectionError } from '../src/github/collect.js';
import { createOctokit } from '../src/github/octokit.js';
import { computeProgress, scheduleOf } from '../src/progress.js';
import { selectTargets } from '../src/sources/index.js';
import { parseMetricsInput } from '../src/sources/metrics-input.js';
import { KINDS_AS_OF, KINDS_EXPECTED, KINDS_FILES, KINDS_METRICS, KINDS_REPOS, kindsMapping } from './fixtures/kinds.js';
import { githubGraphqlSchema, startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';
import { parse, validate } from 'graphql';
import { buildRecordRequest, measureWords } from '../src/record/content.js';
import { partsOf } from '../src/sources/query.js';
import { makeTarget } from './fixtures/target.js';
import { renderContent } from './helpers/render.js';
import { symlink } from 'node:fs/promises';
import { CANNOT_SEARCH, parseSearch, search } from './servers/fake-search.js';

// Every kind of key result on the hand-counted fixture, counted (a run about the present)
// and listed (a back-fill): the same percent, the same ticked boxes, and bad values failing
// only their own target.

const TOKEN = 'ghs_kindsToken0123456789';
let github: FakeGitHub;
let workspace: string;

beforeAll(async () => {
  github = await startFakeGitHub({ token: TOKEN, repos: structuredClone(KINDS_REPOS), now: KINDS_AS_OF });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-kinds-'));
  for (const [file, text] of Object.entries(KINDS_FILES)) {
    await mkdir(path.dirname(path.join(workspace, file)), { recursive: true });
    await writeFile(path.join(workspace, file), text);
  }
});

afterAll(async () => {
  await github.close();
  await rm(workspace, { recursive: true, force: true });
});

/** What the records would say of each target, as main.ts works it out. */
async function runKinds(live: boolean, mapping = kindsMapping()) {
  const loaded = parseMappingDocument(mapping, 'okr.yml');
  const targets = resolveTargets(loaded.mapping, 'acme/widgets');
  const now = new Date(KINDS_AS_OF);
  const before = process.env['GITHUB_API_URL'];
  process.env['GITHUB_API_URL'] = github.url;
  github.requests.length = 0;
  const warnings: string[] = [];
  try {
    const collector = new Collector(createOctokit(TOKEN), 'https://github.com', (m) => warnings.push(m));
    const selections = selectTargets(collector, targets, now, live, { metrics: parseMetricsInput(KINDS_METRICS), workspace });
    for (const selecting of selections) selecting.catch(() => undefined); // awaited below, as main.ts does
    const results = [];
    const records: string[] = [];
    for (const [i, target] of targets.entries()) {
      try {
        const selection = await selections[i]!;
        const progress = computeProgress(target, selection.items, now, scheduleOf(target, selection.milestone, selection.schedule, now), undefined, selection.counts, selection.measured);
        const request = buildRecordRequest({
          target,
          displayName: selection.displayName,
          progress,
          targetUrl: selection.targetUrl,
          closedListUrl: selection.closedListUrl,
          openListUrl: selection.openListUrl,
          people: {},
          periodKey: '2026-W48',
          run: { url: 'https://github.com/acme/widgets/actions/runs/1', label: 'OKR #1' },
        });
        records.push(renderContent(request.content));
        results.push({
          name: selection.displayName,
          percent: progress.percent,
          done: progress.done,
          total: progress.total,
          unit: progress.unit,
          closed: progress.closedInWindow.map((item) => /github\.com\/(.+?)\/(?:issues|pull)\/(\d+)$/.exec(item.url)!.slice(1).join('#')),
          openCount: progress.openCount,
        });
      } catch (error) {
        const message = error instanceof SelectionError ? `${pathText(error.path)}: ${error.message}` : (error as Error).message;
        results.push({ name: target.name, error: message.startsWith('targets[8].metric: ') ? message.slice('targets[8].metric: '.length) : message });
        records.push('');
      }
    }
    return { results, records, warnings, requests: [...github.requests] };
  } finally {
    process.env['GITHUB_API_URL'] = before;
  }
}

describe('every kind on the hand-counted fixture', () => {
  it('counted in a run about the present: the hand count, with GraphQL counts and few requests', async () => {
    const { results, requests } = await runKinds(true);
    expect(results).toEqual(KINDS_EXPECTED);
    // REST: milestones and labels of acme/widgets; GraphQL: the searches, the one rejected search asked again without it.
    expect(requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /repos/acme/widgets/labels',
      'GET /repos/acme/widgets/milestones',
      'POST /graphql',
      'POST /graphql',
    ]);
  });

  it('listed for a back-fill: the same numbers, over REST search', async () => {
    const { results, requests } = await runKinds(false);
    expect(results).toEqual(KINDS_EXPECTED);
    expect(requests.some((r) => r.path === '/graphql')).toBe(false);
    expect(requests.filter((r) => r.path === '/search/issues').map((r) => r.query['q'])).toContain(
      'repo:acme/widgets milestone:"v2.0" is:issue assignee:bob -assignee:alice created:<=2026-11-27T09:00:00Z',
    );
  });
});

describe('the searches a target is made of', () => {
  const target = (overrides: Partial<Target>) => makeTarget({ milestone: undefined, ...overrides });

  it('adds the repository to a query that names none, and splits by kind', () => {
    expect(partsOf(target({ query: 'label:bug' }), undefined, false).map((p) => p.query)).toEqual([
      'label:bug repo:acme/widgets is:issue',
      'label:bug repo:acme/widgets is:pr',
    ]);
    expect(partsOf(target({ query: 'org:acme label:bug is:issue' }), undefined, false).map((p) => p.query)).toEqual(['org:acme label:bug is:issue is:issue']);
    expect(partsOf(target({ query: 'user:octo label:bug', include: 'pulls' }), undefined, false).map((p) => p.query)).toEqual(['user:octo label:bug is:pr']);
  });

  it('any of the assignees as disjoint searches, each author its own; milestone and labels as qualifiers', () => {
    const milestone = { number: 1, title: 'v2.0', html_url: '', state: 'open' as const, created_at: '', due_on: null, open_issues: 0, closed_issues: 0 };
    const parts = partsOf(target({ labels: ['bug', 'area: api'], assignees: ['alice', 'bob', 'carol'], authors: ['dave', 'erin'], include: 'issues' }), milestone, false);
    expect(parts.map((p) => p.query)).toEqual([
      'repo:acme/widgets milestone:"v2.0" label:"bug","area: api" is:issue assignee:alice author:dave',
      'repo:acme/widgets milestone:"v2.0" label:"bug","area: api" is:issue assignee:alice author:erin',
      'repo:acme/widgets milestone:"v2.0" label:"bug","area: api" is:issue assignee:bob -assignee:alice author:dave',
      'repo:acme/widgets milestone:"v2.0" label:"bug","area: api" is:issue assignee:bob -assignee:alice author:erin',
      'repo:acme/widgets milestone:"v2.0" label:"bug","area: api" is:issue assignee:carol -assignee:alice -assignee:bob author:dave',
      'repo:acme/widgets milestone:"v2.0" label:"bug","area: api" is:issue assignee:carol -assignee:alice -assignee:bob author:erin',
    ]);
  });

  it('weights as levels of points, largest first, labels of one weight together, then none of them', () => {
    const parts = partsOf(target({ labels: ['bug'], include: 'issues', weights: { S: 1, M: 3, L: 8, XL: 8 }, defaultWeight: 2 }), undefined, true);
    expect(parts.map((p) => [p.points, p.query])).toEqual([
      [8, 'repo:acme/widgets label:"bug" is:issue label:"L","XL"'],
      [3, 'repo:acme/widgets label:"bug" is:issue label:"M" -label:"L" -label:"XL"'],
      [1, 'repo:acme/widgets label:"bug" is:issue label:"S" -label:"L" -label:"XL" -label:"M"'],
      [2, 'repo:acme/widgets label:"bug" is:issue -label:"S" -label:"M" -label:"L" -label:"XL"'],
    ]);
  });
});

describe('GitHub requests of the kinds', () => {
  it("every GraphQL query is valid against GitHub's published schema, and carries the searches as variables", async () => {
    const { requests } = await runKinds(true);
    const queries = requests.filter((r) => r.path === '/graphql').map((r) => JSON.parse(r.body) as { query: string; variables: Record<string, string> });
    expect(queries.length).toBe(2);
    for (const { query, variables } of queries) {
      expect(validate(githubGraphqlSchema(), parse(query))).toEqual([]);
      expect(query).not.toContain('label:');
      expect(Object.values(variables).some((v) => v.includes('label:bug'))).toBe(true);
    }
  });
});

describe('records of each kind', () => {
  it('say each kind in its words: goal, points and metric', async () => {
    const { records } = await runKinds(true);
    expect(records[0]!.split('\n').slice(0, 6)).toEqual([
      'Bugs closed across acme — 60% · 6 of 10 closed since 2026-10-01 · no status',
      'Closed since 2026-11-20 (3)',
      '  ☑ acme/gadgets#1 Battery drain — @carol',
      '  ☑ #1 Crash on save — @carol',
      '  ☑ #3~~ Typo in dialog~~ (not planned) — @dave',
      'Still open (3)',
    ]);
    expect(records[3]!.split('\n')[0]).toBe('v2.0 by points — 92% · 23 of 25 points, due 2026-12-31 · on track');
    expect(records[3]!).toContain('\n  • Done: 23 of 25 points\n');
    expect(records[6]).toBe(
      [
        '72.4 % line coverage (start 60 %, target 80 %) — 62% of the way · no status',
        'Figures',
        '  • Value: 72.4 %',
        '  • Start: 60 %',
        '  • Target: 80 %',
        '  • Read from: the metrics input, line 1',
        'Generated by okr-progress-action · acme/widgets · 2026-W48 · OKR #1',
      ].join('\n'),
    );
    expect(records[7]!.split('\n')[0]).toBe('250 ms p95 latency (start 400 ms, target 200 ms) — 75% of the way · no status');
    expect(records[7]).toContain('\n  • Read from: perf/summary.json, http.p95\n');
  });
});

describe('a period of a quarter', () => {
  it('gives a goal its start: the same count as with start 2026-10-01, due at the end of the quarter', async () => {
    const mapping = `version: 1
targets:
  - name: Bugs completed this quarter
    key_result: "7041430377642082301"
    query: "org:acme label:bug is:issue"
    progress: completed
    goal: 4
    period: quarter
`;
    const { results, records } = await runKinds(true, mapping);
    expect(results).toEqual([{ ...KINDS_EXPECTED[1], name: 'Bugs completed this quarter' }]);
    expect(records[0]!.split('\n')[0]).toBe('Bugs completed this quarter — 100% · 4 of 4 closed since 2026-10-01, due 2026-12-31 · on track');
  });
});

describe('bad values fail only their own target', () => {
  const metricTarget = (n: number, metric: string): string => `  - name: m${n}\n    key_result: "70414303776420823${String(n).padStart(2, '0')}"\n    metric: ${metric}\n`;

  it('a metric file that is missing, not JSON, without the value, not a number, or a link out of the workspace', async () => {
    await writeFile(path.join(workspace, 'perf/broken.json'), '{"http": ');
    await writeFile(path.join(workspace, 'perf/text.json'), JSON.stringify({ http: { p95: 'fast' } }));
    const outside = await mkdtemp(path.join(os.tmpdir(), 'okr-outside-'));
    await writeFile(path.join(outside, 'secret.json'), JSON.stringify({ p95: 1 }));
    await symlink(path.join(outside, 'secret.json'), path.join(workspace, 'perf/link.json'));
    const file = (name: string, at = 'http.p95'): string => `{name: p95, start: 400, target: 200, file: perf/${name}, path: ${at}}`;
    const mapping = `version: 1\ntargets:\n${[
      metricTarget(0, file('missing.json')),
      metricTarget(1, file('broken.json')),
      metricTarget(2, file('summary.json', 'http.p99')),
      metricTarget(3, file('text.json')),
      metricTarget(4, file('link.json', 'p95')),
      metricTarget(5, file('summary.json')),
    ].join('')}`;
    const { results } = await runKinds(false, mapping);
    await rm(outside, { recursive: true, force: true });
    const errors = results.map((r) => ('error' in r ? r.error : r.percent));
    expect(errors).toEqual([
      'targets[0].metric: metric p95: perf/missing.json does not exist in the workspace; create it in an earlier step',
      expect.stringMatching(/^targets\[1\]\.metric: metric p95: perf\/broken\.json is not JSON \(.+\)$/),
      'targets[2].metric: metric p95: perf/summary.json has no value at http.p99',
      'targets[3].metric: metric p95: the value at perf/text.json, http.p95 is "fast", not a number',
      'targets[4].metric: metric p95: perf/link.json leads outside the workspace',
      75,
    ]);
  });

  it('an empty metrics line fails its metric, naming the line', async () => {
    const mapping = `version: 1\ntargets:\n${metricTarget(0, '{name: coverage, start: 60, target: 80}')}`;
    const loaded = parseMappingDocument(mapping, 'okr.yml');
    const [target] = resolveTargets(loaded.mapping, 'acme/widgets');
    const { readMetric } = await import('../src/sources/metric.js');
    await expect(readMetric(target!, parseMetricsInput('p95=1\ncoverage=\n'), workspace)).rejects.toThrow(
      'metric coverage: line 2 of the metrics input gives no value (coverage=); check the step output it comes from',
    );
  });

  it("more than GitHub's 1,000 search results: counted in a run about the present, refused for a back-fill", async () => {
    const many = structuredClone(KINDS_REPOS);
    for (let n = 100; n < 1101; n++) {
      many['acme/gadgets']!.items.push({ number: n, title: `Old bug ${n}`, kind: 'issue', state: 'closed', state_reason: 'completed', created_at: '2026-06-01T10:00:00Z', updated_at: '2026-06-02T10:00:00Z', closed_at: '2026-06-02T10:00:00Z', user: 'dave', labels: ['bug'] });
    }
    const saved = github.repos['acme/gadgets']!;
    github.repos['acme/gadgets'] = many['acme/gadgets']!;
    try {
      const mapping = `version: 1\ntargets:\n  - name: All gadget bugs\n    key_result: "7041430377642082399"\n    query: "repo:acme/gadgets label:bug is:issue"\n`;
      const live = await runKinds(true, mapping);
      // 1,004 bug issues, 1,003 closed (gadgets 1, 2 and the 1,001 old ones).
      expect(live.results).toEqual([{ name: 'All gadget bugs', percent: 99.9, done: 1003, total: 1004, unit: 'items', closed: ['acme/gadgets#1'], openCount: 1 }]);
      const backFill = await runKinds(false, mapping);
      expect(backFill.results).toEqual([
        {
          name: 'All gadget bugs',
          error:
            "GitHub's search finds 1,004 items for this target and gives at most 1,000; nothing was written, so that no partial count is recorded. Narrow the query (a repository, a label, a date).",
        },
      ]);
    } finally {
      github.repos['acme/gadgets'] = saved;
    }
  });
});

describe("the fake GitHub's issue search follows GitHub's documented syntax", () => {
  const found = (query: string): string[] =>
    search(parseSearch(query), KINDS_REPOS).map((f) => `${f.fullName.split('/')[1]}#${f.item.number}`);

  it('repo:, org:, user:, is:, label: (a,b any of them; two qualifiers both), negation', () => {
    expect(found('repo:acme/gadgets')).toEqual(['gadgets#1', 'gadgets#2', 'gadgets#3', 'gadgets#4']);
    expect(found('user:other')).toEqual(['tools#1']);
    expect(found('org:acme is:pr')).toEqual(['gadgets#4', 'widgets#5', 'widgets#6']);
    expect(found('repo:acme/widgets label:"size/S","size/L"')).toEqual(['widgets#1', 'widgets#3', 'widgets#5', 'widgets#6', 'widgets#7']);
    expect(found('repo:acme/widgets label:size/S label:size/M')).toEqual(['widgets#5']);
    expect(found('repo:acme/widgets is:issue -label:bug')).toEqual(['widgets#7']);
    expect(found('repo:acme/widgets assignee:bob -assignee:alice')).toEqual(['widgets#2', 'widgets#7', 'widgets#9']);
    expect(found('repo:acme/widgets no:assignee is:issue')).toEqual(['widgets#4']);
  });

  it('is:open, is:closed, is:merged, is:unmerged, reason:, milestone:, author:, words in titles', () => {
    expect(found('org:acme is:merged')).toEqual(['gadgets#4', 'widgets#5']);
    expect(found('org:acme is:unmerged')).toEqual(['widgets#6']);
    expect(found('org:acme reason:"not planned"')).toEqual(['widgets#3']);
    expect(found('org:acme reason:duplicate')).toEqual(['gadgets#2']);
    expect(found('org:acme reason:completed is:issue')).toEqual(['gadgets#1', 'widgets#1', 'widgets#2', 'widgets#8', 'widgets#9']);
    expect(found('repo:acme/widgets milestone:"V2.0" is:open')).toEqual(['widgets#4', 'widgets#7']);
    expect(found('org:acme author:carol battery')).toEqual(['gadgets#1', 'gadgets#2']);
  });

  it('dates: >=, <, ranges, a day, an instant; sort:', () => {
    expect(found('org:acme closed:>=2026-11-24')).toEqual(['gadgets#1', 'widgets#1', 'widgets#5']);
    expect(found('org:acme closed:2026-11-20..2026-11-22')).toEqual(['gadgets#4', 'widgets#3', 'widgets#6']);
    expect(found('org:acme closed:2026-11-22')).toEqual(['widgets#3']);
    expect(found('org:acme closed:<2026-10-01')).toEqual(['widgets#8']);
    expect(found('org:acme closed:>=2026-11-20T10:00:01Z')).toEqual(['gadgets#1', 'widgets#1', 'widgets#3', 'widgets#5', 'widgets#6']);
    expect(found('org:acme created:>2026-11-01')).toEqual(['widgets#10']);
    expect(found('org:acme is:closed sort:updated-desc').slice(0, 3)).toEqual(['gadgets#1', 'widgets#1', 'widgets#5']);
  });

  it('a repository, organisation or user GitHub cannot search is rejected in its words', () => {
    expect(() => found('repo:acme/nope')).toThrow(CANNOT_SEARCH);
    expect(() => found('org:nobody label:bug')).toThrow(CANNOT_SEARCH);
    expect(() => found('org:acme closed:>=yesterday')).toThrow('Invalid date in the search: "yesterday"');
  });

  it('a search GitHub says is incomplete fails its target rather than write a part', async () => {
    github.searchTimesOut = true;
    try {
      const mapping = `version: 1\ntargets:\n  - name: Bugs\n    key_result: "7041430377642082398"\n    query: "repo:acme/gadgets label:bug"\n`;
      const { results } = await runKinds(false, mapping);
      expect(results).toEqual([
        {
          name: 'Bugs',
          error: `GitHub's search timed out and gave incomplete results for "repo:acme/gadgets label:bug is:issue created:<=2026-11-27T09:00:00Z"; nothing was written for this target, so that no partial count is recorded. Run again, or narrow the query.`,
        },
      ]);
    } finally {
      github.searchTimesOut = false;
    }
  });
});

describe('a GraphQL query of searches that fails as a whole', () => {
  it('lists its targets over REST search instead, with a warning: the same numbers', async () => {
    github.faults.push({ route: 'graphql', kind: 'errors', times: 1 });
    const { results, warnings, requests } = await runKinds(true, kindsMapping().split('  - name: v2.0 by points, completed')[0]!);
    expect(results).toEqual(KINDS_EXPECTED.slice(0, 4));
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toBe(
      "GitHub's GraphQL search failed (Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.); Bugs closed across acme is listed over REST search instead.",
    );
    expect(requests.filter((r) => r.path === '/search/issues').length).toBeGreaterThan(0);
  });
});
