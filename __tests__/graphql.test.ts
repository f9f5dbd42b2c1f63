import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, validate } from 'graphql';
import { parseMappingFile } from '../src/config/load.js';
import { resolveTargets } from '../src/config/resolve.js';
import type { Target } from '../src/config/schema.js';
import { Collector, type Selection } from '../src/github/collect.js';
import { buildQuery, PAGE_SIZE, type ConnectionRequest } from '../src/github/graphql.js';
import { createOctokit } from '../src/github/octokit.js';
import { computeProgress, periodKey, scheduleOf } from '../src/progress.js';
import { buildRecordRequest } from '../src/record/content.js';
import { generateFixture, LARGE, SMALL, type Fixture } from './fixtures/generate.js';
import { APP, AS_OF, EXPECTED, GITHUB_TOKEN, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { NODE24, runAction } from './helpers/run-action.js';
import { startFakeFeishu } from './servers/fake-feishu.js';
import { githubGraphqlSchema, queryCost, shiftRepos, startFakeGitHub, type FakeGitHub, type FakeRepo } from './servers/fake-github.js';

// The counted path (GraphQL) gives exactly the records of the listed path (REST), with far
// fewer requests, and falls back to REST whenever GraphQL fails.

const schema = githubGraphqlSchema();

describe('queries', () => {
  const every: ConnectionRequest[] = [];
  for (const milestone of [undefined, 3])
    for (const connection of ['issues', 'pullRequests'] as const)
      for (const labels of [[], ['bug', 'area: "api"']])
        for (const states of [undefined, ['OPEN'], connection === 'issues' ? ['CLOSED'] : ['CLOSED', 'MERGED']])
          for (const page of [
            {},
            { first: PAGE_SIZE },
            { first: 10, after: 'Y3Vyc29yOnYyOjEwMA==' },
            ...(connection === 'issues' ? [{ first: PAGE_SIZE, reasons: 'ASC' as const }, { first: PAGE_SIZE, reasons: 'DESC' as const, after: 'Y3Vyc29yOnYyOjEwMA==' }] : []),
          ])
            for (const since of connection === 'issues' ? [undefined, '2026-11-20T09:00:00.000Z'] : [undefined])
              every.push({ milestone, connection, labels, ...(states && { states }), ...(since && { since }), ...page });

  it('every query the code can build is valid against GitHub’s schema', () => {
    expect(every).toHaveLength(2 * (3 * 2 * 5 * 2) + 2 * (3 * 2 * 3)); // 120 issue and 36 pull request connections
    for (const request of every) {
      const { query } = buildQuery('acme', 'widgets', [request]);
      expect(validate(schema, parse(query))).toEqual([]);
    }
    const { query, variables } = buildQuery('acme', 'widgets', every);
    expect(validate(schema, parse(query))).toEqual([]);
    const named = (prefix: string) => Object.keys(variables).filter((k) => k.startsWith(prefix)).length;
    expect([named('labels'), named('since'), named('after')]).toEqual([78, 60, 60]);
  });

  it('labels, instants and cursors travel as variables, never inside the query text', () => {
    const { query, variables } = buildQuery('acme', 'widgets', [
      { milestone: 2, connection: 'issues', labels: ['a"b\\c'], since: '2026-11-20T09:00:00.000Z', first: 100, after: 'xyz' },
      { milestone: undefined, connection: 'pullRequests', labels: [], states: ['CLOSED', 'MERGED'] },
      { milestone: 2, connection: 'issues', labels: [], states: ['CLOSED'], first: 100, reasons: 'DESC', after: 'abc' },
    ]);
    expect(query).toBe(
      [
        'query ($owner: String!, $name: String!, $labels0: [String!], $since0: DateTime, $after0: String, $after2: String) {',
        '  repository(owner: $owner, name: $name) {',
        '    m2: milestone(number: 2) {',
        '      c0: issues(labels: $labels0, filterBy: { since: $since0 }, first: 100, orderBy: { field: UPDATED_AT, direction: DESC }, after: $after0) { totalCount pageInfo { hasNextPage endCursor } nodes { number title url state stateReason(enableDuplicate: true) createdAt updatedAt closedAt author { __typename login } milestone { number } } }',
        '      c2: issues(states: [CLOSED], first: 100, orderBy: { field: CREATED_AT, direction: DESC }, after: $after2) { totalCount pageInfo { hasNextPage endCursor } nodes { number stateReason(enableDuplicate: true) } }',
        '    }',
        '    c1: pullRequests(states: [CLOSED, MERGED]) { totalCount }',
        '  }',
        '  rateLimit { cost remaining }',
        '}',
      ].join('\n'),
    );
    expect(variables).toEqual({ owner: 'acme', name: 'widgets', labels0: ['a"b\\c'], since0: '2026-11-20T09:00:00.000Z', after0: 'xyz', after2: 'abc' });
  });

  it('cost follows GitHub’s formula: each connection’s requests, nested ones per parent node, / 100', () => {
    const counts = buildQuery('acme', 'widgets', Array.from({ length: 60 }, () => ({ milestone: undefined, connection: 'issues' as const, labels: [] })));
    expect(queryCost(schema, parse(counts.query), counts.variables)).toBe(1); // 60 requests
    const nested = parse('{ repository(owner: "a", name: "b") { issues(first: 100) { nodes { labels(first: 20) { nodes { name } } } } } }');
    expect(queryCost(schema, nested, {})).toBe(1); // 1 + 100 requests
    const twice = parse('{ repository(owner: "a", name: "b") { a: issues(first: 100) { nodes { labels(first: 20) { totalCount } } } b: pullRequests(first: 100) { nodes { labels(first: 20) { totalCount } } } } }');
    expect(queryCost(schema, twice, {})).toBe(2); // 202 requests
  });
});

async function withApi<T>(github: FakeGitHub, run: () => Promise<T>): Promise<T> {
  const before = process.env['GITHUB_API_URL'];
  process.env['GITHUB_API_URL'] = github.url;
  try {
    return await run();
  } finally {
    if (before === undefined) delete process.env['GITHUB_API_URL'];
    else process.env['GITHUB_API_URL'] = before;
  }
}

/** Every target's selection, and the Feishu request its record would be, as the action makes them. */
async function collect(github: FakeGitHub, targets: Target[], now: Date, live: boolean) {
  const warnings: string[] = [];
  github.requests.length = 0;
  const collector = await withApi(github, async () => new Collector(createOctokit(GITHUB_TOKEN), 'https://github.com', (m) => warnings.push(m)));
  const selections = await Promise.all(collector.selectAll(targets, now, live));
  const records = targets.map((target, i) => recordOf(target, selections[i]!, now));
  return { selections, records, warnings, requests: [...github.requests], graphql: { ...collector.graphql } };
}

function recordOf(target: Target, selection: Selection, now: Date) {
  const schedule = scheduleOf(target, selection.milestone);
  const progress = computeProgress(target, selection.items, now, schedule, undefined, selection.counts);
  const request = buildRecordRequest({
    target,
    displayName: selection.displayName,
    progress,
    targetUrl: selection.targetUrl,
    closedListUrl: selection.closedListUrl,
    openListUrl: selection.openListUrl,
    people: { alice: 'ou_3bbe8a09c20e89cce9bff989ed840674', 'renovate[bot]': 'ou_0000000000000000000000000000bot1' },
    periodKey: periodKey(target.period, now, target.timezone, { runId: '1', runAttempt: '1' }),
    run: { url: 'https://github.com/acme/widgets/actions/runs/1', label: 'OKR #1' },
  });
  const numbers = { percent: progress.percent, status: progress.status, done: progress.done, total: progress.total, closed_in_window: progress.closedInWindow.length };
  // The record strikes dropped items through without naming the reason; the job summary names it.
  const reasons = progress.closedInWindow.map((i) => `${i.kind} ${i.number} ${i.closeReason}`);
  return { numbers, reasons, request };
}

/** A fixture whose windows hold more than a page of issues and of pull requests. */
function pagingFixture(): Fixture {
  const fixture = generateFixture({ items: 4000, targets: 3, repositories: 1, seed: 11 });
  return { ...fixture, mapping: fixture.mapping.replace('window: 7d', 'window: 150d').replace(/window: 14d/g, 'window: 200d') };
}

/** Every target of a mapping with `progress: completed`. */
const allCompleted = (mapping: string): string => mapping.replace(/^defaults:\n/m, 'defaults:\n  progress: completed\n');

/**
 * The sample with `progress: completed`, and closed issues of every reason: completed,
 * none (null, or no field at all: both completed), not planned and duplicate; and pull
 * requests merged and closed unmerged.
 */
function completedSample(): Fixture {
  const repos = structuredClone(SAMPLE_REPOS) as Record<string, FakeRepo>;
  const item = (repository: string, number: number) => repos[repository]!.items.find((i) => i.number === number)!;
  item('acme/widgets', 7).state_reason = null;
  item('acme/widgets', 8).state_reason = 'duplicate';
  delete item('acme/gadgets', 5).state_reason;
  // Worked out by hand: Launch v2 selects 1, 2, 3, 4, 5, 6, 7, 10; done 1, 2, 7; dropped 4, 6.
  // Faster everywhere: 7, 8, 9, 10; done 7, 9; dropped 8. Q4: 1, 2, 4, 5; done 1, 4, 5.
  const numbers = [
    { done: 3, total: 6, percent: 50 },
    { done: 2, total: 3, percent: 66.67 },
    { done: 3, total: 4, percent: 75 },
  ];
  const expected = EXPECTED.map((e, i) => ({ ...e, ...numbers[i] }));
  return { asOf: AS_OF, repos, okrs: SAMPLE_OKRS, mapping: allCompleted(SAMPLE_MAPPING), expected };
}

/** Completed targets over thousands of closed issues (several pages of reasons), a third of them without a reason. */
function manyClosedFixture(): Fixture {
  const fixture = generateFixture({ items: 4000, targets: 3, repositories: 1, seed: 11 });
  for (const item of fixture.repos['acme/repo-1']!.items) {
    if (item.kind === 'issue' && item.state === 'closed' && item.number % 3 === 0) item.state_reason = null;
  }
  // The generator's expectations are for progress: github with the reasons it gave: these
  // numbers are those of the listed path, which reads every item and its reason.
  const numbers = [
    { percent: 51.79, status: 2, done: 650, total: 1255, closed_in_window: 78 },
    { percent: 50.84, status: 2, done: 695, total: 1367, closed_in_window: 78 },
    { percent: 50.42, status: -1, done: 604, total: 1198, closed_in_window: 137 },
  ] as const;
  return { ...fixture, mapping: allCompleted(fixture.mapping), expected: fixture.expected.map((e, i) => ({ ...e, ...numbers[i] })) };
}

/** Items closed in the windows of the paging fixture (150 and 200 days), which the generator's expectations (7 and 14 days) do not give. */
const WINDOW_COUNTS = new Map<() => Fixture, number[]>([[pagingFixture, [661, 697, 704]]]);

const largeFixture = (): Fixture => generateFixture(LARGE);

describe('the counted path gives the listed path’s records', () => {
  const cases: [string, () => Fixture][] = [
    ['the sample', () => ({ asOf: AS_OF, repos: structuredClone(SAMPLE_REPOS) as Record<string, FakeRepo>, okrs: SAMPLE_OKRS, mapping: SAMPLE_MAPPING, expected: EXPECTED.map((e) => ({ ...e })) })],
    ['the sample with progress: completed and closed issues of every reason', completedSample],
    ['the small generated fixture', () => generateFixture(SMALL)],
    ['the large generated fixture', largeFixture],
    ['windows longer than a page', pagingFixture],
    ['closed issues over several pages, some without a reason', manyClosedFixture],
  ];

  it.each(cases)('%s', async (_, make) => {
    const fixture = make();
    const now = new Date(fixture.asOf);
    // GitHub as it stands at as-of: what a run about the present sees.
    const github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: fixture.repos, now: fixture.asOf });
    try {
      const targets = resolveTargets(parseMappingFile(fixture.mapping, 'okr-progress.yml'), 'acme/widgets');
      const listed = await collect(github, targets, now, false);
      const counted = await collect(github, targets, now, true);

      expect(counted.warnings).toEqual([]);
      expect(counted.records).toEqual(listed.records);
      // No target of these fixtures has a chart or a since-last-record window: all are counted.
      expect(counted.selections.filter((s) => s.counts === undefined)).toEqual([]);
      expect(listed.requests.every((r) => r.path !== '/graphql')).toBe(true);
      // Absolute numbers for every fixture, besides the equality of the two paths.
      expect(counted.records.map((r) => r.numbers)).toEqual(
        fixture.expected.map(({ percent, status, done, total, closed_in_window }, i) => ({
          percent,
          status,
          done,
          total,
          closed_in_window: WINDOW_COUNTS.get(make)?.[i] ?? closed_in_window,
        })),
      );

      const graphql = counted.requests.filter((r) => r.path === '/graphql');
      expect(graphql.every((r) => r.status === 200)).toBe(true);
      expect(counted.graphql.queries).toBe(graphql.length);
      expect(counted.graphql.cost).toBeGreaterThan(0);
      const queries = graphql.map((r) => (JSON.parse(r.body) as { query: string }).query);
      if (make === manyClosedFixture) {
        // Closed issues were read from both ends, over several queries.
        for (const direction of ['ASC', 'DESC']) {
          expect(queries.filter((q) => q.includes(`CREATED_AT, direction: ${direction} }, after: $after`)).length).toBeGreaterThan(1);
        }
      }
      if (make === pagingFixture) {
        // Follow-up pages were asked for, after the first query.
        expect(graphql.some((r) => /after: \$after/.test(String((JSON.parse(r.body) as { query: string }).query)))).toBe(true);
        expect(counted.selections.some((s) => s.counts && s.items.length > 2 * PAGE_SIZE)).toBe(true);
      }
      if (make === largeFixture) {
        // Milestones and labels of 2 repositories; per repository, one query, then two more
        // that read on the closed issues of its targets with progress: completed, from both ends.
        expect([counted.requests.length, graphql.length, listed.requests.length]).toEqual([10, 6, 162]);
      }
    } finally {
      await github.close();
    }
    // The large fixture lists 10,000 items over REST, then counts them: on a busy 2-core machine that takes 30 s.
  }, 120_000);
});

