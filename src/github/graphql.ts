import { z } from 'zod';
import { issueCloseReason, Item, type CloseReason } from './items.js';

// The GraphQL queries of the counted path: many connections of one repository, each under
// its own alias, in one query. A connection is either counted (totalCount only) or read a
// page at a time: items, newest update first, or issues' numbers and close reasons. The
// answer is checked with zod and read into the same `Item` and `CloseReason` the REST path
// makes, through the REST shape, so that both paths agree.

export type ItemConnection = 'issues' | 'pullRequests';

export interface ConnectionRequest {
  /** The milestone whose connection this is; the repository's when undefined. */
  milestone: number | undefined;
  connection: ItemConnection;
  /** Any of these labels (GraphQL's `labels` argument); none: every item. */
  labels: string[];
  /** IssueState or PullRequestState values; none: every state. */
  states?: string[];
  /** Issues updated at or after this instant (ISO-8601). */
  since?: string;
  /** A page of this many nodes; undefined: the count alone. */
  first?: number;
  /**
   * Instead of items (most recently updated first): issues' numbers and close reasons, in
   * order of creation this way, an order that editing issues while they are read does not change.
   */
  reasons?: 'ASC' | 'DESC';
  after?: string;
}

export interface ConnectionAnswer {
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
  items: Item[];
  reasons: IssueReason[];
}

export interface IssueReason {
  number: number;
  closeReason: CloseReason;
}

export const PAGE_SIZE = 100;

const AUTHOR = 'author { __typename login }';
// Without enableDuplicate, GitHub answers NOT_PLANNED for an issue closed as a duplicate.
const STATE_REASON = 'stateReason(enableDuplicate: true)';
const NODE_FIELDS: Record<ItemConnection, string> = {
  issues: `number title url state ${STATE_REASON} createdAt updatedAt closedAt ${AUTHOR} milestone { number }`,
  pullRequests: `number title url state mergedAt createdAt updatedAt closedAt ${AUTHOR} milestone { number }`,
};

/** The nodes of an issue search: issues and pull requests, in the fields the record needs. */
// The two `state` fields differ in type, so in one selection the pull request's takes an alias.
export const SEARCH_NODE_FIELDS = `__typename ... on Issue { ${NODE_FIELDS.issues} } ... on PullRequest { ${NODE_FIELDS.pullRequests.replace(/\bstate\b/, 'pullState: state')} }`;

/** One query asking every connection, aliased c0, c1, …; milestones aliased m<number>. */
export function buildQuery(owner: string, name: string, requests: readonly ConnectionRequest[]): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = { owner, name };
  const declarations = ['$owner: String!', '$name: String!'];
  const byScope = new Map<number | undefined, string[]>();
  requests.forEach((request, k) => {
    const args: string[] = [];
    if (request.labels.length) {
      declarations.push(`$labels${k}: [String!]`);
      variables[`labels${k}`] = request.labels;
      args.push(`labels: $labels${k}`);
    }
    if (request.states) args.push(`states: [${request.states.join(', ')}]`);
    if (request.since !== undefined) {
      declarations.push(`$since${k}: DateTime`);
      variables[`since${k}`] = request.since;
      args.push(`filterBy: { since: $since${k} }`);
    }
    let selection = 'totalCount';
    if (request.first !== undefined) {
      const order = request.reasons ? `CREATED_AT, direction: ${request.reasons}` : 'UPDATED_AT, direction: DESC';
      args.push(`first: ${request.first}`, `orderBy: { field: ${order} }`);
      if (request.after !== undefined) {
        declarations.push(`$after${k}: String`);
        variables[`after${k}`] = request.after;
        args.push(`after: $after${k}`);
      }
      selection = `totalCount pageInfo { hasNextPage endCursor } nodes { ${request.reasons ? `number ${STATE_REASON}` : NODE_FIELDS[request.connection]} }`;
    }
    const field = `c${k}: ${request.connection}${args.length ? `(${args.join(', ')})` : ''} { ${selection} }`;
    byScope.set(request.milestone, [...(byScope.get(request.milestone) ?? []), field]);
  });
  const scopes = [...byScope].map(([milestone, fields]) =>
    milestone === undefined ? fields.join('\n    ') : `m${milestone}: milestone(number: ${milestone}) {\n      ${fields.join('\n      ')}\n    }`,
  );
  const query = `query (${declarations.join(', ')}) {\n  repository(owner: $owner, name: $name) {\n    ${scopes.join('\n    ')}\n  }\n  rateLimit { cost remaining }\n}`;
  return { query, variables };
}

