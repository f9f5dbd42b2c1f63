import { z } from 'zod';

// The fields of GitHub's REST issue object (GET /repos/{owner}/{repo}/issues) that the
// action relies on. The issues list returns pull requests too; those carry `pull_request`.
export const GitHubIssue = z.object({
  number: z.number().int().positive(),
  title: z.string().nullable().catch(''),
  html_url: z.string(),
  state: z.enum(['open', 'closed']),
  state_reason: z.string().nullish(),
  created_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
  user: z.object({ login: z.string() }).nullable(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string().nullish() })])).default([]),
  milestone: z.object({ number: z.number() }).nullable().optional(),
  pull_request: z.object({ merged_at: z.string().nullish() }).optional(),
});

export type ItemKind = 'issue' | 'pull';

/** Why an item was closed, in the words the record and the percent need. */
export type CloseReason = 'completed' | 'not_planned' | 'duplicate' | 'merged' | 'unmerged';

/** Why a closed issue was closed, from GitHub's `state_reason`: issues closed before GitHub kept reasons have none, and count as completed. */
export function issueCloseReason(stateReason: string | null | undefined): CloseReason {
  return stateReason === 'not_planned' || stateReason === 'duplicate' ? stateReason : 'completed';
}

// One issue or pull request as the rest of the action sees it.
export const Item = GitHubIssue.transform((raw) => {
  const kind: ItemKind = raw.pull_request ? 'pull' : 'issue';
  const mergedAt = raw.pull_request?.merged_at ?? null;
  let closeReason: CloseReason | null = null;
  if (raw.state === 'closed') {
    closeReason = kind === 'pull' ? (mergedAt ? 'merged' : 'unmerged') : issueCloseReason(raw.state_reason);
  }
  return {
    number: raw.number,
    title: raw.title ?? '',
    url: raw.html_url,
    kind,
    state: raw.state,
    closeReason,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    closedAt: raw.closed_at,
    mergedAt,
    author: raw.user?.login ?? null,
    labels: raw.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
    milestone: raw.milestone?.number ?? null,
  };
});
export type Item = z.output<typeof Item> & {
  /**
   * Project items only: how the item is named instead of `#number` (`owner/name#number` for
   * another repository's item), or null for a draft issue, which is listed by its title
   * without a link.
   */
  reference?: string | null;
  /** Project items with estimate_field only: the item's points. */
  points?: number;
};

export const GitHubMilestone = z.object({
  number: z.number().int(),
  title: z.string(),
  html_url: z.string(),
  state: z.enum(['open', 'closed']),
  created_at: z.string(),
  due_on: z.string().nullable(),
  open_issues: z.number().int(),
  closed_issues: z.number().int(),
});
export type Milestone = z.infer<typeof GitHubMilestone>;

export const GitHubLabel = z.object({ name: z.string() });
