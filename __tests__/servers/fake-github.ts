import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { schema as githubSchema } from '@octokit/graphql-schema';
import {
  buildSchema,
  executeSync,
  getNamedType,
  parse,
  TypeInfo,
  validate,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { closeServer, readBody, type LoggedRequest } from './fake-feishu.js';
import { parseSearch, search, SearchRejected } from './fake-search.js';

export type { LoggedRequest };

// A loopback stand-in for the parts of GitHub's API the action reads. REST: repository,
// milestones, labels and the issues list (which holds pull requests too), shaped, filtered,
// validated and paginated the way GitHub does it, with its rate-limit headers. GraphQL
// (POST /graphql): queries validated and executed against GitHub's published schema, with
// repository, milestone(number), issues / pullRequests (labels, states, filterBy.since,
// orderBy, first/after), their nodes (stateReason folds DUPLICATE into NOT_PLANNED unless
// asked with enableDuplicate, as GitHub does), and rateLimit with GitHub's cost formula.
// Issue search (REST GET /search/issues, GraphQL search(type: ISSUE)) follows GitHub's
// documented syntax (fake-search.ts), across every repository, capped at 1,000 results.

export interface FakeMilestone {
  number: number;
  title: string;
  state: 'open' | 'closed';
  created_at: string;
  due_on: string | null;
  description?: string | null;
  closed_at?: string | null;
}

export interface FakeItem {
  number: number;
  title: string;
  kind: 'issue' | 'pull';
  state: 'open' | 'closed';
  /** Issues only; a closed issue without one reads as closed as completed. */
  state_reason?: 'completed' | 'not_planned' | 'duplicate' | 'reopened' | null;
  /** Pull requests only. */
  merged_at?: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  user: string;
  labels: string[];
  milestone?: number;
  comments?: number;
  assignees?: string[];
}

export interface FakeRepo {
  milestones: FakeMilestone[];
  labels: string[];
  items: FakeItem[];
}

export interface FakeGitHubOptions {
  token: string;
  /** Keyed by `owner/name`. */
  repos: Record<string, FakeRepo>;
  /**
   * GitHub's clock (ISO-8601): items created later do not exist yet and items closed later are
   * still open, as a real GitHub shows them at that moment. Default: every item as seeded.
   */
  now?: string;
  /** GitHub projects (v2) of organisations and users, served over GraphQL. */
  projects?: FakeProject[];
  /** REST searches a minute (GitHub: 30); one more within the minute is refused with HTTP 403. */
  searchLimit?: number;
  /** The server's wall clock, in ms since 1970, for the search limit's minute (default: `Date.now`). */
  clock?: () => number;
}

/** A field of a project; GitHub's own fields (Title, Assignees, Labels, Milestone, Repository) are added. */
export interface FakeProjectField {
  name: string;
  dataType: 'SINGLE_SELECT' | 'ITERATION' | 'NUMBER' | 'TEXT' | 'DATE';
  /** SINGLE_SELECT: the option names. */
  options?: string[];
  /** ITERATION: every iteration; `completed` ones are listed as GitHub lists past iterations. */
  iterations?: { title: string; startDate: string; duration: number; completed?: boolean }[];
}

/** A field's value on an item: a single-select option, an iteration's title, a number or a text. */
export interface FakeFieldValue {
  value: string | number;
  updatedAt: string;
}

export interface FakeProjectItem {
  /** An issue or pull request of a seeded repository, a draft issue, or an item the token cannot see. */
  content: { repository: string; number: number } | { draft: { title: string; created_at: string; updated_at: string; creator: string } } | 'redacted';
  /** By field name. */
  values?: Record<string, FakeFieldValue>;
  archived?: boolean;
}

export interface FakeProject {
  owner: string;
  ownerType: 'Organization' | 'User';
  number: number;
  title: string;
  fields: FakeProjectField[];
  items: FakeProjectItem[];
  /** The token lacks read:project: GitHub answers FORBIDDEN, as it does to the default GITHUB_TOKEN. */
  forbidden?: boolean;
}

/**
 * The next matching request (of that `page` of a list when given; `times` in a row, Infinity
 * for always) answers `status` (with `message` and `headers`), or, for GraphQL, `errors`
 * (HTTP 200 with an `errors` list and no data); consumed in order. Or its own answer comes
 * broken: `cut` (its headers with the whole body's content-length, `afterBytes` of the body,
 * then a reset connection), `stall` (the same, then nothing more: `onStall` is called),
 * `truncate` (only `afterBytes` of the body, with a content-length that says so),
 * `empty` (HTTP 200 with its headers and no body), `link` (whole, with its Link rel="next"
 * pointing at page `next`), or `rewrite` (its body as `rewrite` changes it).
 */
export type GitHubFault = { route: 'milestones' | 'labels' | 'issues' | 'graphql' | 'search' | 'any'; times?: number; page?: number } & (
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string> }
  | { kind: 'errors'; message?: string }
  | { kind: 'cut' | 'stall' | 'truncate'; afterBytes: number }
  | { kind: 'empty' }
  | { kind: 'link'; next: number }
  | { kind: 'rewrite'; rewrite: (body: unknown) => unknown }
);
type BodyFault = Extract<GitHubFault, { kind: 'cut' | 'stall' | 'truncate' | 'empty' | 'link' | 'rewrite' }>;
const isBodyFault = (fault: GitHubFault): fault is BodyFault => ['cut', 'stall', 'truncate', 'empty', 'link', 'rewrite'].includes(fault.kind);

