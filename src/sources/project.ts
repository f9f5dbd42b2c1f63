import { z } from 'zod';
import { closest } from '../config/closest.js';
import type { ProjectTarget, Target } from '../config/schema.js';
import { rateLimitError, SelectionError, type Selection } from '../github/collect.js';
import { issueCloseReason, type CloseReason, type Item, type Milestone } from '../github/items.js';
import type { Octokit } from '../github/octokit.js';
import { points, type PointGroup } from '../measures.js';
import { isDropped, localDate, parseDateOrInstant, type Measured } from '../progress.js';
import { cleanTitle } from '../record/text.js';
import {
  LABELS_PER_ITEM,
  PROJECT_PAGE_SIZE,
  ProjectAnswer,
  projectQuery,
  type ProjectField,
  type ProjectItem,
  type ProjectIteration,
  type ProjectPage,
} from './project-query.js';

// The `project` source: the issues, pull requests and draft issues of a GitHub project
// (Projects v2, an organisation's or a user's). An item is done when its status field holds
// one of the `done` values; it counts as done in the window when that value was set in the
// window (the field value's updatedAt) or, for an issue or pull request, when it was closed
// in the window. Projects keep no history of field values, so a project cannot be counted as
// it stood at an earlier time (as-of), and a number is never given from part of a project:
// any doubt about having read every item fails the target.

/** 500 pages of 100: 50,000 items, the most a project can hold. */
export const MAX_PAGES = 500;
/** Points of an item whose estimate field is empty, as `weights` gives an unlabelled item. */
export const DEFAULT_POINTS = 1;

export interface ProjectRun {
  octokit: Octokit;
  now: Date;
  /** False when the run has as-of. */
  live: boolean;
  /** Checks the target's milestone and labels in its repository; gives the milestone. Called only when the target has either. */
  narrowing: () => Promise<Milestone | undefined>;
  /** The run's GraphQL tally, for the log. */
  graphql: { queries: number; cost: number; remaining: number | undefined };
}

/** What a project's fields say about the target's keys. */
interface Resolved {
  done: Set<string>;
  iteration: (ProjectIteration & { fieldName: string }) | undefined;
}

const READ_PROJECT =
  'The token needs read:project: the default GITHUB_TOKEN cannot read organisation projects. Pass a fine-grained personal access token with the permission Projects: read (or a classic token with read:project), or a GitHub App installation token with organisation projects: read, as the github-token input, e.g. github-token: ${{ secrets.PROJECT_TOKEN }}.';

const quoted = (names: readonly string[]): string => names.map((n) => `"${cleanTitle(n)}"`).join(', ');

/** "; did you mean …?" with the closest names, or else the ones there are. */
function hint(wanted: string, names: readonly string[], what: string): string {
  const near = closest(wanted, names);
  if (near.length) return `; did you mean ${quoted(near)}?`;
  if (!names.length) return `; it has no ${what}`;
  return `; its ${what} are ${quoted(names.slice(0, 10))}${names.length > 10 ? ', …' : ''}`;
}

/** The selection of a project target: every item read, then narrowed and judged done or not. */
export async function selectProject(target: Target, run: ProjectRun): Promise<Selection> {
  const project = target.project!;
  const at = (key: string, ...rest: (string | number)[]): (string | number)[] => ['targets', target.index, key, ...rest];
  if (!run.live) {
    throw new Error(
      `as-of cannot be used with a GitHub project: GitHub keeps no history of a project's field values, so ${project.owner} project ${project.number} cannot be counted as it stood then. Run without as-of, or leave this target out with the targets input.`,
    );
  }
  const narrows = target.milestone !== undefined || target.labels.length > 0;
  const milestone = narrows ? await run.narrowing() : undefined;

  const pages = readPages(target, project, run);
  const first = await pages.next();
  if (first.done) throw new Error('no first page');
  const page = first.value;
  const resolved = resolveFields(target, project, page, run.now, at);
  const nodes = [...page.items.nodes];
  for (let next = await pages.next(); !next.done; next = await pages.next()) nodes.push(...next.value.items.nodes);

  const redacted = nodes.filter((n) => n.type === 'REDACTED' || n.content === null).length;
  if (redacted) {
    throw new Error(
      `${redacted} item${redacted === 1 ? '' : 's'} of ${project.owner} project ${project.number} cannot be read by the token (they belong to repositories it has no access to), so the project cannot be counted in full; give the token read access to those repositories.`,
    );
  }
  const items: Item[] = [];
  for (const node of nodes) {
    if (node.isArchived || !selects(target, node, milestone, resolved)) continue;
    items.push(itemOf(target, project, node, resolved));
  }

  const title = page.title ?? `${project.owner} project ${project.number}`;
  const url = page.url ?? '';
  const iteration = resolved.iteration;
  return {
    items,
    ...(project.estimateField !== undefined && { measured: estimateMeasure(target, items) }),
    milestone,
    ...(iteration && { schedule: iterationDates(iteration, target.timezone) }),
    // A board has no list of "the rest" to link to: its own page stands for all of them.
    targetUrl: url,
    closedListUrl: url,
    openListUrl: url,
    displayName: cleanTitle(target.name ?? (iteration ? `${title} · ${iteration.title}` : title)),
  };
}

