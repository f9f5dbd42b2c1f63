import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, validate } from 'graphql';
import { ConfigError, parseMappingDocument, pathText, type LoadedMapping } from '../src/config/load.js';
import { resolveTargets } from '../src/config/resolve.js';
import type { Target } from '../src/config/schema.js';
import { Collector, SelectionError, type Selection } from '../src/github/collect.js';
import type { Item } from '../src/github/items.js';
import type { Octokit } from '../src/github/octokit.js';
import { computeProgress, periodKey, scheduleOf } from '../src/progress.js';
import { buildRecordRequest } from '../src/record/content.js';
import { selectTargets } from '../src/sources/index.js';
import { MAX_PAGES, selectProject } from '../src/sources/project.js';
import { projectQuery } from '../src/sources/project-query.js';
import { summaryHtml } from '../src/summary.js';
import { PROJECT_NOW, PROJECT_REPOS, PROJECT_TOKEN, PROJECTS, ROADMAP } from './fixtures/project.js';
import { renderContent } from './helpers/render.js';
import { octokitAt } from './helpers/octokit.js';
import { withStdout } from './helpers/stdout.js';
import { githubGraphqlSchema, startFakeGitHub, type FakeGitHub, type FakeProject } from './servers/fake-github.js';

// The `project` source against the fake GitHub's projects (on GitHub's GraphQL schema), with
// the numbers of __tests__/fixtures/project.ts worked out by hand there.

const BROKEN: FakeProject = {
  owner: 'acme',
  ownerType: 'Organization',
  number: 8,
  title: 'Half visible',
  fields: [{ name: 'Status', dataType: 'SINGLE_SELECT', options: ['Done'] }],
  items: [{ content: { repository: 'acme/widgets', number: 1 }, values: { Status: { value: 'Done', updatedAt: '2026-11-15T10:00:00Z' } } }, { content: 'redacted' }],
};

let github: FakeGitHub;

beforeAll(async () => {
  github = await startFakeGitHub({ token: PROJECT_TOKEN, repos: structuredClone(PROJECT_REPOS), projects: [...PROJECTS, BROKEN] });
});

afterAll(() => github.close());

const mapping = (target: string): string => `version: 1\ntargets:\n  - key_result: "7041430377642082323"\n${target.replace(/^/gm, '    ')}\n`;

/** Collects one target, given by its keys besides key_result. */
async function collect(keys: string, options: { now?: string; live?: boolean } = {}) {
  const loaded = parseMappingDocument(mapping(keys), 'okr.yml');
  const targets = resolveTargets(loaded.mapping, 'acme/widgets');
  const collector = new Collector(octokitAt(github.url, PROJECT_TOKEN), 'https://github.com', () => undefined);
  github.requests.length = 0;
  const now = new Date(options.now ?? PROJECT_NOW);
  const [outcome] = await Promise.allSettled(selectTargets(collector, targets, now, options.live ?? true, { metrics: new Map(), workspace: process.cwd() }));
  return { loaded, target: targets[0]!, outcome: outcome!, now, graphql: github.requests.filter((r) => r.path === '/graphql'), collector };
}

const label = (item: Item): string => (item.reference === null ? item.title : (item.reference ?? `#${item.number}`));

/** What a target's record says, as the action computes it from the selection. */
function recordOf(target: Target, selection: Selection, now: Date) {
  const schedule = scheduleOf(target, selection.milestone, selection.schedule);
  const progress = computeProgress(target, selection.items, now, schedule, undefined, selection.counts, selection.measured);
  const request = buildRecordRequest({
    target,
    displayName: selection.displayName,
    progress,
    targetUrl: selection.targetUrl,
    closedListUrl: selection.closedListUrl,
    openListUrl: selection.openListUrl,
    people: {},
    periodKey: periodKey(target.period, now, target.timezone, { runId: '1', runAttempt: '1' }),
    run: { url: 'https://github.com/acme/widgets/actions/runs/1', label: 'OKR #1' },
  });
  return {
    percent: progress.percent,
    done: progress.done,
    total: progress.total,
    status: progress.status,
    closed: progress.closedInWindow.map(label),
    open: progress.open.map(label),
    schedule,
    request,
    progress,
    text: renderContent(request.content),
  };
}