export interface FakeGitHub {
  url: string;
  close(): Promise<void>;
  requests: LoggedRequest[];
  faults: GitHubFault[];
  /** The seeded state; tests may change it between runs. */
  repos: Record<string, FakeRepo>;
  /** Called when a `stall` fault has sent what it sends. */
  onStall: (() => void) | undefined;
  /** REST search answers `incomplete_results: true`, as GitHub does when a search times out. */
  searchTimesOut: boolean;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Route = 'repo' | 'milestones' | 'labels' | 'issues' | 'graphql' | 'search';

const SERVER_URL = 'https://github.com';
const DOCS_URL = 'https://docs.github.com/rest';
const RATE_LIMIT = 5000;
const STATUS_MESSAGES: Record<number, string> = {
  401: 'Bad credentials',
  403: 'Forbidden',
  404: 'Not Found',
  422: 'Validation Failed',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
};

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const requests: LoggedRequest[] = [];
  const faults: GitHubFault[] = [];
  const repos = options.repos;
  const rateLimitReset = Math.floor(Date.now() / 1000) + 3600;
  let rateLimitUsed = 0;
  let graphqlPointsUsed = 0;
  const clock = options.clock ?? Date.now;
  const searchLimit = options.searchLimit ?? SEARCH_LIMIT;
  /** The search limit's minute: it starts at a search made after the previous one ended. */
  let searchMinute = { start: -Infinity, used: 0 };
  let apiUrl = '';
  const fake: FakeGitHub = { url: '', close: () => closeServer(server), requests, faults, repos, onStall: undefined, searchTimesOut: false };
  const view = (repo: FakeRepo): FakeRepo => (options.now === undefined ? repo : repoAt(repo, Date.parse(options.now)));

  function takeFault(route: Route | undefined, url: URL, body: boolean): GitHubFault | undefined {
    const page = Number(url.searchParams.get('page') ?? '1');
    const index = faults.findIndex((f) => (f.route === 'any' || f.route === route) && (f.page === undefined || f.page === page) && isBodyFault(f) === body);
    const fault = faults[index];
    if (!fault) return undefined;
    const left = (fault.times ?? 1) - 1;
    if (left > 0) fault.times = left;
    else faults.splice(index, 1);
    return fault;
  }

  function allRepos(): Record<string, FakeRepo> {
    return Object.fromEntries(Object.entries(repos).map(([name, repo]) => [name, view(repo)]));
  }

  function findRepo(owner: string, name: string): { fullName: string; repo: FakeRepo } | undefined {
    const wanted = `${owner}/${name}`.toLowerCase();
    const fullName = Object.keys(repos).find((n) => n.toLowerCase() === wanted);
    const repo = fullName === undefined ? undefined : repos[fullName];
    return fullName === undefined || !repo ? undefined : { fullName, repo: view(repo) };
  }