describe('the fake GitHub’s GraphQL', () => {
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) as Record<string, FakeRepo>, now: AS_OF });
  });
  afterAll(() => github.close());
  afterEach(() => {
    github.faults.length = 0;
  });

  const post = async (query: string, variables: Record<string, unknown> = {}, token = GITHUB_TOKEN) => {
    const response = await fetch(`${github.url}/graphql`, { method: 'POST', headers: { authorization: `bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string }[] } };
  };

  it('answers labels (any), states, filterBy.since, order, pages and counts from the seeded items', async () => {
    const query = `query ($after: String) { repository(owner: "acme", name: "widgets") {
      perf: issues(labels: ["okr/perf", "docs"]) { totalCount }
      closed: pullRequests(states: [CLOSED]) { totalCount }
      merged: pullRequests(states: [MERGED]) { totalCount }
      recent: issues(filterBy: { since: "2026-11-24T00:00:00Z" }, first: 2, after: $after, orderBy: { field: UPDATED_AT, direction: DESC }) { totalCount pageInfo { hasNextPage endCursor } nodes { number state stateReason closedAt } }
      m: milestone(number: 1) { pullRequests(first: 5) { nodes { number state mergedAt author { __typename login } } } }
      none: milestone(number: 9) { number }
    } rateLimit { cost remaining } }`;
    const first = await post(query);
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    const repo = first.body.data.repository;
    // 12 was created after the fake's clock: it does not exist yet.
    expect([repo.perf.totalCount, repo.closed.totalCount, repo.merged.totalCount]).toEqual([4, 1, 2]); // issues 5, 7, 8, 10
    expect(repo.recent.totalCount).toBe(4);
    expect(repo.recent.nodes).toEqual([
      // Updated at the same instant: the higher number first.
      { number: 8, state: 'CLOSED', stateReason: 'COMPLETED', closedAt: '2026-11-26T10:00:00Z' },
      { number: 3, state: 'OPEN', stateReason: null, closedAt: null },
    ]);
    expect(repo.recent.pageInfo.hasNextPage).toBe(true);
    const second = await post(query, { after: repo.recent.pageInfo.endCursor });
    expect(second.body.data.repository.recent.nodes.map((n: { number: number }) => n.number)).toEqual([5, 10]);
    expect(second.body.data.repository.recent.pageInfo.hasNextPage).toBe(false);
    expect(repo.m.pullRequests.nodes).toEqual([
      { number: 2, state: 'MERGED', mergedAt: '2026-11-24T10:00:00Z', author: { __typename: 'User', login: 'bob' } },
      { number: 6, state: 'CLOSED', mergedAt: null, author: { __typename: 'User', login: 'bob' } },
    ]);
    expect(repo.none).toBeNull();
    expect(first.body.data.rateLimit).toEqual({ cost: 1, remaining: 4999 });
    expect(github.requests.at(-1)).toMatchObject({ method: 'POST', path: '/graphql', status: 200 });
  });

  it('answers what GitHub answers to invalid queries, missing page sizes, oversized pages and bad tokens', async () => {
    expect((await post('{ repository(owner: "acme", name: "widgets") { issuez { totalCount } } }')).body.errors?.[0]?.message).toBe(
      'Cannot query field "issuez" on type "Repository". Did you mean "issue" or "issues"?',
    );
    expect((await post('{ repository(owner: "acme", name: "widgets") { issues { nodes { number } } } }')).body.errors?.[0]?.message).toBe(
      'You must provide a `first` or `last` value to properly paginate the `issues` connection.',
    );
    expect((await post('{ repository(owner: "acme", name: "widgets") { issues(first: 101) { totalCount } } }')).body.errors?.[0]?.message).toBe(
      'Requesting 101 records on the `issues` connection exceeds the `first` limit of 100 records.',
    );
    expect((await post('{ repository(owner: "acme", name: "nope") { id } }')).body.errors?.[0]?.message).toBe("Could not resolve to a Repository with the name 'acme/nope'.");
    expect((await post('{ rateLimit { cost } }', {}, 'ghs_wrong')).status).toBe(401);
  });

  it('faults: a status, or errors without data', async () => {
    github.faults.push({ route: 'graphql', kind: 'status', status: 502 }, { route: 'graphql', kind: 'errors', message: 'Timeout on validation of query' });
    expect((await post('{ rateLimit { cost } }')).status).toBe(502);
    expect((await post('{ rateLimit { cost } }')).body).toEqual({ data: null, errors: [{ message: 'Timeout on validation of query' }] });
    expect((await post('{ rateLimit { cost } }')).body).toEqual({ data: { rateLimit: { cost: 1 } } });
  });
});

describe('the bundled action', () => {
  // The sample moved so that its as-of is now: a run without as-of then counts.
  let workspace: string;
  let repos: Record<string, FakeRepo>;
  let clock: string;
  beforeAll(async () => {
    workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-graphql-'));
    await mkdir(path.join(workspace, '.github'));
    await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING);
    const now = Math.floor(Date.now() / 1000) * 1000;
    clock = new Date(now).toISOString();
    repos = shiftRepos(SAMPLE_REPOS as Record<string, FakeRepo>, now - Date.parse(AS_OF));
  });
  afterAll(() => rm(workspace, { recursive: true, force: true }));

  async function run(fault?: 'status' | 'errors') {
    const github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(repos), now: clock });
    const feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
    // Both repositories' queries fail.
    if (fault === 'status') github.faults.push({ route: 'graphql', kind: 'status', status: 502, times: 2 });
    if (fault === 'errors') github.faults.push({ route: 'graphql', kind: 'errors', times: 2 });
    try {
      const result = await runAction({
        node: NODE24,
        workspace,
        githubToken: GITHUB_TOKEN,
        inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url },
        env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
      });
      const bodies = feishu.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/okr/v1/progress_records').map((r) => JSON.parse(r.body) as unknown);
      return { result, github: [...github.requests], bodies };
    } finally {
      await Promise.all([github.close(), feishu.close()]);
    }
  }

  it('counts with GraphQL, and writes what REST would; a 502 or errors fall back to REST with a warning', async () => {
    const counted = await run();
    expect(counted.result.code).toBe(0);
    const records = JSON.parse(counted.result.outputs['records']!) as Record<string, unknown>[];
    expect(records.map(({ name, percent, done, total, closed_in_window, result }) => ({ name, percent, done, total, closed_in_window, result }))).toEqual(
      EXPECTED.map(({ name, percent, done, total, closed_in_window }) => ({ name, percent, done, total, closed_in_window, result: 'created' })),
    );
    const graphql = counted.github.filter((r) => r.path === '/graphql');
    expect(graphql).toHaveLength(2); // one query per repository
    expect(counted.github.filter((r) => r.path.endsWith('/issues'))).toHaveLength(0);
    expect(counted.result.stdout).toMatch(/^GitHub GraphQL: 2 queries cost 2 points; 4998 left this hour\.$/m);
    expect(counted.result.stdout).not.toContain('::warning::');
    expect(counted.bodies).toHaveLength(3);

    for (const fault of ['status', 'errors'] as const) {
      const listed = await run(fault);
      expect(listed.result.code).toBe(0);
      // The same records, but for the ids Feishu gave them.
      const withoutIds = (text: string | undefined) => (JSON.parse(text!) as Record<string, unknown>[]).map(({ progress_id: _, ...rest }) => rest);
      expect(withoutIds(listed.result.outputs['records'])).toEqual(withoutIds(counted.result.outputs['records']));
      expect(listed.bodies).toEqual(counted.bodies);
      const reason = fault === 'status' ? 'HTTP 502: Server Error - https://docs.github.com/rest' : 'HTTP 500: Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.';
      for (const repository of ['acme/widgets', 'acme/gadgets']) {
        expect(listed.result.stdout).toContain(`::warning::GitHub's GraphQL API failed for ${repository} (${reason}); its targets are listed over REST instead.`);
      }
      expect(listed.github.filter((r) => r.path.endsWith('/issues')).length).toBeGreaterThan(0);
    }
  });
});