async function record(yaml: string, options: { now?: string } = {}) {
  const { outcome, target, now, graphql } = await collect(yaml, options);
  if (outcome.status === 'rejected') throw outcome.reason;
  return { ...recordOf(target, outcome.value, now), selection: outcome.value, graphql };
}

/** The error a target fails with, as the run reports it: `file:line:col path: message` for the mapping's keys. */
async function failure(yaml: string, options: { now?: string; live?: boolean } = {}): Promise<string> {
  const { outcome, loaded } = await collect(yaml, options);
  if (outcome.status === 'fulfilled') throw new Error('the target did not fail');
  return located(outcome.reason, loaded);
}

function located(error: unknown, loaded: LoadedMapping): string {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof SelectionError ? `${loaded.locate(error.path)} ${pathText(error.path)}: ${message}` : message;
}

const ROADMAP_TARGET = 'project: {owner: acme, number: 5}';

describe('the project query', () => {
  it('is valid against GitHub’s schema with every combination of its parts', () => {
    const schema = githubGraphqlSchema();
    for (const first of [true, false])
      for (const iteration of [true, false])
        for (const estimate of [true, false])
          for (const labels of [true, false]) expect(validate(schema, parse(projectQuery({ first, iteration, estimate, labels })))).toEqual([]);
  });
});