  function answer(req: IncomingMessage, url: URL, body: string): Reply {
    const { match, route } = routeOf(req, url);
    const fault = takeFault(route, url, false);
    if (fault?.kind === 'errors') return { status: 200, body: { data: null, errors: [{ message: fault.message ?? GRAPHQL_FAILURE }] } };
    if (fault?.kind === 'status') {
      return { status: fault.status, body: error(fault.status, fault.message), headers: fault.headers };
    }
    const credentials = /^(?:token|bearer) (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (credentials !== options.token) return { status: 401, body: error(401) };
    if (route === 'graphql') {
      const answered = answerGraphql(body, findRepo, () => graphqlPointsUsed, (login) => findOwner(login, options.projects ?? [], repos, findRepo), allRepos);
      graphqlPointsUsed += answered.cost;
      return { status: 200, body: answered.body, headers: { 'x-ratelimit-resource': 'graphql' } };
    }
    if (route === 'search') {
      const at = clock();
      if (at >= searchMinute.start + 60_000) searchMinute = { start: at, used: 0 };
      searchMinute.used += 1;
      const left = searchLimit - searchMinute.used;
      const headers = {
        'x-ratelimit-limit': String(searchLimit),
        'x-ratelimit-remaining': String(Math.max(0, left)),
        'x-ratelimit-reset': String(Math.ceil((searchMinute.start + 60_000) / 1000)),
        'x-ratelimit-used': String(Math.min(searchLimit, searchMinute.used)),
        'x-ratelimit-resource': 'search',
      };
      if (left < 0) {
        const message = 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.';
        return { status: 403, body: { message, documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api', status: '403' }, headers };
      }
      const found = searchIssues(url, apiUrl, allRepos(), fake.searchTimesOut);
      return { ...found, headers: { ...found.headers, ...headers } };
    }
    if (!match || !route) return { status: 404, body: error(404) };

    const found = findRepo(decodeURIComponent(match[1] ?? ''), decodeURIComponent(match[2] ?? ''));
    if (!found) return { status: 404, body: error(404) };
    const { fullName, repo } = found;
    const shape = new Shapes(apiUrl, fullName, repo);
    const number = match[4];

    switch (route) {
      case 'repo':
        return { status: 200, body: shape.repository() };
      case 'milestones': {
        if (number !== undefined) {
          const milestone = repo.milestones.find((m) => m.number === Number(number));
          return milestone ? { status: 200, body: shape.milestone(milestone) } : { status: 404, body: error(404) };
        }
        const listed = listMilestones(repo, url.searchParams);
        if ('invalid' in listed) return validationFailed('Milestone', listed.invalid);
        return paginate(listed.milestones, url, apiUrl, (m) => shape.milestone(m));
      }
      case 'labels':
        if (number !== undefined) return { status: 404, body: error(404) };
        return paginate(repo.labels, url, apiUrl, (name) => shape.label(name));
      case 'issues': {
        if (number !== undefined) return { status: 404, body: error(404) };
        const listed = listItems(repo, url.searchParams);
        if ('invalid' in listed) return validationFailed('Issue', listed.invalid);
        return paginate(listed.items, url, apiUrl, (item) => shape.issue(item));
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', apiUrl);
    const logged: LoggedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      status: 0,
    };
    requests.push(logged);
    rateLimitUsed += 1;
    const broken = takeFault(routeOf(req, url).route, url, true) as BodyFault | undefined;
    const reply = answer(req, url, body);
    logged.status = reply.status;
    if (broken?.kind === 'link') {
      const next = new URL(url.pathname + url.search, apiUrl);
      next.searchParams.set('page', String(broken.next));
      const others = (reply.headers?.['link'] ?? '').split(', ').filter((l) => l && !l.endsWith('rel="next"'));
      reply.headers = { ...reply.headers, link: [`<${next.href}>; rel="next"`, ...others].join(', ') };
    }
    const whole = Buffer.from(broken?.kind === 'empty' ? '' : JSON.stringify(broken?.kind === 'rewrite' ? broken.rewrite(reply.body) : reply.body));
    const bytes = broken?.kind === 'truncate' ? whole.subarray(0, broken.afterBytes) : whole;
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - rateLimitUsed)),
      'x-ratelimit-reset': String(rateLimitReset),
      'x-ratelimit-used': String(rateLimitUsed),
      'x-ratelimit-resource': 'core',
      ...reply.headers,
      'content-length': String(bytes.byteLength),
    });
    if (broken?.kind === 'cut' || broken?.kind === 'stall') {
      const kind = broken.kind;
      res.write(bytes.subarray(0, broken.afterBytes), () => {
        if (kind === 'cut') res.socket?.resetAndDestroy();
        else fake.onStall?.();
      });
      return;
    }
    res.end(bytes);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ message: `fake GitHub failed: ${String(err)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  fake.url = apiUrl;
  return fake;
}

/** The REST route a request is for, with the parts of its path. */
function routeOf(req: IncomingMessage, url: URL): { match: RegExpExecArray | null; route: Route | undefined } {
  const match = /^\/repos\/([^/]+)\/([^/]+)(?:\/(milestones|labels|issues)(?:\/(\d+))?)?$/.exec(url.pathname);
  const route: Route | undefined =
    url.pathname === '/graphql' && req.method === 'POST'
      ? 'graphql'
      : url.pathname === '/search/issues' && req.method === 'GET'
        ? 'search'
        : match && req.method === 'GET' ? ((match[3] as Route | undefined) ?? 'repo') : undefined;
  return { match, route };
}

interface Invalid {
  field: string;
  value: string;
}

function listMilestones(repo: FakeRepo, query: URLSearchParams): { milestones: FakeMilestone[] } | { invalid: Invalid } {
  const state = query.get('state') ?? 'open';
  const sort = query.get('sort') ?? 'due_on';
  const direction = query.get('direction') ?? 'asc';
  if (!['open', 'closed', 'all'].includes(state)) return { invalid: { field: 'state', value: state } };
  if (!['due_on', 'completeness'].includes(sort)) return { invalid: { field: 'sort', value: sort } };
  if (!['asc', 'desc'].includes(direction)) return { invalid: { field: 'direction', value: direction } };

  const completeness = (m: FakeMilestone) => {
    const items = repo.items.filter((i) => i.milestone === m.number);
    return items.length === 0 ? 0 : items.filter((i) => i.state === 'closed').length / items.length;
  };
  // Milestones without a due date come after every dated one, ascending.
  const key = (m: FakeMilestone) => (sort === 'due_on' ? (m.due_on ? Date.parse(m.due_on) : Infinity) : completeness(m));
  const sign = direction === 'asc' ? 1 : -1;
  const milestones = repo.milestones
    .filter((m) => state === 'all' || m.state === state)
    .sort((a, b) => sign * (compare(key(a), key(b)) || a.number - b.number));
  return { milestones };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function listItems(repo: FakeRepo, query: URLSearchParams): { items: FakeItem[] } | { invalid: Invalid } {
  const state = query.get('state') ?? 'open';
  const sort = query.get('sort') ?? 'created';
  const direction = query.get('direction') ?? 'desc';
  const milestone = query.get('milestone');
  const since = query.get('since');
  const labels = (query.get('labels') ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean);

  if (!['open', 'closed', 'all'].includes(state)) return { invalid: { field: 'state', value: state } };
  if (!['created', 'updated', 'comments'].includes(sort)) return { invalid: { field: 'sort', value: sort } };
  if (!['asc', 'desc'].includes(direction)) return { invalid: { field: 'direction', value: direction } };
  const knownMilestone = (n: number | undefined) => n !== undefined && repo.milestones.some((m) => m.number === n);
  if (milestone !== null && milestone !== '*' && milestone !== 'none') {
    if (!/^\d+$/.test(milestone) || !knownMilestone(Number(milestone))) return { invalid: { field: 'milestone', value: milestone } };
  }
  const sinceMs = since === null ? undefined : ISO_INSTANT.test(since) ? Date.parse(since) : NaN;
  if (since !== null && !Number.isFinite(sinceMs)) return { invalid: { field: 'since', value: since } };

  const sortKey = (i: FakeItem) =>
    sort === 'created' ? Date.parse(i.created_at) : sort === 'updated' ? Date.parse(i.updated_at) : (i.comments ?? 0);
  const sign = direction === 'asc' ? 1 : -1;
  const items = repo.items
    .filter((i) => state === 'all' || i.state === state)
    .filter((i) => {
      if (milestone === null) return true;
      if (milestone === '*') return knownMilestone(i.milestone);
      if (milestone === 'none') return !knownMilestone(i.milestone);
      return i.milestone === Number(milestone);
    })
    // Several labels select the items that carry every one of them.
    .filter((i) => labels.every((wanted) => i.labels.some((l) => l.toLowerCase() === wanted)))
    .filter((i) => sinceMs === undefined || Date.parse(i.updated_at) >= sinceMs)
    // Each key computed once: large fixtures hold thousands of items.
    .map((item) => ({ item, key: sortKey(item) }))
    .sort((a, b) => sign * (compare(a.key, b.key) || a.item.number - b.item.number))
    .map(({ item }) => item);
  return { items };
}

function compare(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * One page of `all`, shaped as GitHub shows it, with GitHub's Link header pointing at the
 * neighbouring pages. Only the page is shaped, so that large fixtures stay fast to serve.
 */
function paginate<T>(all: T[], url: URL, apiUrl: string, shape: (value: T) => unknown): Reply {
  const positive = (text: string | null) => (text !== null && /^\d+$/.test(text) && Number(text) >= 1 ? Number(text) : undefined);
  const perPage = Math.min(100, positive(url.searchParams.get('per_page')) ?? 30);
  const page = positive(url.searchParams.get('page')) ?? 1;
  const last = Math.max(1, Math.ceil(all.length / perPage));

  const pageUrl = (n: number) => {
    const target = new URL(url.pathname + url.search, apiUrl);
    target.searchParams.set('page', String(n));
    return `<${target.href}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${pageUrl(page - 1)}; rel="prev"`);
  if (page < last) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(last)}; rel="last"`);
  if (page > 1) links.push(`${pageUrl(1)}; rel="first"`);