/** Every page of the project's items, each checked: no partial project is ever counted. */
async function* readPages(target: Target, project: ProjectTarget, run: ProjectRun): AsyncGenerator<ProjectPage> {
  const options = { iteration: project.iteration !== undefined, estimate: project.estimateField !== undefined, labels: target.labels.length > 0 };
  const variables: Record<string, unknown> = { owner: project.owner, number: project.number, status: project.statusField };
  if (options.iteration) variables['iteration'] = project.iterationField;
  if (options.estimate) variables['estimate'] = project.estimateField;
  const name = `${project.owner} project ${project.number}`;
  const cursors = new Set<string>();
  let after: string | null = null;
  let total: number | undefined;
  let read = 0;
  for (let n = 0; ; n++) {
    if (n === MAX_PAGES) throw new Error(`${name} has more than ${MAX_PAGES * PROJECT_PAGE_SIZE} items, more than a project can hold; it was not counted.`);
    const query = projectQuery({ first: n === 0, ...options });
    let data: unknown;
    try {
      data = await run.octokit.graphql(query, { ...variables, after });
    } catch (error) {
      throw explainProjectError(error, target, project);
    }
    const parsed = ProjectAnswer.safeParse(data);
    if (!parsed.success) throw new Error(`GitHub answered for ${name} in an unexpected shape; it was not counted: ${z.prettifyError(parsed.error)}`);
    const answer = parsed.data;
    run.graphql.queries += 1;
    run.graphql.cost += answer.rateLimit.cost;
    run.graphql.remaining = answer.rateLimit.remaining;
    const owner = answer.repositoryOwner;
    if (!owner) throw new SelectionError(`no GitHub organisation or user is named "${project.owner}"; write the login as in https://github.com/orgs/<owner>/projects/${project.number}`, ['targets', target.index, 'project', 'owner']);
    if (!owner.projectV2) throw new SelectionError(`${notFound(project, owner.__typename)} ${READ_PROJECT}`, ['targets', target.index, 'project']);
    const page = owner.projectV2;
    const { totalCount, pageInfo, nodes } = page.items;
    if (total !== undefined && totalCount !== total) {
      throw new Error(`${name} changed while it was read (${total} items, then ${totalCount}); it was not counted. Run again.`);
    }
    total = totalCount;
    read += nodes.length;
    yield page;
    if (!pageInfo.hasNextPage) break;
    if (pageInfo.endCursor === null || cursors.has(pageInfo.endCursor)) {
      throw new Error(`GitHub gave ${pageInfo.endCursor === null ? 'no cursor' : 'the same cursor again'} for the next page of ${name} after ${read} of ${total} items; it was not counted.`);
    }
    cursors.add(pageInfo.endCursor);
    after = pageInfo.endCursor;
  }
  if (read !== total) throw new Error(`GitHub listed ${read} items of ${name} but counts ${total}; it was not counted. Run again.`);
}

function notFound(project: ProjectTarget, ownerType: string): string {
  const kind = ownerType === 'User' ? 'user' : 'organisation';
  return `project ${project.number} of the ${kind} ${project.owner} was not found, or the token may not read it.`;
}

/** A refusal by GitHub, in words that say what the token needs. */
export function explainProjectError(error: unknown, target: Target, project: ProjectTarget): Error {
  const path = ['targets', target.index, 'project'];
  const status = (error as { status?: number }).status;
  const errors = (error as { errors?: { type?: string; message?: string }[] }).errors;
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  const refused = (errors ?? []).find((e) => e.type === 'FORBIDDEN' || e.type === 'NOT_FOUND' || /not accessible by integration/i.test(e.message ?? ''));
  if (refused) {
    return new SelectionError(`GitHub refused to show ${project.owner} project ${project.number} (${refused.type ?? 'FORBIDDEN'}: ${refused.message ?? ''}). ${READ_PROJECT}`, path);
  }
  const limited = rateLimitError(error, `${project.owner} project ${project.number}`);
  if (limited) return limited;
  if (status === 401 || status === 403 || /not accessible by integration/i.test(message)) {
    return new SelectionError(`GitHub refused to show ${project.owner} project ${project.number} (HTTP ${status ?? 403}: ${message}). ${READ_PROJECT}`, path);
  }
  return new Error(`GitHub's GraphQL API failed for ${project.owner} project ${project.number}${status ? ` (HTTP ${status})` : ''}: ${message}`);
}