describe('an organisation project', () => {
  it('counts its issues, pull requests and draft issues by status, in one query', async () => {
    const r = await record(ROADMAP_TARGET);
    expect([r.percent, r.done, r.total, r.status]).toEqual([63.64, 7, 11, -1]);
    expect(r.closed).toEqual(['#6', 'acme/gadgets#2', '#3', '#5', '#1', 'Write launch blog post']);
    expect(r.open).toEqual(['#4', '#7', '#8', 'Plan Q1']);
    expect(r.graphql).toHaveLength(1);
    expect(r.selection.displayName).toBe('Roadmap');
    expect(r.selection.targetUrl).toBe('https://github.com/orgs/acme/projects/5');
    expect(r.request.source_title).toBe('GitHub · acme project 5');
    expect(r.text).toBe(
      [
        'Roadmap — 63.64% · 7 of 11 done · no status',
        'Closed since 2026-11-13 (6)',
        '  ☑ #6 Onboarding tour — @carol',
        '  ☑ acme/gadgets#2 Gadget sync — @erin',
        '  ☑ #3 Fix cache (pull request) — @bob',
        '  ☑ #5~~ Old idea~~ (not planned) — @alice',
        '  ☑ #1 Login page — @alice',
        '  ☑ Write launch blog post (draft) — @dave',
        'Still open (4)',
        '  ☐ #4 Dark mode — @alice',
        '  ☐ #7 Closed but not done — @alice',
        '  ☐ #8 No status yet — @alice',
        '  ☐ Plan Q1 (draft) — @dave',
        'Figures',
        '  • Issues closed: 5',
        '  • Pull requests merged: 1',
        '  • Items opened since 2026-11-13: 0',
        '  • Done: 7 of 11',
        'Generated by okr-progress-action · acme/widgets · 2026-W47 · OKR #1',
      ].join('\n'),
    );
  });

  it('lists a draft issue by its title, without a link, and other repositories’ items by owner/name#number', async () => {
    const r = await record(ROADMAP_TARGET);
    const paragraphs = (r.request.content.blocks ?? []).flatMap((b) => (b.type === 'paragraph' ? [b.paragraph.elements ?? []] : []));
    const draft = paragraphs.find((e) => e[0]?.type === 'textRun' && e[0].textRun.text === 'Write launch blog post')!;
    expect(draft.slice(0, 2)).toEqual([
      { type: 'textRun', textRun: { text: 'Write launch blog post' } },
      { type: 'textRun', textRun: { text: ' (draft)' } },
    ]);
    const other = paragraphs.find((e) => e[0]?.type === 'textRun' && e[0].textRun.text === 'acme/gadgets#2')!;
    expect(other[0]).toEqual({ type: 'textRun', textRun: { text: 'acme/gadgets#2', style: { link: { url: 'https://github.com/acme/gadgets/issues/2' } } } });
    const html = summaryHtml(
      [
        {
          name: 'Roadmap', target_id: '1', target_type: 3, repository: 'acme/widgets', percent: r.percent, status: r.status, done: r.done, total: r.total,
          closed_in_window: r.closed.length, progress_id: null, result: 'dry-run',
          report: { timezone: 'UTC', windowStart: r.progress.windowStart, now: new Date(PROJECT_NOW), period: '2026-W47', closed: r.progress.closedInWindow, closedItems: 50, closedListUrl: '', open: r.progress.open, openItems: 10, openListUrl: '' },
        },
      ],
      true,
    );
    expect(html).toContain('<li>☑ Write launch blog post (draft) — &#64;&#8288;dave</li>');
    expect(html).toContain('<li>☑ <a href="https://github.com/acme/gadgets/issues/2">acme/gadgets#2</a> Gadget sync — &#64;&#8288;erin</li>');
  });

  it('leaves out items closed without being done with progress: completed', async () => {
    const r = await record(`${ROADMAP_TARGET}\nprogress: completed`);
    expect([r.percent, r.done, r.total]).toEqual([60, 6, 10]);
  });

  it('narrows by include', async () => {
    expect((await record(`${ROADMAP_TARGET}\ninclude: pulls`)).open).toEqual([]);
    const pulls = await record(`${ROADMAP_TARGET}\ninclude: pulls`);
    expect([pulls.percent, pulls.done, pulls.total]).toEqual([100, 1, 1]);
    const issues = await record(`${ROADMAP_TARGET}\ninclude: issues`);
    expect([issues.percent, issues.done, issues.total]).toEqual([60, 6, 10]);
  });

  it('narrows to the repository only with labels or a milestone, which must exist there', async () => {
    const labelled = await record(`${ROADMAP_TARGET}\nlabels: [okr]`);
    expect([labelled.percent, labelled.done, labelled.total, labelled.open]).toEqual([66.67, 2, 3, ['#4']]);
    const inMilestone = await record(`${ROADMAP_TARGET}\nmilestone: v2.0`);
    expect([inMilestone.percent, inMilestone.done, inMilestone.total]).toEqual([100, 2, 2]);
    // The milestone's due date gives the schedule.
    expect(inMilestone.schedule.due).toEqual(new Date('2026-12-31T08:00:00Z'));
    expect(await failure(`${ROADMAP_TARGET}\nlabels: [okrr]`)).toBe('okr.yml:5:13 targets[0].labels: label "okrr" does not exist in acme/widgets; did you mean "okr"?');
  });
});

describe('a user project with more than 100 items', () => {
  it('reads every page and counts by hand', async () => {
    const r = await record('project: {owner: alice, number: 2}');
    expect([r.percent, r.done, r.total, r.closed.length, r.open.length]).toEqual([24.4, 61, 250, 0, 189]);
    expect(r.graphql).toHaveLength(3);
    expect(r.selection.targetUrl).toBe('https://github.com/users/alice/projects/2');
    // Only the first query asks for the project's fields.
    expect(r.graphql.map((q) => (JSON.parse(q.body) as { query: string }).query.includes('fields(first: 100)'))).toEqual([true, false, false]);
    // Items of a repository other than the target's are named owner/name#number.
    expect(r.text.split('\n')[3]).toBe('  ☐ alice/tools#230 Tool task 230 — @alice');
  });
});