  return {
    status: 200,
    body: all.slice((page - 1) * perPage, page * perPage).map(shape),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

function error(status: number, message?: string): Record<string, unknown> {
  return { message: message ?? STATUS_MESSAGES[status] ?? 'Error', documentation_url: DOCS_URL, status: String(status) };
}

function validationFailed(resource: string, invalid: Invalid): Reply {
  return {
    status: 422,
    body: {
      ...error(422),
      errors: [{ value: invalid.value, resource, field: invalid.field, code: 'invalid' }],
    },
  };
}

/** A stable number for a name, so ids stay the same from run to run. */
function numericId(text: string): number {
  return parseInt(createHash('sha1').update(text).digest('hex').slice(0, 8), 16);
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64');
}

/** GitHub's JSON shapes for one repository's objects. */
class Shapes {
  private readonly apiRepoUrl: string;
  private readonly htmlRepoUrl: string;

  constructor(
    private readonly apiUrl: string,
    private readonly fullName: string,
    private readonly repo: FakeRepo,
  ) {
    this.apiRepoUrl = `${apiUrl}/repos/${fullName}`;
    this.htmlRepoUrl = `${SERVER_URL}/${fullName}`;
  }

  repository(): Record<string, unknown> {
    const [owner = '', name = ''] = this.fullName.split('/');
    const id = numericId(`repo ${this.fullName}`);
    return {
      id,
      node_id: nodeId('Repository', id),
      name,
      full_name: this.fullName,
      private: false,
      owner: this.user(owner, 'Organization'),
      html_url: this.htmlRepoUrl,
      description: null,
      fork: false,
      url: this.apiRepoUrl,
      default_branch: 'main',
      visibility: 'public',
      has_issues: true,
      open_issues_count: this.repo.items.filter((i) => i.state === 'open').length,
    };
  }

  milestone(m: FakeMilestone): Record<string, unknown> {
    const items = this.repo.items.filter((i) => i.milestone === m.number);
    const id = numericId(`milestone ${this.fullName} ${m.number}`);
    return {
      url: `${this.apiRepoUrl}/milestones/${m.number}`,
      html_url: `${this.htmlRepoUrl}/milestone/${m.number}`,
      labels_url: `${this.apiRepoUrl}/milestones/${m.number}/labels`,
      id,
      node_id: nodeId('Milestone', id),
      number: m.number,
      title: m.title,
      description: m.description ?? null,
      creator: this.user('octocat'),
      open_issues: items.filter((i) => i.state === 'open').length,
      closed_issues: items.filter((i) => i.state === 'closed').length,
      state: m.state,
      created_at: m.created_at,
      updated_at: m.created_at,
      due_on: m.due_on,
      closed_at: m.closed_at ?? null,
    };
  }

  label(name: string): Record<string, unknown> {
    const id = numericId(`label ${this.fullName} ${name}`);
    return {
      id,
      node_id: nodeId('Label', id),
      url: `${this.apiRepoUrl}/labels/${encodeURIComponent(name)}`,
      name,
      color: createHash('sha1').update(name).digest('hex').slice(0, 6),
      default: false,
      description: null,
    };
  }

  issue(item: FakeItem): Record<string, unknown> {
    const isPull = item.kind === 'pull';
    const apiUrl = `${this.apiRepoUrl}/issues/${item.number}`;
    const htmlUrl = `${this.htmlRepoUrl}/${isPull ? 'pull' : 'issues'}/${item.number}`;
    const milestone = this.repo.milestones.find((m) => m.number === item.milestone);
    const id = numericId(`issue ${this.fullName} ${item.number}`);
    const stateReason = isPull ? null : item.state_reason !== undefined ? item.state_reason : item.state === 'closed' ? 'completed' : null;
    return {
      url: apiUrl,
      repository_url: this.apiRepoUrl,
      labels_url: `${apiUrl}/labels{/name}`,
      comments_url: `${apiUrl}/comments`,
      events_url: `${apiUrl}/events`,
      html_url: htmlUrl,
      id,
      node_id: nodeId(isPull ? 'PullRequest' : 'Issue', id),
      number: item.number,
      title: item.title,
      user: this.user(item.user),
      labels: item.labels.map((name) => this.label(name)),
      state: item.state,
      locked: false,
      assignee: item.assignees?.[0] ? this.user(item.assignees[0]) : null,
      assignees: (item.assignees ?? []).map((login) => this.user(login)),
      milestone: milestone ? this.milestone(milestone) : null,
      comments: item.comments ?? 0,
      created_at: item.created_at,
      updated_at: item.updated_at,
      closed_at: item.closed_at,
      author_association: 'MEMBER',
      active_lock_reason: null,
      ...(isPull && {
        draft: false,
        pull_request: {
          url: `${this.apiRepoUrl}/pulls/${item.number}`,
          html_url: htmlUrl,
          diff_url: `${htmlUrl}.diff`,
          patch_url: `${htmlUrl}.patch`,
          merged_at: item.merged_at ?? null,
        },
      }),
      body: null,
      timeline_url: `${apiUrl}/timeline`,
      performed_via_github_app: null,
      state_reason: stateReason,
    };
  }

  private user(login: string, type = login.endsWith('[bot]') ? 'Bot' : 'User'): Record<string, unknown> {
    const id = numericId(`user ${login}`);
    return {
      login,
      id,
      node_id: nodeId(type, id),
      url: `${this.apiUrl}/users/${encodeURIComponent(login)}`,
      html_url: `${SERVER_URL}/${login}`,
      type,
      site_admin: false,
    };
  }
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A repository as GitHub shows it at `nowMs`: later items left out, later closes undone. */
function repoAt(repo: FakeRepo, nowMs: number): FakeRepo {
  const items = repo.items
    .filter((i) => Date.parse(i.created_at) <= nowMs)
    .map((i): FakeItem => {
      if (i.closed_at === null || Date.parse(i.closed_at) <= nowMs) return i;
      const reopened: FakeItem = { ...i, state: 'open', closed_at: null, updated_at: iso(Math.min(Date.parse(i.updated_at), nowMs)) };
      if (i.kind === 'pull') reopened.merged_at = null;
      else reopened.state_reason = null;
      return reopened;
    });
  return { ...repo, items };
}

/** The same repositories with every instant moved by `ms`, so that a fixture can stand at any date. */
export function shiftRepos(repos: Record<string, FakeRepo>, ms: number): Record<string, FakeRepo> {
  const move = (at: string): string => iso(Date.parse(at) + ms);
  const moveNullable = (at: string | null | undefined): string | null | undefined => (at ? move(at) : at);
  return Object.fromEntries(
    Object.entries(repos).map(([name, repo]) => [
      name,
      {
        labels: repo.labels,
        milestones: repo.milestones.map((m) => ({ ...m, created_at: move(m.created_at), due_on: moveNullable(m.due_on) ?? null, closed_at: moveNullable(m.closed_at) })),
        items: repo.items.map((i) => ({
          ...i,
          created_at: move(i.created_at),
          updated_at: move(i.updated_at),
          closed_at: moveNullable(i.closed_at) ?? null,
          ...(i.merged_at !== undefined && { merged_at: moveNullable(i.merged_at) ?? null }),
        })),
      },
    ]),
  );
}

// The message GitHub answers when a query fails inside it.
const GRAPHQL_FAILURE = 'Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.';
const GRAPHQL_POINTS = 5000;
const MAX_PAGE = 100;

let builtSchema: GraphQLSchema | undefined;
/** GitHub's published schema (large: built once per process). It defines a few fields twice, hence assumeValidSDL. */
export function githubGraphqlSchema(): GraphQLSchema {
  builtSchema ??= buildSchema(githubSchema.idl, { assumeValidSDL: true });
  return builtSchema;
}

/**
 * GitHub's cost of a query: every connection counts as the requests needed to fill it, each
 * nested one once per node of its parents (by their `first` or `last`); the sum / 100, at least 1.
 */
export function queryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): number {
  const typeInfo = new TypeInfo(schema);
  const multipliers = [1];
  let requests = 0;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          const parent = multipliers.at(-1)!;
          if (getNamedType(typeInfo.getType())?.name.endsWith('Connection')) {
            requests += parent;
            const size = node.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
            multipliers.push(parent * (size ? Number(valueFromASTUntyped(size.value, variables)) : 1));
          } else {
            multipliers.push(parent);
          }
        },
        leave() {
          multipliers.pop();
        },
      },
    }),
  );
  return Math.max(1, Math.round(requests / 100));
}

