import { z } from 'zod';
import type { Target } from '../config/schema.js';
import { SelectionError, type Selection } from '../github/collect.js';
import { itemOfNode, SEARCH_NODE_FIELDS } from '../github/graphql.js';
import { Item, type Milestone } from '../github/items.js';
import type { Octokit } from '../github/octokit.js';
import { completion, goal, points, pointsOfLabels, type Measure, type PointGroup } from '../measures.js';
import { closeReasonAt, isDropped, itemsAsOf, scheduleOf, tallyOf, windowStart, type Measured } from '../progress.js';
import { cleanTitle } from '../record/text.js';

// The selection of targets that GitHub's issue search answers: a `query`, and milestone or
// labels narrowed by `assignees` / `authors` or measured by `goal` or `weights`.
//
// A target is made of disjoint searches, so that their counts add up exactly: one per kind
// (GitHub Apps may not mix issues and pull requests in one search), per assignee
// (`assignee:b -assignee:a`: any of them, each item once), per author, and for `weights` per
// level of points (`label:L`, `label:M -label:L`, …, then none of them). In a run about the
// present GitHub counts each search (GraphQL `search { issueCount }`, aliased, many targets
// to a query) and only what the record shows is read: the items updated in the window and
// the most recently updated open ones. A back-fill (`as-of`) lists every item over REST search
// instead, exactly. GitHub's search gives at most 1,000 results; a list longer than that, or
// one GitHub says is incomplete, fails its target rather than write a part of it.

/** GitHub's search answers at most this many results of one search. */
export const SEARCH_CAP = 1000;
const PAGE = 100;
/** Searches in one GraphQL query. */
const SEARCHES_PER_QUERY = 100;

/** Whether the search source selects this target rather than the milestone/labels collector. */
export function isSearchTarget(target: Target): boolean {
  return (
    target.metric === undefined &&
    target.project === undefined &&
    (target.query !== undefined || (target.assignees ?? []).length > 0 || (target.authors ?? []).length > 0 || target.goal !== undefined || target.weights !== undefined)
  );
}

const quote = (value: string): string => `"${value.replace(/"/g, '')}"`;
const names = (wanted: RegExp, query: string): boolean => new RegExp(`(?:^|[\\s(])(?:${wanted.source})`, 'i').test(query);

