import { z } from 'zod';
import type { Target } from '../config/schema.js';
import { closest } from '../config/closest.js';
import { cleanTitle } from '../record/text.js';
import type { Octokit } from './octokit.js';
import { GitHubLabel, GitHubMilestone, Item, type Milestone } from './items.js';

// Collection of the issues and pull requests each target selects. Each repository's
// milestones and labels are read once, and each list (a milestone's items, a label's items)
// once, however many targets share it. Every list is paginated to its end.

export interface Selection {
  /** Every item the target selects (issues and pull requests, any state). */
  items: Item[];
  milestone: Milestone | undefined;
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

/** GitHub's search syntax quotes a value that has spaces or punctuation. */
const quote = (value: string): string => `"${value.replace(/"/g, '')}"`;

export class Collector {
  private readonly repositories = new Map<string, Promise<{ milestones: Milestone[]; labels: string[] }>>();
  private readonly lists = new Map<string, Promise<Item[]>>();

  constructor(
    private readonly octokit: Octokit,
    private readonly serverUrl: string,
  ) {}

  /** The items one target selects, with the links the record needs. */
  async select(target: Target): Promise<Selection> {
    const repo = await this.repository(target);
    const milestone = target.milestone === undefined ? undefined : this.findMilestone(target, repo.milestones);
    this.checkLabels(target, repo.labels);

    let items: Item[];
    if (milestone) {
      const inMilestone = await this.list(target.repository, { milestone: String(milestone.number) });
      items = target.labels.length ? inMilestone.filter((i) => i.labels.some((l) => target.labels.includes(l))) : inMilestone;
    } else {
      // GitHub's `labels` filter asks for all of them; the contract asks for any of them.
      const lists = await Promise.all(target.labels.map((label) => this.list(target.repository, { labels: label })));
      const byNumber = new Map<number, Item>();
      for (const item of lists.flat()) byNumber.set(item.number, item);
      items = [...byNumber.values()];
    }

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
      milestone,
      targetUrl,
      closedListUrl: listUrl('is:closed sort:updated-desc'),
      openListUrl: listUrl('is:open sort:updated-desc'),
      // A milestone title is untrusted text like an item title: it reaches logs, the summary and the record.
      displayName: cleanTitle(target.name ?? milestone?.title ?? target.labels.join(', ')),
    };
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
        this.octokit.paginate('GET /repos/{owner}/{repo}/milestones', { owner, repo, state: 'all', per_page: 100 }),
        this.octokit.paginate('GET /repos/{owner}/{repo}/labels', { owner, repo, per_page: 100 }),
      ]);
      return {
        milestones: z.array(GitHubMilestone).parse(milestones),
        labels: z.array(GitHubLabel).parse(labels).map((l) => l.name),
      };
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
    const near = typeof wanted === 'number' ? [] : closest(wanted, titles);
    const hint = near.length
      ? `; did you mean ${near.map((t) => `"${t}"`).join(', ')}?`
      : titles.length
        ? `; it has ${titles.slice(0, 5).map((t) => `"${t}"`).join(', ')}${titles.length > 5 ? ', …' : ''}`
        : '; it has no milestones';
    throw new SelectionError(`milestone ${typeof wanted === 'number' ? `#${wanted}` : `"${wanted}"`} does not exist in ${target.repository}${hint}`, ['targets', target.index, 'milestone']);
  }

  private checkLabels(target: Target, labels: string[]): void {
    const problems: string[] = [];
    for (const label of target.labels) {
      if (labels.includes(label)) continue;
      const near = closest(label, labels);
      problems.push(`label "${label}" does not exist in ${target.repository}${near.length ? `; did you mean ${near.map((l) => `"${l}"`).join(', ')}?` : ''}`);
    }
    if (problems.length) throw new SelectionError(problems.join('; '), ['targets', target.index, 'labels']);
  }

  private list(repository: string, filter: { milestone: string } | { labels: string }): Promise<Item[]> {
    const key = `${repository} ${JSON.stringify(filter)}`;
    let found = this.lists.get(key);
    if (!found) {
      const [owner, repo] = repository.split('/') as [string, string];
      found = this.octokit
        // Each page is read into items as it arrives, so that GitHub's large raw objects (every
        // issue carries its milestone, labels and user in full) are dropped page by page.
        .paginate('GET /repos/{owner}/{repo}/issues', { owner, repo, state: 'all', per_page: 100, ...filter }, (response) =>
          Issues.parse(response.data),
        )
        .catch((error: unknown) => {
          throw explainGitHubError(error, repository);
        });
      this.lists.set(key, found);
    }
    return found;
  }
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
  if (status === 403) {
    return new Error(`GitHub refused access to ${repository} (HTTP 403: ${message}); grant the workflow issues: read and pull-requests: read, or pass a token that has them.`);
  }
  if (error instanceof z.ZodError) return new Error(`GitHub answered for ${repository} in an unexpected shape: ${z.prettifyError(error)}`);
  return new Error(`GitHub request for ${repository} failed${status ? ` (HTTP ${status})` : ''}: ${message}`);
}