type Found = { fullName: string; repo: FakeRepo } | undefined;

/** Validates and runs one GraphQL request; `cost` is what it charges. */
function answerGraphql(
  body: string,
  findRepo: (owner: string, name: string) => Found,
  pointsUsed: () => number,
  findOwner: (login: string) => Record<string, unknown> | null = () => null,
  allRepos: () => Record<string, FakeRepo> = () => ({}),
): { body: unknown; cost: number } {
  const schema = githubGraphqlSchema();
  let request: { query?: unknown; variables?: unknown };
  let document: DocumentNode;
  try {
    request = JSON.parse(body) as typeof request;
    document = parse(String(request.query ?? ''));
  } catch (e) {
    return { body: { errors: [{ message: `Parse error: ${(e as Error).message}` }] }, cost: 0 };
  }
  const invalid = validate(schema, document);
  if (invalid.length) return { body: { errors: invalid.map((e) => ({ message: e.message, locations: e.locations })) }, cost: 0 };
  const variables = (request.variables ?? {}) as Record<string, unknown>;
  const cost = queryCost(schema, document, variables);
  const used = pointsUsed() + cost;
  const rootValue = {
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const found = findRepo(owner, name);
      if (!found) throw new Error(`Could not resolve to a Repository with the name '${owner}/${name}'.`);
      return repositoryNode(found.fullName, found.repo);
    },
    repositoryOwner: ({ login }: { login: string }) => findOwner(login),
    search: (args: { query: string; type: string } & ConnectionArgs) => {
      if (args.type !== 'ISSUE') throw new Error(`the fake searches issues only, not ${args.type}`);
      const found = search(parseSearch(args.query), allRepos());
      const connection = page('search', found.slice(0, SEARCH_CAP), args, (f) => itemNode(f.item, f.fullName, f.repo));
      return { ...connection, issueCount: found.length };
    },
    rateLimit: () => ({ cost, limit: GRAPHQL_POINTS, remaining: Math.max(0, GRAPHQL_POINTS - used), used, nodeCount: 0, resetAt: iso(Date.now() + 3600_000) }),
  };
  const result = executeSync({ schema, document, variableValues: variables, rootValue });
  const answer = JSON.parse(JSON.stringify(result)) as { errors?: Record<string, unknown>[] };
  // GitHub names the kind of a failure (NOT_FOUND, FORBIDDEN) in each error's `type`.
  result.errors?.forEach((e, i) => {
    const type = (e.originalError as { type?: string } | undefined)?.type;
    if (type) answer.errors![i]!['type'] = type;
  });
  return { body: answer, cost };
}