/** The target's search without the disjoint splits: its query (with its repository when it names none), or its milestone and labels. */
export function baseQuery(target: Target, milestone: Milestone | undefined): string {
  if (target.query !== undefined) {
    return names(/repo:|org:|user:/, target.query) ? target.query : `${target.query} repo:${target.repository}`;
  }
  return [
    `repo:${target.repository}`,
    milestone ? `milestone:${quote(milestone.title)}` : '',
    target.labels.length ? `label:${target.labels.map(quote).join(',')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export type Kind = 'issue' | 'pull';

/** The kinds `include` and the query allow. */
function kindsOf(target: Target): Kind[] {
  const query = target.query ?? '';
  const onlyIssues = names(/is:issue\b|type:issue\b/, query);
  const onlyPulls = names(/is:pr\b|is:pull-request\b|type:pr\b/, query);
  const kinds: Kind[] = onlyIssues && !onlyPulls ? ['issue'] : onlyPulls && !onlyIssues ? ['pull'] : ['issue', 'pull'];
  return kinds.filter((kind) => target.include === 'all' || (target.include === 'issues') === (kind === 'issue'));
}

/** One of the disjoint searches of a target. */
export interface Part {
  kind: Kind;
  query: string;
  /** With weights: the points of every item this search finds. */
  points?: number;
}

/** `any of these` as disjoint qualifiers: `q:a`, `q:b -q:a`, … */
function anyOf(qualifier: string, values: readonly string[]): string[] {
  if (!values.length) return [''];
  return values.map((value, i) => [`${qualifier}:${value}`, ...values.slice(0, i).map((before) => `-${qualifier}:${before}`)].join(' '));
}

/** Levels of points, largest first: each its labels and the labels of the larger levels. */
function pointLevels(weights: Readonly<Record<string, number>>, defaultWeight: number): { clause: string; points: number }[] {
  const levels = [...new Set(Object.values(weights))].sort((a, b) => b - a);
  const labelsOf = (points: number): string[] => Object.keys(weights).filter((label) => weights[label] === points);
  const clauses = levels.map((points, i) => ({
    clause: [`label:${labelsOf(points).map(quote).join(',')}`, ...levels.slice(0, i).flatMap(labelsOf).map((l) => `-label:${quote(l)}`)].join(' '),
    points,
  }));
  clauses.push({ clause: Object.keys(weights).map((l) => `-label:${quote(l)}`).join(' '), points: defaultWeight });
  return clauses;
}

/** The disjoint searches of a target: by kind, assignee and author; by level of points too when `byPoints`. */
export function partsOf(target: Target, milestone: Milestone | undefined, byPoints: boolean): Part[] {
  const base = baseQuery(target, milestone);
  const levels = byPoints && target.weights ? pointLevels(target.weights, target.defaultWeight ?? 1) : [undefined];
  const parts: Part[] = [];
  for (const kind of kindsOf(target)) {
    for (const assignee of anyOf('assignee', target.assignees ?? [])) {
      for (const author of (target.authors ?? []).length ? target.authors!.map((a) => `author:${a}`) : ['']) {
        for (const level of levels) {
          const query = [base, kind === 'issue' ? 'is:issue' : 'is:pr', assignee, author, level?.clause ?? ''].filter(Boolean).join(' ');
          parts.push({ kind, query, ...(level && { points: level.points }) });
        }
      }
    }
  }
  return parts;
}

/** An instant as GitHub's search qualifiers take it. */
const searchInstant = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Done, per `progress`: a closed item, or an issue closed as completed and a merged pull request. */
const doneQualifier = (target: Target, kind: Kind): string =>
  target.progress === 'github' ? 'is:closed' : kind === 'issue' ? 'is:closed reason:completed' : 'is:merged';

/** A search GitHub answers, and what it answered. */
interface Search {
  query: string;
  /** Read this many items a page, or count only. */
  first?: number;
  /** Read on to the end, or stop after the first page. */
  toEnd: boolean;
  target: Target;
  count?: number;
  items: Item[];
  after?: string | null;
  hasNextPage?: boolean;
}

/** The searches of a counted target, by what they are for. */
interface Counting {
  target: Target;
  milestone: Milestone | undefined;
  since: Date;
  /** Per part: every selected item, the done ones, and (github progress) the closed ones. */
  selected: Search[];
  done: Search[];
  closed: Search[];
  /** goal: per part, the items done since the start, and the open ones. */
  doneSinceStart: Search[];
  open: Search[];
  parts: Part[];
  /** What the record lists. */
  updated: Search[];
  recentOpen: Search[];
}

/** The parts of the GraphQL answer to a search, checked. */
const SearchAnswer = z.object({
  issueCount: z.number().int().nonnegative(),
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }).optional(),
  nodes: z.array(z.unknown().nullable()).optional(),
});
const RateLimit = z.object({ cost: z.number(), remaining: z.number() });
const RestSearch = z.object({ total_count: z.number().int().nonnegative(), incomplete_results: z.boolean(), items: z.array(Item) });

/** A target's failure with GitHub's own words, at the key the user fixes. */
function rejected(target: Target, words: string): SelectionError {
  const key = target.query !== undefined ? 'query' : (target.assignees ?? []).length ? 'assignees' : (target.authors ?? []).length ? 'authors' : undefined;
  return new SelectionError(words, ['targets', target.index, ...(key ? [key] : [])]);
}

export interface SearchSourceOptions {
  octokit: Octokit;
  serverUrl: string;
  /** The target's milestone, checked as the collector checks it (undefined without one). */
  milestoneOf(target: Target): Promise<Milestone | undefined>;
  /** Where the GraphQL cost is added up for the log. */
  graphql: { queries: number; cost: number; remaining: number | undefined };
  warn(message: string): void;
}

/** A GraphQL query of searches that failed as a whole (not a search GitHub rejected): its targets are listed instead. */
class QueryFailed extends Error {
  override name = 'QueryFailed';
}

export class SearchSource {
  constructor(private readonly options: SearchSourceOptions) {}

  /** Every target's selection: counted together when `live` and the target allows it, else listed one after another. */
  selectAll(targets: readonly Target[], now: Date, live: boolean, countable: (target: Target) => boolean): Promise<Selection>[] {
    const counted = live ? targets.filter(countable) : [];
    const resolved = new Map(targets.map((t) => [t, this.options.milestoneOf(t)]));
    const countings = Promise.allSettled(counted.map((t) => resolved.get(t)!)).then(async (outcomes) => {
      const plans = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [plan(counted[i]!, o.value, now)] : []));
      const failures = await this.run(plans.flatMap(searchesOf));
      return { plans: new Map(plans.map((p) => [p.target, p])), failures };
    });
    let previous: Promise<unknown> = Promise.resolve();
    return targets.map(async (target) => {
      const milestone = await resolved.get(target)!;
      const outcome = counted.includes(target) ? await countings : undefined;
      const failure = outcome?.failures.get(target);
      if (outcome && !(failure instanceof QueryFailed)) {
        if (failure) throw failure;
        return this.countedSelection(outcome.plans.get(target)!);
      }
      // Not counted, or the query failed as a whole: listed, exactly, over REST.
      if (failure) this.options.warn(`${failure.message}; ${target.name ?? 'a target'} is listed over REST search instead.`);
      const listing = previous.catch(() => undefined).then(() => this.listed(target, milestone, now));
      previous = listing;
      return listing;
    });
  }

  /** Runs searches, many to a GraphQL query, then their next pages while they go on; the targets whose searches GitHub rejected, with its words. */
  private async run(searches: Search[]): Promise<Map<Target, Error>> {
    const failures = new Map<Target, Error>();
    let next = searches;
    while (next.length) {
      const batches: Search[][] = [];
      for (let i = 0; i < next.length; i += SEARCHES_PER_QUERY) batches.push(next.slice(i, i + SEARCHES_PER_QUERY));
      await Promise.all(batches.map((batch) => this.query(batch, failures)));
      next = next.filter((s) => !failures.has(s.target) && s.toEnd && s.hasNextPage);
      for (const s of next) {
        if (s.items.length >= SEARCH_CAP) failures.set(s.target, tooMany(s.target, s.count ?? s.items.length));
      }
      next = next.filter((s) => !failures.has(s.target));
    }
    return failures;
  }

  private async query(batch: Search[], failures: Map<Target, Error>): Promise<void> {
    const declarations: string[] = [];
    const variables: Record<string, unknown> = {};
    const fields = batch.map((s, k) => {
      declarations.push(`$q${k}: String!`);
      variables[`q${k}`] = s.query;
      const args = [`type: ISSUE`, `query: $q${k}`];
      if (s.first === undefined) return `s${k}: search(${args.join(', ')}) { issueCount }`;
      args.push(`first: ${s.first}`);
      if (s.after) {
        declarations.push(`$a${k}: String`);
        variables[`a${k}`] = s.after;
        args.push(`after: $a${k}`);
      }
      return `s${k}: search(${args.join(', ')}) { issueCount pageInfo { hasNextPage endCursor } nodes { ${SEARCH_NODE_FIELDS} } }`;
    });
    const query = `query (${declarations.join(', ')}) {\n  ${fields.join('\n  ')}\n  rateLimit { cost remaining }\n}`;
    let data: Record<string, unknown>;
    try {
      // No retries here: REST search, with its own retries, answers when a query fails.
      data = await this.options.octokit.graphql<Record<string, unknown>>(query, { ...variables, request: { retries: 0 } });
    } catch (error) {
      // GitHub answers a search it rejects with an error on that search's alias, and the others' data.
      const { errors, data: partial } = error as { errors?: { message?: string; path?: (string | number)[] }[]; data?: Record<string, unknown> };
      const located = (errors ?? []).filter((e) => typeof e.path?.[0] === 'string' && /^s\d+$/.test(e.path[0]));
      if (!errors?.length || located.length < errors.length) {
        const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
        for (const s of batch) failures.set(s.target, new QueryFailed(`GitHub's GraphQL search failed (${reason})`));
        return;
      }
      for (const e of located) {
        const s = batch[Number(String(e.path![0]).slice(1))]!;
        failures.set(s.target, rejected(s.target, e.message ?? 'GitHub rejected the search'));
      }
      // A search field cannot be null, so its error may take the whole answer with it: ask again without the rejected ones.
      if (!partial) {
        const rest = batch.filter((s) => !failures.has(s.target));
        if (rest.length) await this.query(rest, failures);
        return;
      }
      data = partial;
    }
    const rate = RateLimit.safeParse(data['rateLimit']);
    this.options.graphql.queries += 1;
    if (rate.success) {
      this.options.graphql.cost += rate.data.cost;
      this.options.graphql.remaining = rate.data.remaining;
    }
    batch.forEach((s, k) => {
      if (failures.has(s.target)) return;
      const answer = SearchAnswer.safeParse(data[`s${k}`]);
      if (!answer.success) {
        failures.set(s.target, new QueryFailed(`GitHub's GraphQL search answered in an unexpected shape (${z.prettifyError(answer.error).replace(/\s+/g, ' ')})`));
        return;
      }
      try {
        // Issues' and pull requests' nodes only: the search asks for nothing else.
        s.items.push(...(answer.data.nodes ?? []).filter((n) => n !== null).map(itemOfNode));
      } catch (error) {
        failures.set(s.target, new QueryFailed(`GitHub's GraphQL search answered an item in an unexpected shape (${error instanceof z.ZodError ? z.prettifyError(error).replace(/\s+/g, ' ') : String(error)})`));
        return;
      }
      s.count = answer.data.issueCount;
      s.after = answer.data.pageInfo?.endCursor ?? null;
      s.hasNextPage = answer.data.pageInfo?.hasNextPage ?? false;
    });
  }

  private countedSelection(c: Counting): Selection {
    const { target } = c;
    const sum = (searches: Search[]): number => searches.reduce((n, s) => n + s.count!, 0);
    const byUrl = new Map<string, Item>();
    for (const item of [...c.updated, ...c.recentOpen].flatMap((s) => s.items)) byUrl.set(item.url, item);
    let measure: Measure;
    let openCount: number;
    if (target.goal !== undefined) {
      measure = goal(sum(c.doneSinceStart), target.goal);
      openCount = sum(c.open);
    } else {
      // Per part: selected, done, and closed (github: done is closed).
      const groups: PointGroup[] = c.parts.map((part, i) => {
        const selected = c.selected[i]!.count!;
        const done = c.done[i]!.count!;
        const closed = target.progress === 'github' ? done : c.closed[i]!.count!;
        // progress: completed leaves what was closed without being done out of the total.
        return { points: part.points ?? 1, total: selected - (closed - done), done };
      });
      measure = target.weights ? points(groups) : completion('github', { selected: sum2(groups, 'total'), closed: sum2(groups, 'done') });
      openCount = sum2(groups, 'total') - sum2(groups, 'done');
    }
    return this.selection(target, c.milestone, [...byUrl.values()], { ...measure, openCount });
  }

  /** Every item of a target, over REST search, exactly; the measure worked out from them. */
  private async listed(target: Target, milestone: Milestone | undefined, now: Date): Promise<Selection> {
    const byUrl = new Map<string, Item>();
    for (const part of partsOf(target, milestone, false)) {
      // Items created later did not exist yet at `now`.
      for (const item of await this.list(target, `${part.query} created:<=${searchInstant(now)}`)) byUrl.set(item.url, item);
    }
    const items = itemsAsOf([...byUrl.values()], target.include, now);
    return this.selection(target, milestone, items, measureOfItems(target, items, now, milestone));
  }

  private async list(target: Target, query: string): Promise<Item[]> {
    const items: Item[] = [];
    for (let page = 1; ; page++) {
      let answer: z.infer<typeof RestSearch>;
      try {
        const response = await this.options.octokit.request('GET /search/issues', { q: query, per_page: PAGE, page });
        answer = RestSearch.parse(response.data);
      } catch (error) {
        throw searchError(target, error);
      }
      if (answer.total_count > SEARCH_CAP) throw tooMany(target, answer.total_count);
      if (answer.incomplete_results) {
        throw new Error(`GitHub's search timed out and gave incomplete results for "${query}"; nothing was written for this target, so that no partial count is recorded. Run again, or narrow the query.`);
      }
      items.push(...answer.items);
      if (page * PAGE >= answer.total_count || answer.items.length === 0) return items;
    }
  }

  private selection(target: Target, milestone: Milestone | undefined, items: Item[], measured: Measured): Selection {
    const { serverUrl } = this.options;
    const base = baseQuery(target, milestone);
    const people = [
      (target.assignees ?? []).length ? `(${target.assignees!.map((a) => `assignee:${a}`).join(' OR ')})` : '',
      (target.authors ?? []).length ? `(${target.authors!.map((a) => `author:${a}`).join(' OR ')})` : '',
      target.include === 'issues' ? 'is:issue' : target.include === 'pulls' ? 'is:pr' : '',
    ];
    const listUrl = (extra: string): string => `${serverUrl}/search?type=issues&q=${encodeURIComponent([base, ...people, extra].filter(Boolean).join(' '))}`;
    return {
      items,
      measured,
      milestone,
      targetUrl: listUrl(''),
      closedListUrl: listUrl('is:closed sort:updated-desc'),
      openListUrl: listUrl('is:open sort:updated-desc'),
      displayName: cleanTitle(target.name ?? milestone?.title ?? (target.labels.length ? target.labels.join(', ') : base)),
    };
  }
}