describe('iterations', () => {
  it('current: the iteration whose days hold today gives the items, the start and the due date', async () => {
    const r = await record(`${ROADMAP_TARGET}\niteration: current`);
    expect([r.percent, r.done, r.total, r.status]).toEqual([66.67, 4, 6, 0]);
    expect(r.selection.displayName).toBe('Roadmap · Sprint 2');
    expect(r.schedule).toEqual({ start: new Date('2026-11-16T00:00:00Z'), due: new Date('2026-11-29T23:59:59.999Z'), dueFrom: 'iteration' });
    expect(r.text.split('\n')[0]).toBe('Roadmap · Sprint 2 — 66.67% · 4 of 6 done, due 2026-11-29 · on track');
  });

  it('by title, among the completed iterations too', async () => {
    const r = await record(`${ROADMAP_TARGET}\niteration: Sprint 1`);
    expect([r.percent, r.done, r.total, r.status]).toEqual([100, 3, 3, 0]);
    expect(r.schedule).toEqual({ start: new Date('2026-11-02T00:00:00Z'), due: new Date('2026-11-15T23:59:59.999Z'), dueFrom: 'iteration' });
  });

  it('current is today in the target’s time zone', async () => {
    const now = '2026-11-15T20:00:00Z';
    expect((await record(`${ROADMAP_TARGET}\niteration: current`, { now })).selection.displayName).toBe('Roadmap · Sprint 1');
    const shanghai = await record(`${ROADMAP_TARGET}\niteration: current\ntimezone: Asia/Shanghai`, { now });
    expect(shanghai.selection.displayName).toBe('Roadmap · Sprint 2');
    expect(shanghai.schedule.start).toEqual(new Date('2026-11-15T16:00:00Z'));
  });

  it('the target’s own start and due win over the iteration’s', async () => {
    const r = await record(`${ROADMAP_TARGET}\niteration: current\nstart: 2026-11-01\ndue: 2026-12-01`);
    expect(r.schedule).toEqual({ start: new Date('2026-11-01T00:00:00Z'), due: new Date('2026-12-01T23:59:59.999Z'), dueFrom: 'target' });
  });

  it('a named iteration field', async () => {
    expect(await failure(`${ROADMAP_TARGET}\niteration: current\niteration_field: Sprint`)).toBe(
      'okr.yml:6:22 targets[0].iteration_field: "Sprint" is not a field of project "Roadmap" (acme project 5); its iteration fields are "Iteration"',
    );
  });
});

describe('estimates', () => {
  it('give points: done points of all points, unestimated items count 1', async () => {
    const r = await record(`${ROADMAP_TARGET}\nestimate_field: Estimate`);
    expect([r.percent, r.done, r.total]).toEqual([60.32, 19, 31.5]);
    expect(r.text.split('\n')[0]).toBe('Roadmap — 60.32% · 19 of 31.5 points · no status');
    expect(r.text).toContain('Still open (4)');
    expect(r.text).toContain('  • Done: 19 of 31.5 points');
  });

  it('with an iteration', async () => {
    const r = await record(`${ROADMAP_TARGET}\nestimate_field: Estimate\niteration: Sprint 2`);
    expect([r.percent, r.done, r.total]).toEqual([47.62, 10, 21]);
  });

  it('with progress: completed, leave out the points of items closed as not planned', async () => {
    const r = await record(`${ROADMAP_TARGET}\nestimate_field: Estimate\nprogress: completed`);
    expect([r.percent, r.done, r.total]).toEqual([59.02, 18, 30.5]);
  });
});

