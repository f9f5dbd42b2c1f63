import { z } from 'zod';
import type { Target } from '../config/schema.js';
import { closest } from '../config/closest.js';
import { isDropped, windowStart, type Measured, type Tally } from '../progress.js';
import { cleanTitle } from '../record/text.js';
import { buildQuery, PAGE_SIZE, readAnswer, type ConnectionAnswer, type ConnectionRequest, type IssueReason, type ItemConnection } from './graphql.js';
import { MAX_RATE_LIMIT_WAIT_S, type Octokit } from './octokit.js';
import { GitHubLabel, GitHubMilestone, Item, type Milestone } from './items.js';
import { IncompleteAnswer } from './fetch.js';
import { ListingError, MAX_PAGES, readPages } from './pages.js';

// Collection of the issues and pull requests each target selects. Each repository's
// milestones and labels are read once (REST). Then either
// - counted (GraphQL): GitHub counts the selected, closed, merged and closed-unmerged items;
//   with `progress: completed` the closed issues' reasons are read too (GitHub cannot count
//   by reason), 100 to a page from both ends at once. Of the items only those the record
//   lists are read: those updated in the window and the most recently updated open ones.
//   Every target of a repository is asked in the same few queries; or
// - listed (REST): each list (a milestone's items, a label's items) is read once, however
//   many targets share it, and paginated to its end.
// Counting answers only for the present (GitHub's counts are today's), so a run with as-of,
// a burn-up chart (which needs every item's history) or a `since-last-record` window (which
// starts where Feishu says, known only later) lists. When a query fails the targets it was
// for are listed instead.

export interface Selection {
  /**
   * Every item the target selects (issues and pull requests, any state); or, when `counts`
   * is set, the items the record lists: every one updated in the window and at least the
   * `open_items` most recently updated open ones, without their labels.
   */
  items: Item[];
  /** What GitHub counted, when it did. */
  counts?: Tally;
  /** How a source other than milestone/labels measured the target (src/measures.ts). */
  measured?: Measured;
  milestone: Milestone | undefined;
  /** Dates the source gives (a project's iteration) where the target sets no `start` or `due`. */
  schedule?: { start: Date; due: Date };
  /** The target's page on GitHub, and the lists behind "…and K more". */
  targetUrl: string;
  closedListUrl: string;
  openListUrl: string;
  displayName: string;
}

/** A problem with one target that the user fixes in the mapping file or the token. */
export class SelectionError extends Error {
  override name = 'SelectionError';
  constructor(
    message: string,
    /** The mapping-file path of the offending key, e.g. ['targets', 1, 'milestone']. */
    readonly path: (string | number)[],
  ) {
    super(message);
  }
}

const Issues = z.array(Item);

/** At most this many targets (or follow-up pages) in one GraphQL query, to keep its cost and node count low. */
const TARGETS_PER_QUERY = 25;
const PAGES_PER_QUERY = 25;

/** Whether a target can be counted with GraphQL rather than listed (see above). */
export function isCountable(target: Target): boolean {
  return !target.chart && target.window !== 'since-last-record';
}

/** One connection of a counted target, with what has been read of it so far. */
interface Connection {
  request: ConnectionRequest;
  answer?: ConnectionAnswer;
  items: Item[];
  reasons: IssueReason[];
  /**
   * How far to read: the first page alone; while the last page still reaches this instant
   * (ms); or until this list, read from one end, meets the same list read from the other.
   */
  reach: 'first page' | number | { otherEnd: Connection };
  /** The cursors already asked after: one given again would read the same pages forever. */
  cursors: Set<string>;
}

interface Counting {
  target: Target;
  milestone: Milestone | undefined;
  /** Counted: every item, the closed ones, and (progress: completed) the pull requests closed unmerged. */
  selected: Connection[];
  closed: Connection[];
  unmerged: Connection[];
  /** Read: the items the record lists and (progress: completed) the closed issues' reasons. */
  pages: Connection[];
}