interface ConnectionArgs {
  labels?: string[] | null;
  states?: string[] | null;
  filterBy?: Record<string, unknown> | null;
  orderBy?: { field: string; direction: 'ASC' | 'DESC' } | null;
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

function repositoryNode(fullName: string, repo: FakeRepo): Record<string, unknown> {
  const lists = (items: FakeItem[]) => ({
    issues: (args: ConnectionArgs) => itemConnection('issues', items.filter((i) => i.kind === 'issue'), args, fullName, repo),
    pullRequests: (args: ConnectionArgs) => itemConnection('pullRequests', items.filter((i) => i.kind === 'pull'), args, fullName, repo),
  });
  return {
    nameWithOwner: fullName,
    ...lists(repo.items),
    milestone: ({ number }: { number: number }) => {
      const m = repo.milestones.find((x) => x.number === number);
      return m && { number: m.number, title: m.title, ...lists(repo.items.filter((i) => i.milestone === number)) };
    },
  };
}

/** REST searches a minute that GitHub allows an authenticated client. */
const SEARCH_LIMIT = 30;

/** GitHub's search gives at most this many results of one search. */
const SEARCH_CAP = 1000;

/** REST issue search: q, sort (created, updated, comments), order, per_page and page, as GitHub pages it. */
function searchIssues(url: URL, apiUrl: string, repos: Record<string, FakeRepo>, timesOut: boolean): Reply {
  const q = url.searchParams.get('q');
  if (!q) return validationFailed('Search', { field: 'q', value: '' });
  const parsed = parseSearch(q);
  const sort = url.searchParams.get('sort');
  if (sort) {
    if (!['created', 'updated', 'comments'].includes(sort)) return validationFailed('Search', { field: 'sort', value: sort });
    parsed.sort = { field: sort as 'created', direction: url.searchParams.get('order') === 'asc' ? 'asc' : 'desc' };
  }
  let found: ReturnType<typeof search>;
  try {
    found = search(parsed, repos);
  } catch (e) {
    if (!(e instanceof SearchRejected)) throw e;
    return { status: 422, body: { message: 'Validation Failed', errors: [{ message: e.message, resource: 'Search', field: 'q', code: 'invalid' }], documentation_url: DOCS_URL, status: '422' } };
  }
  const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30) || 30);
  const pageNumber = Number(url.searchParams.get('page') ?? 1) || 1;
  if (pageNumber * perPage > SEARCH_CAP && (pageNumber - 1) * perPage >= SEARCH_CAP) {
    return { status: 422, body: { message: 'Only the first 1000 search results are available', documentation_url: DOCS_URL, status: '422' } };
  }
  const listed = paginate(found.slice(0, SEARCH_CAP), url, apiUrl, (f) => ({
    ...new Shapes(apiUrl, f.fullName, f.repo).issue(f.item),
    score: 1,
  }));
  return { ...listed, body: { total_count: found.length, incomplete_results: timesOut, items: listed.body } };
}

/** Which items a `states` value holds: issues OPEN / CLOSED, pull requests OPEN / CLOSED (unmerged) / MERGED. */
function stateOf(item: FakeItem): string {
  if (item.state === 'open') return 'OPEN';
  return item.kind === 'pull' && item.merged_at ? 'MERGED' : 'CLOSED';
}