const KINDS = { SINGLE_SELECT: 'single-select', ITERATION: 'iteration', NUMBER: 'number' } as const;

/** The field a key names, checked to be of the kind it must be. */
function fieldNamed(fields: ProjectField[], name: string, dataType: keyof typeof KINDS, key: string, at: (string | number)[], projectName: string): ProjectField {
  const field = fields.find((f) => f.name === name);
  const ofKind = fields.filter((f) => f.dataType === dataType).map((f) => f.name);
  if (!field) {
    throw new SelectionError(`"${name}" is not a field of ${projectName}${hint(name, ofKind.length ? ofKind : fields.map((f) => f.name), `${KINDS[dataType]} fields`)}`, at);
  }
  if (field.dataType !== dataType) {
    const others = ofKind.length ? `; its ${KINDS[dataType]} fields are ${quoted(ofKind)}` : `; it has no ${KINDS[dataType]} field`;
    throw new SelectionError(`"${name}" is a ${field.dataType.toLowerCase().replace(/_/g, '-')} field of ${projectName}, but ${key} must name a ${KINDS[dataType]} field${others}`, at);
  }
  return field;
}

/** Checks the target's field names, done values and iteration against the project's fields. */
function resolveFields(target: Target, project: ProjectTarget, page: ProjectPage, now: Date, at: (key: string, ...rest: (string | number)[]) => (string | number)[]): Resolved {
  const projectName = `project "${cleanTitle(page.title ?? String(project.number))}" (${project.owner} project ${project.number})`;
  const fields = page.fields?.nodes ?? [];
  if ((page.fields?.totalCount ?? 0) > fields.length) throw new Error(`${projectName} has more fields than were read; it was not counted.`);
  const status = fieldNamed(fields, project.statusField, 'SINGLE_SELECT', 'status_field', at('status_field'), projectName);
  const options = (status.options ?? []).map((o) => o.name);
  const missing = project.done.flatMap((value, k) => (options.includes(value) ? [] : [{ value, k }]));
  if (missing.length) {
    const { value, k } = missing[0]!;
    const words = missing.map((m) => `"${cleanTitle(m.value)}"`).join(', ');
    throw new SelectionError(`${words} ${missing.length === 1 ? 'is not a value' : 'are not values'} of the field "${status.name}" of ${projectName}${hint(value, options, 'values')}`, at('done', k));
  }
  if (project.estimateField !== undefined) fieldNamed(fields, project.estimateField, 'NUMBER', 'estimate_field', at('estimate_field'), projectName);
  let iteration: Resolved['iteration'];
  if (project.iteration !== undefined) {
    const field = fieldNamed(fields, project.iterationField, 'ITERATION', 'iteration_field', at('iteration_field'), projectName);
    const all = [...(field.configuration?.iterations ?? []), ...(field.configuration?.completedIterations ?? [])].sort((a, b) => a.startDate.localeCompare(b.startDate));
    const listed = all.map((i) => `${i.title} (${i.startDate}, ${i.duration} days)`);
    let found: ProjectIteration | undefined;
    if (project.iteration === 'current') {
      const today = localDate(now, target.timezone);
      found = all.find((i) => i.startDate <= today && today < addDays(i.startDate, i.duration));
      if (!found) {
        throw new SelectionError(
          `no iteration of the field "${field.name}" of ${projectName} contains today (${today} in ${target.timezone})${listed.length ? `; its iterations are ${quoted(listed)}` : '; it has no iterations'}`,
          at('iteration'),
        );
      }
    } else {
      const wanted = project.iteration;
      found = all.find((i) => i.title === wanted) ?? all.find((i) => i.title.toLowerCase() === wanted.toLowerCase());
      if (!found) {
        throw new SelectionError(`"${wanted}" is not an iteration of the field "${field.name}" of ${projectName}${hint(wanted, all.map((i) => i.title), 'iterations')}; or write current for the one under way`, at('iteration'));
      }
    }
    iteration = { ...found, fieldName: field.name };
  }
  return { done: new Set(project.done), iteration };
}

/** YYYY-MM-DD plus days. */
function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** An iteration's first day, from its start in the time zone, to the end of its last day. */
export function iterationDates(iteration: ProjectIteration, timeZone: string): { start: Date; due: Date } {
  return {
    start: parseDateOrInstant(iteration.startDate, timeZone),
    due: parseDateOrInstant(addDays(iteration.startDate, iteration.duration - 1), timeZone, true),
  };
}