const Author = z.object({ __typename: z.string(), login: z.string() }).nullable();
const Milestone = z.object({ number: z.number().int() }).nullable();
const Dates = { createdAt: z.string(), updatedAt: z.string(), closedAt: z.string().nullable() };

const StateReason = z.enum(['COMPLETED', 'NOT_PLANNED', 'DUPLICATE', 'REOPENED']).nullable();
const ReasonNode = z.object({ number: z.number().int().positive(), stateReason: StateReason });

const IssueNode = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  url: z.string(),
  state: z.enum(['OPEN', 'CLOSED']),
  stateReason: StateReason,
  ...Dates,
  author: Author,
  milestone: Milestone,
});

const PullNode = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  url: z.string(),
  state: z.enum(['OPEN', 'CLOSED', 'MERGED']),
  mergedAt: z.string().nullable(),
  ...Dates,
  author: Author,
  milestone: Milestone,
});

const Page = <T extends z.ZodType>(node: T) =>
  z.object({
    totalCount: z.number().int().nonnegative(),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }).optional(),
    nodes: z.array(node).optional(),
  });
const Connections = { issues: Page(IssueNode), pullRequests: Page(PullNode) };
const Reasons = Page(ReasonNode);

const Answer = z.object({
  repository: z.record(z.string(), z.unknown()),
  rateLimit: z.object({ cost: z.number(), remaining: z.number() }),
});

/**
 * REST shows a bot as `name[bot]`, GraphQL as `name`; the record and the mapping's `people`
 * use the REST login.
 */
const loginOf = (author: z.infer<typeof Author>): { login: string } | null =>
  author && { login: author.__typename === 'Bot' ? `${author.login}[bot]` : author.login };

function itemOf(node: z.infer<typeof IssueNode> | z.infer<typeof PullNode>): Item {
  const isPull = 'mergedAt' in node;
  return Item.parse({
    number: node.number,
    title: node.title,
    html_url: node.url,
    state: node.state === 'OPEN' ? 'open' : 'closed',
    state_reason: isPull ? null : node.stateReason?.toLowerCase() ?? null,
    created_at: node.createdAt,
    updated_at: node.updatedAt,
    closed_at: node.closedAt,
    user: loginOf(node.author),
    // Labels are not read: the query already selected by them, and nothing after selection uses them.
    labels: [],
    milestone: node.milestone,
    pull_request: isPull ? { merged_at: node.mergedAt } : undefined,
  });
}

const SearchNode = z.discriminatedUnion('__typename', [
  IssueNode.extend({ __typename: z.literal('Issue') }),
  PullNode.omit({ state: true }).extend({ __typename: z.literal('PullRequest'), pullState: PullNode.shape.state }),
]);

/** An issue or pull request of a search's answer (SEARCH_NODE_FIELDS) as the action's Item. */
export function itemOfNode(node: unknown): Item {
  const parsed = SearchNode.parse(node);
  if (parsed.__typename === 'Issue') {
    const { __typename: _, ...fields } = parsed;
    return itemOf(fields);
  }
  const { __typename: _, pullState, ...fields } = parsed;
  return itemOf({ ...fields, state: pullState });
}

/** A page's count and where the next page starts. */
const placeOf = (page: { totalCount: number; pageInfo?: { hasNextPage: boolean; endCursor: string | null } }) => ({
  totalCount: page.totalCount,
  hasNextPage: page.pageInfo?.hasNextPage ?? false,
  endCursor: page.pageInfo?.endCursor ?? null,
});

/** Reads the answer to `buildQuery(…, requests)`; throws (zod) when its shape is not the asked one. */
export function readAnswer(data: unknown, requests: readonly ConnectionRequest[]): { connections: ConnectionAnswer[]; cost: number; remaining: number } {
  const answer = Answer.parse(data);
  const connections = requests.map((request, k): ConnectionAnswer => {
    const scope = request.milestone === undefined ? answer.repository : z.record(z.string(), z.unknown()).parse(answer.repository[`m${request.milestone}`]);
    const field = scope[`c${k}`];
    if (request.reasons) {
      const page = Reasons.parse(field);
      const reasons = (page.nodes ?? []).map((node) => ({ number: node.number, closeReason: issueCloseReason(node.stateReason?.toLowerCase()) }));
      return { ...placeOf(page), items: [], reasons };
    }
    const page = Connections[request.connection].parse(field);
    return { ...placeOf(page), items: (page.nodes ?? []).map(itemOf), reasons: [] };
  });
  return { connections, cost: answer.rateLimit.cost, remaining: answer.rateLimit.remaining };
}