/** "; did you mean …?" with the closest names, or else the first few the repository has. */
function suggestion(near: string[], all: string[], kind: 'milestones' | 'labels'): string {
  const quoted = (names: string[]): string => names.map((n) => `"${cleanTitle(n)}"`).join(', ');
  if (near.length) return `; did you mean ${quoted(near)}?`;
  if (!all.length) return `; it has no ${kind}`;
  return `; it has ${quoted(all.slice(0, 5))}${all.length > 5 ? ', …' : ''}`;
}

/** GitHub's search syntax quotes a value that has spaces or punctuation. */
const quote = (value: string): string => `"${value.replace(/"/g, '')}"`;

export class Collector {
  private readonly repositories = new Map<string, Promise<{ milestones: Milestone[]; labels: string[] }>>();
  private readonly lists = new Map<string, Promise<Item[]>>();

  /** What the run's GraphQL queries cost, for the log. */
  readonly graphql = { queries: 0, cost: 0, remaining: undefined as number | undefined };

  constructor(
    readonly octokit: Octokit,
    readonly serverUrl: string,
    readonly warn: (message: string) => void,
  ) {}

  /**
   * Every target's selection, started now. `live` is true when the run is about the present
   * (no as-of): then countable targets are counted, per repository, together.
   */
  selectAll(targets: readonly Target[], now: Date, live: boolean): Promise<Selection>[] {
    const counted = live ? targets.filter(isCountable) : [];
    const byRepository = new Map<string, Target[]>();
    for (const target of counted) byRepository.set(target.repository, [...(byRepository.get(target.repository) ?? []), target]);
    const selections = new Map<Target, Promise<Selection>>();
    for (const [repository, group] of byRepository) {
      this.countRepository(repository, group, now).forEach((selection, i) => selections.set(group[i]!, selection));
    }
    // Targets that must be listed item by item go one after another: their lists are most
    // of a run's memory (10,000 items: 148 MB peak this way, 180 MB all at once), worth more
    // than the fraction of a second that parallel listing saves.
    let previous: Promise<unknown> = Promise.resolve();
    return targets.map((target) => {
      const found = selections.get(target);
      if (found) return found;
      const next = previous.catch(() => undefined).then(() => this.select(target));
      previous = next;
      return next;
    });
  }

  /** The items one target selects, with the links the record needs. */
  async select(target: Target): Promise<Selection> {
    const milestone = await this.resolve(target);
    let items: Item[];
    if (milestone) {
      const inMilestone = await this.list(target.repository, { milestone: String(milestone.number) });
      await this.checkMilestoneTotal(target.repository, milestone, inMilestone.length);
      items = target.labels.length ? inMilestone.filter((i) => i.labels.some((l) => target.labels.includes(l))) : inMilestone;
    } else {
      // GitHub's `labels` filter asks for all of them; the contract asks for any of them.
      const lists = await Promise.all(target.labels.map((label) => this.list(target.repository, { labels: label })));
      const byNumber = new Map<number, Item>();
      for (const item of lists.flat()) byNumber.set(item.number, item);
      items = [...byNumber.values()];
    }
    return this.selection(target, milestone, items);
  }

  /**
   * A milestone's list must hold what the milestone counts (its open and closed issues and
   * pull requests); if not, the milestone is read again once, in case it changed between
   * the two reads, before the list is refused as incomplete.
   */
  private async checkMilestoneTotal(repository: string, milestone: Milestone, listed: number): Promise<void> {
    if (listed === milestone.open_issues + milestone.closed_issues) return;
    const [owner, repo] = repository.split('/') as [string, string];
    let again: Milestone;
    try {
      const answer = await this.octokit.request('GET /repos/{owner}/{repo}/milestones/{milestone_number}', { owner, repo, milestone_number: milestone.number });
      again = GitHubMilestone.parse(answer.data);
    } catch (error) {
      throw explainGitHubError(error, repository);
    }
    const total = again.open_issues + again.closed_issues;
    if (listed === total) return;
    throw new ListingError(
      `GitHub listed ${listed} issues and pull requests in milestone "${cleanTitle(milestone.title)}" of ${repository}, but the milestone counts ${total} (${again.open_issues} open, ${again.closed_issues} closed); the list is incomplete. The number was not written.`,
    );
  }