/** Whether the target counts the item: its iteration, its kind (include), and, with milestone or labels, its repository, milestone and labels. */
function selects(target: Target, node: ProjectItem, milestone: Milestone | undefined, resolved: Resolved): boolean {
  const content = node.content!;
  if (resolved.iteration && node.iteration?.iterationId !== resolved.iteration.id) return false;
  const isPull = content.__typename === 'PullRequest';
  if (target.include === 'pulls' ? !isPull : target.include === 'issues' ? isPull : false) return false;
  if (target.milestone === undefined && !target.labels.length) return true;
  if (content.__typename === 'DraftIssue') return false;
  if (content.repository.nameWithOwner.toLowerCase() !== target.repository.toLowerCase()) return false;
  if (milestone && content.milestone?.number !== milestone.number) return false;
  if (target.labels.length) {
    const labels = content.labels!;
    if (labels.totalCount > labels.nodes.length) {
      throw new Error(`${content.url} has ${labels.totalCount} labels, more than the ${LABELS_PER_ITEM} read of each item; the project was not counted.`);
    }
    if (!labels.nodes.some((l) => target.labels.includes(l.name))) return false;
  }
  return true;
}

const later = (a: string, b: string | null): string => (b !== null && Date.parse(b) > Date.parse(a) ? b : a);

/** A project item as the rest of the action sees an item: closed when done, at the time it counts as done. */
function itemOf(target: Target, project: ProjectTarget, node: ProjectItem, resolved: Resolved): Item {
  const content = node.content!;
  const status = node.status?.name ?? null;
  const done = status !== null && resolved.done.has(status);
  // When the status was set to a done value, or, if later, when the issue or pull request was closed.
  const statusSetAt = node.status?.updatedAt ?? null;
  const contentClosedAt = content.__typename === 'DraftIssue' ? null : content.closedAt;
  const doneAt = done ? (statusSetAt === null ? contentClosedAt : later(statusSetAt, contentClosedAt)) : null;
  const points = project.estimateField === undefined ? undefined : estimatePoints(node, content);
  const base = { labels: [] as string[], ...(points !== undefined && { points }), state: done ? ('closed' as const) : ('open' as const) };
  if (content.__typename === 'DraftIssue') {
    const creator = content.creator;
    return {
      ...base,
      number: 0,
      reference: null,
      title: content.title,
      url: '',
      kind: 'issue',
      closeReason: done ? 'completed' : null,
      createdAt: content.createdAt,
      updatedAt: content.updatedAt,
      closedAt: doneAt,
      mergedAt: null,
      author: creator ? loginOf(creator) : null,
      milestone: null,
    };
  }
  const isPull = content.__typename === 'PullRequest';
  let reason: CloseReason = isPull ? 'merged' : 'completed';
  if (content.__typename === 'PullRequest' && content.pullState !== 'OPEN') reason = content.pullState === 'MERGED' ? 'merged' : 'unmerged';
  if (content.__typename === 'Issue' && content.state !== 'OPEN') reason = issueCloseReason(content.stateReason?.toLowerCase());
  const sameRepository = content.repository.nameWithOwner.toLowerCase() === target.repository.toLowerCase();
  return {
    ...base,
    number: content.number,
    ...(!sameRepository && { reference: `${content.repository.nameWithOwner}#${content.number}` }),
    title: content.title,
    url: content.url,
    kind: isPull ? 'pull' : 'issue',
    closeReason: done ? reason : null,
    createdAt: content.createdAt,
    updatedAt: content.updatedAt,
    closedAt: doneAt,
    mergedAt: isPull ? content.mergedAt : null,
    author: content.author ? loginOf(content.author) : null,
    milestone: content.milestone?.number ?? null,
  };
}

/** REST's login for a bot (`name[bot]`), which the mapping's `people` uses. */
const loginOf = (actor: { __typename: string; login: string }): string => (actor.__typename === 'Bot' ? `${actor.login}[bot]` : actor.login);

function estimatePoints(node: ProjectItem, content: NonNullable<ProjectItem['content']>): number {
  const points = node.estimate?.number;
  if (points === null || points === undefined) return DEFAULT_POINTS;
  if (points < 0 || !Number.isFinite(points)) {
    const name = content.__typename === 'DraftIssue' ? `the draft "${cleanTitle(content.title)}"` : content.url;
    throw new Error(`${name} has the estimate ${points}; an estimate must be 0 or more.`);
  }
  return points;
}

/**
 * estimate_field: the points measure (as `weights`), each item its own group. With `progress:
 * completed` the items closed without being done leave the total, as they do when counting items.
 */
export function estimateMeasure(target: Target, items: readonly Item[]): Measured {
  const groups = items.flatMap((item): PointGroup[] => {
    const dropped = target.progress === 'completed' && item.closeReason !== null && isDropped(item.closeReason);
    return dropped ? [] : [{ points: item.points ?? DEFAULT_POINTS, total: 1, done: item.state === 'closed' ? 1 : 0 }];
  });
  return { ...points(groups), openCount: items.filter((i) => i.state === 'open').length };
}