function itemConnection(name: string, items: FakeItem[], args: ConnectionArgs, fullName: string, repo: FakeRepo): Record<string, unknown> {
  // viewerSubscribed defaults to false, which filters nothing.
  const { since, viewerSubscribed: _, ...otherFilters } = args.filterBy ?? {};
  if (args.filterBy?.['viewerSubscribed'] === true || Object.values(otherFilters).some((v) => v !== null && v !== undefined)) throw new Error(`the fake implements filterBy.since only, not ${Object.keys(otherFilters).join(', ')}`);
  const labels = args.labels?.map((l) => l.toLowerCase());
  const order = args.orderBy ?? { field: 'CREATED_AT', direction: 'ASC' };
  const key = (i: FakeItem): number =>
    order.field === 'CREATED_AT' ? Date.parse(i.created_at) : order.field === 'UPDATED_AT' ? Date.parse(i.updated_at) : (i.comments ?? 0);
  const sign = order.direction === 'ASC' ? 1 : -1;
  const selected = items
    // GraphQL's `labels`: items with any of them.
    .filter((i) => !labels || i.labels.some((l) => labels.includes(l.toLowerCase())))
    .filter((i) => !args.states || args.states.includes(stateOf(i)))
    .filter((i) => since === undefined || since === null || Date.parse(i.updated_at) >= Date.parse(String(since)))
    .map((item) => ({ item, key: key(item) }))
    .sort((a, b) => sign * (compare(a.key, b.key) || a.item.number - b.item.number))
    .map(({ item }) => item);
  return page(name, selected, args, (item) => itemNode(item, fullName, repo));
}

const cursorOf = (offset: number): string => Buffer.from(`cursor:v2:${offset}`).toString('base64');

/** One page of a connection, by `first` and `after` as GitHub pages it; totalCount is the whole list's. */
function page<T>(name: string, all: T[], args: ConnectionArgs, shape: (value: T) => unknown): Record<string, unknown> {
  if (args.last != null || args.before != null) throw new Error('the fake pages by first and after only');
  const first = args.first ?? undefined;
  if (first !== undefined && (first < 0 || first > MAX_PAGE)) {
    throw new Error(`Requesting ${first} records on the \`${name}\` connection exceeds the \`first\` limit of ${MAX_PAGE} records.`);
  }
  let start = 0;
  if (args.after != null) {
    const offset = /^cursor:v2:(\d+)$/.exec(Buffer.from(args.after, 'base64').toString('utf8'))?.[1];
    if (offset === undefined) throw new Error(`\`${args.after}\` does not appear to be a valid cursor.`);
    start = Number(offset);
  }
  const end = Math.min(all.length, start + (first ?? 0));
  const needsSize = () => {
    if (first === undefined) throw new Error(`You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`);
  };
  return {
    totalCount: all.length,
    pageInfo: () => {
      needsSize();
      return { hasNextPage: end < all.length, hasPreviousPage: start > 0, startCursor: end > start ? cursorOf(start + 1) : null, endCursor: end > start ? cursorOf(end) : null };
    },
    nodes: () => {
      needsSize();
      return all.slice(start, end).map(shape);
    },
  };
}

function itemNode(item: FakeItem, fullName: string, repo: FakeRepo): Record<string, unknown> {
  const isPull = item.kind === 'pull';
  const milestone = repo.milestones.find((m) => m.number === item.milestone);
  // GraphQL shows a bot by its name alone, REST as name[bot].
  const bot = /^(.*)\[bot\]$/.exec(item.user)?.[1];
  const stateReason = isPull ? null : item.state_reason !== undefined ? item.state_reason : item.state === 'closed' ? 'completed' : null;
  return {
    __typename: isPull ? 'PullRequest' : 'Issue',
    number: item.number,
    title: item.title,
    url: `${SERVER_URL}/${fullName}/${isPull ? 'pull' : 'issues'}/${item.number}`,
    state: stateOf(item),
    ...(isPull
      ? { merged: Boolean(item.merged_at), mergedAt: item.merged_at ?? null }
      : // GitHub shows a duplicate as NOT_PLANNED unless asked with enableDuplicate.
        { stateReason: ({ enableDuplicate }: { enableDuplicate: boolean }) => (stateReason === 'duplicate' && !enableDuplicate ? 'not_planned' : stateReason)?.toUpperCase() ?? null }),
    createdAt: item.created_at,
    updatedAt: item.updated_at,
    closedAt: item.closed_at,
    author: bot === undefined ? { __typename: 'User', login: item.user } : { __typename: 'Bot', login: bot },
    milestone: milestone ? { number: milestone.number, title: milestone.title } : null,
    labels: (args: ConnectionArgs) => page('labels', item.labels, args, (name) => ({ name })),
    repository: { nameWithOwner: fullName },
  };
}

/** An error GitHub gives with a `type`, as it does for a project that is missing or refused. */
const typedError = (type: string, message: string): Error => Object.assign(new Error(message), { type });

const BUILT_IN_FIELDS: FakeProjectField[] = [
  { name: 'Title', dataType: 'TEXT' },
  { name: 'Assignees', dataType: 'TEXT' },
  { name: 'Labels', dataType: 'TEXT' },
  { name: 'Milestone', dataType: 'TEXT' },
  { name: 'Repository', dataType: 'TEXT' },
];
const BUILT_IN_TYPES: Record<string, string> = { Title: 'TITLE', Assignees: 'ASSIGNEES', Labels: 'LABELS', Milestone: 'MILESTONE', Repository: 'REPOSITORY' };

const iterationId = (field: string, title: string): string => createHash('sha1').update(`${field} ${title}`).digest('hex').slice(0, 8);
const optionId = (field: string, name: string): string => createHash('sha1').update(`${field} ${name}`).digest('hex').slice(0, 8);