  /** The target's milestone (undefined when it has none), after checking it and its labels exist. */
  async resolve(target: Target): Promise<Milestone | undefined> {
    const repo = await this.repository(target);
    const milestone = target.milestone === undefined ? undefined : this.findMilestone(target, repo.milestones);
    this.checkLabels(target, repo.labels);
    return milestone;
  }

  private selection(target: Target, milestone: Milestone | undefined, items: Item[], counts?: Selection['counts']): Selection {
    const query = [
      milestone ? `milestone:${quote(milestone.title)}` : '',
      target.labels.length ? `label:${target.labels.map(quote).join(',')}` : '',
      target.include === 'issues' ? 'is:issue' : target.include === 'pulls' ? 'is:pr' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const listUrl = (extra: string): string =>
      `${this.serverUrl}/${target.repository}/issues?q=${encodeURIComponent(`${query} ${extra}`.trim())}`;
    const targetUrl = milestone && !target.labels.length && target.include === 'all' ? milestone.html_url : listUrl('');

    return {
      items,
      ...(counts && { counts }),
      milestone,
      targetUrl,
      closedListUrl: listUrl('is:closed sort:updated-desc'),
      openListUrl: listUrl('is:open sort:updated-desc'),
      // A milestone title is untrusted text like an item title: it reaches logs, the summary and the record.
      displayName: cleanTitle(target.name ?? milestone?.title ?? target.labels.join(', ')),
    };
  }

  /** The selections of one repository's countable targets: counted together, or listed when that fails. */
  private countRepository(repository: string, targets: Target[], now: Date): Promise<Selection>[] {
    // A target whose milestone or labels do not exist fails alone, as it does when listed.
    const resolved = targets.map((target) => this.resolve(target));
    const counted = Promise.allSettled(resolved).then(async (outcomes) => {
      try {
        const countings = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [plan(targets[i]!, outcome.value, now)] : []));
        await this.count(repository, countings);
        return new Map(countings.map((counting) => [counting.target, counting]));
      } catch (error) {
        this.warn(`GitHub's GraphQL API failed for ${repository} (${reasonOf(error)}); its targets are listed over REST instead.`);
        return undefined;
      }
    });
    return targets.map(async (target, i) => {
      const milestone = await resolved[i]!;
      const counting = (await counted)?.get(target);
      if (!counting) return this.select(target);
      const items = new Map<number, Item>();
      for (const item of counting.pages.flatMap((c) => c.items)) items.set(item.number, item);
      const sum = (connections: Connection[]): number => connections.reduce((n, c) => n + c.answer!.totalCount, 0);
      const tally: Tally = { selected: sum(counting.selected), closed: sum(counting.closed) };
      if (target.progress === 'completed') {
        // Where the two ends of a list met, their last pages overlap.
        const reasons = new Map(counting.pages.flatMap((c) => c.reasons).map((r) => [r.number, r.closeReason]));
        tally.dropped = sum(counting.unmerged) + [...reasons.values()].filter(isDropped).length;
      }
      return this.selection(target, milestone, [...items.values()], tally);
    });
  }

  /** Every counting's counts and first pages, then the next pages of whichever lists go on. */
  private async count(repository: string, countings: Counting[]): Promise<void> {
    const batches = chunks(countings, TARGETS_PER_QUERY).map((chunk) => chunk.flatMap((c) => [...c.selected, ...c.closed, ...c.unmerged, ...c.pages]));
    await Promise.all(batches.map((connections) => this.query(repository, connections)));
    let next = countings.flatMap((c) => c.pages).filter(goesOn);
    while (next.length) {
      await Promise.all(chunks(next, PAGES_PER_QUERY).map((connections) => this.query(repository, connections)));
      next = next.filter(goesOn);
    }
    for (const counting of countings) counting.pages.forEach(checkTotal);
  }

  /** One query for these connections: the first page of each, or the page after the last one read. */
  private async query(repository: string, connections: Connection[]): Promise<void> {
    const [owner, name] = repository.split('/') as [string, string];
    const requests = connections.map((c) => {
      if (!c.answer) return c.request;
      c.cursors.add(c.answer.endCursor!);
      return { ...c.request, after: c.answer.endCursor! };
    });
    const { query, variables } = buildQuery(owner, name, requests);
    // No retries here: the REST path, with its own retries, answers when a query fails.
    const data: unknown = await this.octokit.graphql(query, { ...variables, request: { retries: 0 } });
    const answer = readAnswer(data, requests);
    this.graphql.queries += 1;
    this.graphql.cost += answer.cost;
    this.graphql.remaining = answer.remaining;
    connections.forEach((c, k) => {
      c.answer = answer.connections[k]!;
      c.items.push(...c.answer.items);
      c.reasons.push(...c.answer.reasons);
    });
  }

  private repository(target: Target): Promise<{ milestones: Milestone[]; labels: string[] }> {
    let found = this.repositories.get(target.repository);
    if (!found) {
      found = this.readRepository(target.repository);
      this.repositories.set(target.repository, found);
    }
    return found;
  }

  private async readRepository(repository: string): Promise<{ milestones: Milestone[]; labels: string[] }> {
    const [owner, repo] = repository.split('/') as [string, string];
    try {
      const [milestones, labels] = await Promise.all([
        this.pages(`GitHub's list of the milestones of ${repository}`, 'GET /repos/{owner}/{repo}/milestones', { owner, repo, state: 'all', per_page: 100 }, (data) =>
          z.array(GitHubMilestone).parse(data),
        ),
        this.pages(`GitHub's list of the labels of ${repository}`, 'GET /repos/{owner}/{repo}/labels', { owner, repo, per_page: 100 }, (data) =>
          z.array(GitHubLabel).parse(data).map((l) => l.name),
        ),
      ]);
      return { milestones, labels };
    } catch (error) {
      throw explainGitHubError(error, repository);
    }
  }

  private findMilestone(target: Target, milestones: Milestone[]): Milestone {
    const wanted = target.milestone!;
    const found =
      typeof wanted === 'number'
        ? milestones.find((m) => m.number === wanted)
        : (milestones.find((m) => m.title === wanted) ?? milestones.find((m) => m.title.toLowerCase() === wanted.toLowerCase()));
    if (found) return found;
    const titles = milestones.map((m) => m.title);
    const hint = suggestion(typeof wanted === 'number' ? [] : closest(wanted, titles), titles, 'milestones');
    throw new SelectionError(`milestone ${typeof wanted === 'number' ? `#${wanted}` : `"${wanted}"`} does not exist in ${target.repository}${hint}`, ['targets', target.index, 'milestone']);
  }

  private checkLabels(target: Target, labels: string[]): void {
    const problems: string[] = [];
    for (const label of target.labels) {
      if (labels.includes(label)) continue;
      problems.push(`label "${label}" does not exist in ${target.repository}${suggestion(closest(label, labels), labels, 'labels')}`);
    }
    if (problems.length) throw new SelectionError(problems.join('; '), ['targets', target.index, 'labels']);
  }

  private list(repository: string, filter: { milestone: string } | { labels: string }): Promise<Item[]> {
    const key = `${repository} ${JSON.stringify(filter)}`;
    let found = this.lists.get(key);
    if (!found) {
      const [owner, repo] = repository.split('/') as [string, string];
      const which = 'milestone' in filter ? `in milestone #${filter.milestone}` : `labelled "${filter.labels}"`;
      found = this
        // Each page is read into items as it arrives, so that GitHub's large raw objects (every
        // issue carries its milestone, labels and user in full) are dropped page by page.
        .pages(`GitHub's list of the issues and pull requests of ${repository} ${which}`, 'GET /repos/{owner}/{repo}/issues', { owner, repo, state: 'all', per_page: 100, ...filter }, (data) =>
          Issues.parse(data),
        )
        .catch((error: unknown) => {
          throw explainGitHubError(error, repository);
        });
      this.lists.set(key, found);
    }
    return found;
  }

  /** Every page of a REST list, read into items page by page; a list that does not end is an error. */
  private pages<T>(list: string, route: string, parameters: Record<string, unknown>, read: (data: unknown[]) => T[]): Promise<T[]> {
    const first = this.octokit.request.endpoint(route, parameters).url;
    return readPages(this.octokit.paginate.iterator(route, parameters), first, list, read);
  }
}