describe('errors', () => {
  it('a project the token may not read: it needs read:project', async () => {
    expect(await failure('project: {owner: acme, number: 7}')).toBe(
      'okr.yml:4:14 targets[0].project: GitHub refused to show acme project 7 (FORBIDDEN: Resource not accessible by integration). The token needs read:project: the default GITHUB_TOKEN cannot read organisation projects. Pass a fine-grained personal access token with the permission Projects: read (or a classic token with read:project), or a GitHub App installation token with organisation projects: read, as the github-token input, e.g. github-token: ${{ secrets.PROJECT_TOKEN }}.',
    );
  });

  it('a project that does not exist (or that the token cannot see)', async () => {
    const message = await failure('project: {owner: acme, number: 99}');
    expect(message).toMatch(/^okr\.yml:4:14 targets\[0\]\.project: GitHub refused to show acme project 99 \(NOT_FOUND: Could not resolve to a ProjectV2 with the number 99\.\)\. The token needs read:project/);
  });

  it('an owner nobody has', async () => {
    expect(await failure('project: {owner: nobody, number: 1}')).toBe(
      'okr.yml:4:22 targets[0].project.owner: no GitHub organisation or user is named "nobody"; write the login as in https://github.com/orgs/<owner>/projects/1',
    );
  });

  it('GitHub refusing the token altogether', async () => {
    const { outcome, target } = await collect(ROADMAP_TARGET);
    expect(outcome.status).toBe('fulfilled');
    github.faults.push({ route: 'graphql', kind: 'status', status: 403, message: 'Resource not accessible by integration' });
    const refused = await selectProject(target, { octokit: octokitFor(), now: new Date(PROJECT_NOW), live: true, narrowing: async () => undefined, graphql: { queries: 0, cost: 0, remaining: undefined } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SelectionError);
    expect((refused as Error).message).toMatch(/^GitHub refused to show acme project 5 \(HTTP 403: Resource not accessible by integration.*\)\. The token needs read:project/);
    github.faults.push({ route: 'graphql', kind: 'status', status: 401 });
    const rejected = await selectProject(target, { octokit: octokitFor(), now: new Date(PROJECT_NOW), live: true, narrowing: async () => undefined, graphql: { queries: 0, cost: 0, remaining: undefined } }).catch((e: unknown) => e);
    expect((rejected as Error).message).toMatch(/^GitHub refused to show acme project 5 \(HTTP 401: Bad credentials.*\)\. The token needs read:project/);
  });

  it('a rate limit longer than the run waits is told as one, not as a missing permission', async () => {
    const { target } = await collect(ROADMAP_TARGET);
    const message = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
    github.faults.push({ route: 'graphql', kind: 'status', status: 403, message, headers: { 'retry-after': '600' } });
    const { outcome, lines } = await withStdout(() =>
      selectProject(target, { octokit: octokitFor(), now: new Date(PROJECT_NOW), live: true, narrowing: async () => undefined, graphql: { queries: 0, cost: 0, remaining: undefined } }),
    );
    const limited = outcome.status === 'rejected' ? (outcome.reason as Error) : undefined;
    expect(limited).not.toBeInstanceOf(SelectionError);
    expect(limited?.message).toBe(
      `GitHub's rate limit stopped the reading of acme project 5 (HTTP 403: ${message} - https://docs.github.com/rest); the run waits at most 2 minutes for it. Run again after the 600 s GitHub asked for.`,
    );
    expect(lines).toEqual(['::warning::GitHub secondary rate limit for POST /graphql; giving up.']);
  });

  it('a status field, done value, iteration or estimate field the project lacks names the ones it has', async () => {
    expect(await failure(`${ROADMAP_TARGET}\nstatus_field: Stauts`)).toBe(
      'okr.yml:5:19 targets[0].status_field: "Stauts" is not a field of project "Roadmap" (acme project 5); did you mean "Status"?',
    );
    expect(await failure(`${ROADMAP_TARGET}\nstatus_field: Notes`)).toBe(
      'okr.yml:5:19 targets[0].status_field: "Notes" is a text field of project "Roadmap" (acme project 5), but status_field must name a single-select field; its single-select fields are "Status"',
    );
    expect(await failure(`${ROADMAP_TARGET}\ndone: [Done, Shipped]`)).toBe(
      'okr.yml:5:18 targets[0].done[1]: "Shipped" is not a value of the field "Status" of project "Roadmap" (acme project 5); its values are "Todo", "In progress", "Done"',
    );
    expect(await failure(`${ROADMAP_TARGET}\ndone: [done]`)).toBe(
      'okr.yml:5:12 targets[0].done[0]: "done" is not a value of the field "Status" of project "Roadmap" (acme project 5); did you mean "Done"?',
    );
    expect(await failure(`${ROADMAP_TARGET}\niteration: Sprint 9`)).toBe(
      'okr.yml:5:16 targets[0].iteration: "Sprint 9" is not an iteration of the field "Iteration" of project "Roadmap" (acme project 5); did you mean "Sprint 1", "Sprint 2", "Sprint 3"?; or write current for the one under way',
    );
    expect(await failure(`${ROADMAP_TARGET}\niteration: current`, { now: '2027-03-01T09:00:00Z' })).toBe(
      'okr.yml:5:16 targets[0].iteration: no iteration of the field "Iteration" of project "Roadmap" (acme project 5) contains today (2027-03-01 in UTC); its iterations are "Sprint 1 (2026-11-02, 14 days)", "Sprint 2 (2026-11-16, 14 days)", "Sprint 3 (2026-11-30, 14 days)"',
    );
    expect(await failure(`${ROADMAP_TARGET}\nestimate_field: Estimat`)).toBe(
      'okr.yml:5:21 targets[0].estimate_field: "Estimat" is not a field of project "Roadmap" (acme project 5); did you mean "Estimate"?',
    );
  });

  it('a project read with as-of fails: GitHub keeps no history of field values', async () => {
    expect(await failure(ROADMAP_TARGET, { live: false })).toBe(
      'as-of cannot be used with a GitHub project: GitHub keeps no history of a project\'s field values, so acme project 5 cannot be counted as it stood then. Run without as-of, or leave this target out with the targets input.',
    );
    expect(github.requests).toEqual([]);
  });

  it('items the token cannot see fail the target rather than give a partial number', async () => {
    expect(await failure('project: {owner: acme, number: 8}')).toBe(
      '1 item of acme project 8 cannot be read by the token (they belong to repositories it has no access to), so the project cannot be counted in full; give the token read access to those repositories.',
    );
  });

  it('the mapping file: project keys without a project, and a project with a bad owner', () => {
    const problems = (yaml: string): string[] => {
      try {
        parseMappingDocument(yaml, 'okr.yml');
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
      }
    };
    expect(problems(mapping('milestone: v2.0\niteration: current\ndone: [Done]'))).toEqual([
      '5:16 targets[0].iteration: applies to a GitHub project only; set project: {owner, number}, or remove it',
      '6:11 targets[0].done: applies to a GitHub project only; set project: {owner, number}, or remove it',
    ]);
    expect(problems(mapping('project: {owner: "acme corp", number: 0}'))).toEqual([
      '4:22 targets[0].project.owner: must be the login of the organisation or user that owns the project, as in https://github.com/orgs/<owner>/projects/5, not "acme corp"',
      '4:43 targets[0].project.number: must be more than 0, not 0',
    ]);
    expect(problems(mapping('name: x'))).toEqual(['3:5 targets[0]: set milestone, labels or both to choose the issues and pull requests this target counts (or a query or a project; or a metric for a number)']);
    expect(problems(`version: 1\ndefaults: {status_field: State, done: [Closed]}\n${mapping(ROADMAP_TARGET).slice('version: 1\n'.length)}`)).toEqual([]);
  });
});

/** An octokit on the fake GitHub. */
function octokitFor(): Octokit {
  return octokitAt(github.url, PROJECT_TOKEN, { waitUnitMs: 0 });
}

describe('never a partial number', () => {
  const target = (): Target => resolveTargets(parseMappingDocument(mapping(ROADMAP_TARGET), 'okr.yml').mapping, 'acme/widgets')[0]!;
  const field = { __typename: 'ProjectV2SingleSelectField', name: 'Status', dataType: 'SINGLE_SELECT', options: [{ name: 'Done' }] };
  const node = { type: 'DRAFT_ISSUE', isArchived: false, status: null, content: { __typename: 'DraftIssue', title: 'x', createdAt: PROJECT_NOW, updatedAt: PROJECT_NOW, creator: null } };
  /** Answers GitHub might give, one per request: pages of `count` items with the given places. */
  const pages = (places: { totalCount: number; hasNextPage: boolean; endCursor: string | null; count?: number }[]): Octokit => {
    let n = 0;
    const graphql = async () => {
      const place = places[Math.min(n++, places.length - 1)]!;
      return {
        repositoryOwner: {
          __typename: 'Organization',
          projectV2: {
            title: 'Roadmap',
            url: 'https://github.com/orgs/acme/projects/5',
            fields: { totalCount: 1, nodes: [field] },
            items: { totalCount: place.totalCount, pageInfo: { hasNextPage: place.hasNextPage, endCursor: place.endCursor }, nodes: Array.from({ length: place.count ?? 1 }, () => node) },
          },
        },
        rateLimit: { cost: 1, remaining: 4999 },
      };
    };
    return { graphql } as unknown as Octokit;
  };
  const run = (octokit: Octokit) =>
    selectProject(target(), { octokit, now: new Date(PROJECT_NOW), live: true, narrowing: async () => undefined, graphql: { queries: 0, cost: 0, remaining: undefined } }).then(
      (s) => `${s.items.length} items`,
      (e: unknown) => (e as Error).message,
    );

  it('reads a well-formed project to its end', async () => {
    expect(await run(pages([{ totalCount: 2, hasNextPage: true, endCursor: 'a' }, { totalCount: 2, hasNextPage: false, endCursor: 'b' }]))).toBe('2 items');
  });

  it('fails on a missing or repeated cursor, a total that disagrees or changes, and past the page cap', async () => {
    expect(await run(pages([{ totalCount: 2, hasNextPage: true, endCursor: null }]))).toBe('GitHub gave no cursor for the next page of acme project 5 after 1 of 2 items; it was not counted.');
    expect(await run(pages([{ totalCount: 3, hasNextPage: true, endCursor: 'a' }, { totalCount: 3, hasNextPage: true, endCursor: 'a' }]))).toBe(
      'GitHub gave the same cursor again for the next page of acme project 5 after 2 of 3 items; it was not counted.',
    );
    expect(await run(pages([{ totalCount: 3, hasNextPage: false, endCursor: 'a' }]))).toBe('GitHub listed 1 items of acme project 5 but counts 3; it was not counted. Run again.');
    expect(await run(pages([{ totalCount: -1, hasNextPage: false, endCursor: 'a' }]))).toMatch(/^GitHub answered for acme project 5 in an unexpected shape; it was not counted: ✖ Too small/);
    expect(await run(pages([{ totalCount: 3, hasNextPage: true, endCursor: 'a' }, { totalCount: 4, hasNextPage: false, endCursor: 'b' }]))).toBe(
      'acme project 5 changed while it was read (3 items, then 4); it was not counted. Run again.',
    );
    let n = 0;
    const endless = {
      graphql: async () => {
        const answer = await pages([{ totalCount: 100_000, hasNextPage: true, endCursor: 'x', count: 0 }]).graphql('');
        const project = (answer as { repositoryOwner: { projectV2: { items: { pageInfo: { endCursor: string } } } } }).repositoryOwner.projectV2;
        project.items.pageInfo.endCursor = `c${n++}`;
        return answer;
      },
    } as unknown as Octokit;
    expect(await run(endless)).toBe(`acme project 5 has more than ${MAX_PAGES * 100} items, more than a project can hold; it was not counted.`);
    expect(n).toBe(MAX_PAGES);
  });
});