/** `repositoryOwner(login:)`: an organisation or user, with its projects; null for a login nobody has. */
function findOwner(login: string, projects: FakeProject[], repos: Record<string, FakeRepo>, findRepo: (owner: string, name: string) => Found): Record<string, unknown> | null {
  const owned = projects.filter((p) => p.owner.toLowerCase() === login.toLowerCase());
  const ownsRepo = Object.keys(repos).some((name) => name.split('/')[0]!.toLowerCase() === login.toLowerCase());
  if (!owned.length && !ownsRepo) return null;
  const type = owned[0]?.ownerType ?? 'Organization';
  return {
    __typename: type,
    login: owned[0]?.owner ?? login,
    projectV2: ({ number }: { number: number }) => {
      const project = owned.find((p) => p.number === number);
      if (!project) throw typedError('NOT_FOUND', `Could not resolve to a ProjectV2 with the number ${number}.`);
      if (project.forbidden) throw typedError('FORBIDDEN', 'Resource not accessible by integration');
      return projectNode(project, findRepo);
    },
  };
}

function projectNode(project: FakeProject, findRepo: (owner: string, name: string) => Found): Record<string, unknown> {
  const fields = [...BUILT_IN_FIELDS, ...project.fields];
  const fieldNode = (field: FakeProjectField): Record<string, unknown> => {
    const common = { id: nodeId('ProjectV2Field', numericId(field.name)), name: field.name, dataType: BUILT_IN_TYPES[field.name] ?? field.dataType };
    if (field.dataType === 'SINGLE_SELECT') {
      return { __typename: 'ProjectV2SingleSelectField', ...common, options: () => (field.options ?? []).map((name) => ({ id: optionId(field.name, name), name })) };
    }
    if (field.dataType === 'ITERATION') {
      const shape = (i: NonNullable<FakeProjectField['iterations']>[number]) => ({ id: iterationId(field.name, i.title), title: i.title, startDate: i.startDate, duration: i.duration });
      const all = field.iterations ?? [];
      return {
        __typename: 'ProjectV2IterationField',
        ...common,
        configuration: { duration: all[0]?.duration ?? 14, startDay: 1, iterations: all.filter((i) => !i.completed).map(shape), completedIterations: all.filter((i) => i.completed).map(shape) },
      };
    }
    return { __typename: 'ProjectV2Field', ...common };
  };
  const valueNode = (item: FakeProjectItem, name: string): Record<string, unknown> | null => {
    const field = fields.find((f) => f.name === name);
    const value = item.values?.[name];
    if (!field || !value) return null;
    const common = { id: nodeId('ProjectV2ItemFieldValue', numericId(`${name} ${value.value}`)), updatedAt: value.updatedAt, createdAt: value.updatedAt };
    switch (field.dataType) {
      case 'SINGLE_SELECT':
        return { __typename: 'ProjectV2ItemFieldSingleSelectValue', ...common, name: String(value.value), optionId: optionId(name, String(value.value)) };
      case 'ITERATION': {
        const iteration = field.iterations?.find((i) => i.title === value.value);
        if (!iteration) throw new Error(`the fake project has no iteration "${value.value}" in ${name}`);
        return { __typename: 'ProjectV2ItemFieldIterationValue', ...common, iterationId: iterationId(name, iteration.title), title: iteration.title, startDate: iteration.startDate, duration: iteration.duration };
      }
      case 'NUMBER':
        return { __typename: 'ProjectV2ItemFieldNumberValue', ...common, number: Number(value.value) };
      default:
        return { __typename: field.dataType === 'DATE' ? 'ProjectV2ItemFieldDateValue' : 'ProjectV2ItemFieldTextValue', ...common, text: String(value.value), date: String(value.value) };
    }
  };
  const itemNode_ = (item: FakeProjectItem, index: number): Record<string, unknown> => {
    const common = { id: nodeId('ProjectV2Item', numericId(`${project.owner} ${project.number} ${index}`)), isArchived: Boolean(item.archived), fieldValueByName: ({ name }: { name: string }) => valueNode(item, name) };
    if (item.content === 'redacted') return { ...common, type: 'REDACTED', content: null, createdAt: iso(0), updatedAt: iso(0) };
    if ('draft' in item.content) {
      const draft = item.content.draft;
      const creator = { __typename: 'User', login: draft.creator };
      return { ...common, type: 'DRAFT_ISSUE', createdAt: draft.created_at, updatedAt: draft.updated_at, content: { __typename: 'DraftIssue', title: draft.title, createdAt: draft.created_at, updatedAt: draft.updated_at, creator } };
    }
    const { repository, number } = item.content;
    const [owner = '', name = ''] = repository.split('/');
    const found = findRepo(owner, name);
    const content = found?.repo.items.find((i) => i.number === number);
    if (!found || !content) throw new Error(`the fake project refers to ${repository}#${number}, which is not seeded`);
    return { ...common, type: content.kind === 'pull' ? 'PULL_REQUEST' : 'ISSUE', createdAt: content.created_at, updatedAt: content.updated_at, content: itemNode(content, found.fullName, found.repo) };
  };
  return {
    __typename: 'ProjectV2',
    number: project.number,
    title: project.title,
    url: `${SERVER_URL}/${project.ownerType === 'User' ? 'users' : 'orgs'}/${project.owner}/projects/${project.number}`,
    fields: (args: ConnectionArgs) => page('fields', fields, args, fieldNode),
    items: (args: ConnectionArgs) => page('items', project.items.map((item, index) => ({ item, index })), args, ({ item, index }) => itemNode_(item, index)),
  };
}