/** The connections that give a counted target's record. */
function plan(target: Target, milestone: Milestone | undefined, now: Date): Counting {
  const kinds: ItemConnection[] = target.include === 'issues' ? ['issues'] : target.include === 'pulls' ? ['pullRequests'] : ['issues', 'pullRequests'];
  const completed = target.progress === 'completed';
  const since = windowStart(target.window, now, target.timezone);
  const scope = { milestone: milestone?.number, labels: target.labels };
  const connection = (request: Omit<ConnectionRequest, keyof typeof scope>, reach: Connection['reach'] = 'first page'): Connection => ({
    request: { ...scope, ...request },
    items: [],
    reasons: [],
    reach,
    cursors: new Set(),
  });
  // Both ends of the closed issues at once: half as many rounds of queries.
  const oldest = connection({ connection: 'issues', states: ['CLOSED'], first: PAGE_SIZE, reasons: 'ASC' });
  const newest = connection({ connection: 'issues', states: ['CLOSED'], first: PAGE_SIZE, reasons: 'DESC' });
  oldest.reach = { otherEnd: newest };
  newest.reach = { otherEnd: oldest };
  return {
    target,
    milestone,
    selected: kinds.map((kind) => connection({ connection: kind })),
    closed: kinds.map((kind) => connection({ connection: kind, states: kind === 'issues' ? ['CLOSED'] : ['CLOSED', 'MERGED'] })),
    unmerged: completed && kinds.includes('pullRequests') ? [connection({ connection: 'pullRequests', states: ['CLOSED'] })] : [],
    pages: kinds.flatMap((kind) => [
      // Every item created, closed or merged in the window was updated in it. Issues can be
      // asked for by update time; pull requests are read newest update first until one is older.
      kind === 'issues'
        ? connection({ connection: kind, since: since.toISOString(), first: PAGE_SIZE }, since.getTime())
        : connection({ connection: kind, first: PAGE_SIZE }, since.getTime()),
      // The open items the record lists: the first page is the most recently updated.
      ...(target.openItems > 0 ? [connection({ connection: kind, states: ['OPEN'], first: target.openItems })] : []),
      ...(completed && kind === 'issues' ? [oldest, newest] : []),
    ]),
  };
}