const sum2 = (groups: PointGroup[], key: 'total' | 'done'): number => groups.reduce((n, g) => n + g[key], 0);

function tooMany(target: Target, count: number): Error {
  return new Error(
    `GitHub's search finds ${count.toLocaleString('en')} items for this target and gives at most ${SEARCH_CAP.toLocaleString('en')}; nothing was written, so that no partial count is recorded. Narrow ${target.query !== undefined ? 'the query' : 'the selection'} (a repository, a label, a date).`,
  );
}

/** A REST search failure: GitHub's words for a query it rejects (422), else the status. */
function searchError(target: Target, error: unknown): Error {
  const status = (error as { status?: number }).status;
  const data = (error as { response?: { data?: { message?: string; errors?: { message?: string }[] } } }).response?.data;
  if (status === 422) {
    const words = data?.errors?.map((e) => e.message).filter(Boolean).join('; ') || data?.message || 'Validation Failed';
    return rejected(target, words);
  }
  if (error instanceof z.ZodError) return new Error(`GitHub's search answered in an unexpected shape: ${z.prettifyError(error)}`);
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`GitHub's search failed${status ? ` (HTTP ${status})` : ''}: ${message}`);
}

/** The searches of a counted target: counts per part, and what the record lists. */
function plan(target: Target, milestone: Milestone | undefined, now: Date): Counting {
  const search = (query: string, first?: number, toEnd = false): Search => ({ query, first, toEnd, target, items: [] });
  const byPoints = target.goal === undefined && target.weights !== undefined;
  const parts = partsOf(target, milestone, byPoints);
  const since = windowStart(target.window, now, target.timezone);
  const listing = partsOf(target, milestone, false);
  const c: Counting = { target, milestone, since, selected: [], done: [], closed: [], doneSinceStart: [], open: [], parts, updated: [], recentOpen: [] };
  if (target.goal !== undefined) {
    const start = scheduleOf(target, milestone, undefined, now).start!;
    for (const part of parts) {
      c.doneSinceStart.push(search(`${part.query} ${doneQualifier(target, part.kind)} closed:>=${searchInstant(start)}`));
      c.open.push(search(`${part.query} is:open`));
    }
  } else {
    for (const part of parts) {
      c.selected.push(search(part.query));
      c.done.push(search(`${part.query} ${doneQualifier(target, part.kind)}`));
      if (target.progress === 'completed') c.closed.push(search(`${part.query} is:closed`));
    }
  }
  for (const part of listing) {
    // Every item created, closed or merged in the window was updated in it.
    c.updated.push(search(`${part.query} updated:>=${searchInstant(since)} sort:updated-desc`, PAGE, true));
    if (target.openItems > 0) c.recentOpen.push(search(`${part.query} is:open sort:updated-desc`, target.openItems));
  }
  return c;
}