/** Whether a list must be read further: it has more, and its reach goes on past its last page. */
function goesOn(c: Connection): boolean {
  const answer = c.answer!;
  if (!answer.hasNextPage || c.reach === 'first page') return false;
  if (answer.endCursor === null) throw new Error('a list has more pages but no cursor to them');
  if (c.cursors.has(answer.endCursor)) throw new Error('a list has more pages but gave a cursor to them it had given before');
  if (c.cursors.size + 1 >= MAX_PAGES) throw new Error(`a list goes on past ${MAX_PAGES} pages`);
  if (typeof c.reach === 'number') {
    const last = c.items.at(-1);
    return last !== undefined && Date.parse(last.updatedAt) >= c.reach;
  }
  // The ends have met once they have read an issue in common: together they have read them all.
  const other = new Set(c.reach.otherEnd.reasons.map((r) => r.number));
  return !c.reasons.some((r) => other.has(r.number));
}

/**
 * A list read to its end holds what GitHub counts of it, each item once; so do the two ends
 * of a list once they have met. Otherwise the list changed while it was read, or a page was
 * lost: its numbers cannot be trusted.
 */
function checkTotal(c: Connection): void {
  const answer = c.answer!;
  const numbersOf = (connection: Connection): number[] => (connection.request.reasons ? connection.reasons.map((r) => r.number) : connection.items.map((i) => i.number));
  const read = numbersOf(c);
  if (!answer.hasNextPage && (read.length !== answer.totalCount || new Set(read).size !== answer.totalCount)) {
    throw new Error(`a list read to its end held ${read.length} items (${new Set(read).size} different), where GitHub counts ${answer.totalCount}`);
  }
  if (typeof c.reach === 'object') {
    const other = c.reach.otherEnd;
    const together = new Set([...read, ...numbersOf(other)]).size;
    if (together !== answer.totalCount || other.answer!.totalCount !== answer.totalCount) {
      throw new Error(`a list read from both ends held ${together} items, where GitHub counts ${answer.totalCount}`);
    }
  }
}

function chunks<T>(all: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}

/** Why a GraphQL query failed, in one line. */
function reasonOf(error: unknown): string {
  if (error instanceof z.ZodError) return `an answer in an unexpected shape: ${z.prettifyError(error)}`.replace(/\s+/g, ' ');
  const status = (error as { status?: number }).status;
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return status ? `HTTP ${status}: ${message}` : message;
}

/**
 * A rate limit the run did not wait out (octokit.ts waits up to MAX_RATE_LIMIT_WAIT_S, three
 * times), told as such and not as a missing permission; undefined for any other error.
 */
export function rateLimitError(error: unknown, subject: string): Error | undefined {
  const status = (error as { status?: number }).status;
  const message = error instanceof Error ? error.message : String(error);
  const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers;
  if ((status !== 403 && status !== 429) || (headers?.['x-ratelimit-remaining'] !== '0' && !/\brate limit\b/i.test(message))) return undefined;
  // The reset time is that of the spent hourly limit; a secondary limit says how long in retry-after.
  const reset = headers?.['x-ratelimit-remaining'] === '0' ? Number(headers['x-ratelimit-reset']) : 0;
  const retryAfter = Number(headers?.['retry-after']);
  const when = reset > 0 ? ` after ${new Date(reset * 1000).toISOString()}` : retryAfter > 0 ? ` after the ${retryAfter} s GitHub asked for` : ' later';
  return new Error(`GitHub's rate limit stopped the reading of ${subject} (HTTP ${status}: ${message}); the run waits at most ${MAX_RATE_LIMIT_WAIT_S / 60} minutes for it. Run again${when}.`);
}

/** Turns an octokit failure into words that say what to do. */
export function explainGitHubError(error: unknown, repository: string): Error {
  const status = (error as { status?: number }).status;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 404) {
    return new Error(
      `GitHub repository ${repository} was not found, or the token cannot read it; for another repository, pass a token with access to it as github-token (HTTP 404).`,
    );
  }
  if (status === 401) return new Error(`GitHub rejected the token (HTTP 401: ${message}); check the github-token input.`);
  const limited = rateLimitError(error, repository);
  if (limited) return limited;
  if (status === 403) {
    return new Error(`GitHub refused access to ${repository} (HTTP 403: ${message}); grant the workflow issues: read and pull-requests: read, or pass a token that has them.`);
  }
  if (error instanceof z.ZodError) return new Error(`GitHub answered for ${repository} in an unexpected shape: ${z.prettifyError(error)}`);
  if (error instanceof ListingError) return error;
  // @octokit/request wraps what its fetch throws; the retries have been made by then.
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof IncompleteAnswer) return new Error(`${cause.message}, each time it was asked. The number was not written.`);
  return new Error(`GitHub request for ${repository} failed${status ? ` (HTTP ${status})` : ''}: ${message}`);
}