const searchesOf = (c: Counting): Search[] => [...c.selected, ...c.done, ...c.closed, ...c.doneSinceStart, ...c.open, ...c.updated, ...c.recentOpen];

/** The measure of a listed target, from every one of its items as they stood at `now`. */
export function measureOfItems(target: Target, items: readonly Item[], now: Date, milestone?: Milestone): Measured {
  const tally = tallyOf(items, now);
  const openCount = tally.selected - tally.closed;
  if (target.goal !== undefined) {
    const start = scheduleOf(target, milestone, undefined, now).start!.getTime();
    const closedSince = items.filter((item) => {
      const reason = closeReasonAt(item, now);
      if (!reason || Date.parse(item.closedAt!) < start) return false;
      return target.progress === 'github' || !isDropped(reason);
    }).length;
    return { ...goal(closedSince, target.goal), openCount };
  }
  if (target.weights) {
    const weights = target.weights;
    const groups = items.flatMap((item): PointGroup[] => {
      const reason = closeReasonAt(item, now);
      if (target.progress === 'completed' && reason && isDropped(reason)) return [];
      return [{ points: pointsOfLabels(item.labels, weights, target.defaultWeight ?? 1), total: 1, done: reason ? 1 : 0 }];
    });
    return { ...points(groups), openCount };
  }
  return { ...completion(target.progress, tally), openCount };
}
