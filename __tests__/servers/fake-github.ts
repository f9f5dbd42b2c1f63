import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { closeServer, readBody, type LoggedRequest } from './fake-feishu.js';

export type { LoggedRequest };

// A loopback stand-in for the parts of GitHub's REST API the action reads: repository,
// milestones, labels and the issues list (which holds pull requests too), shaped, filtered,
// validated and paginated the way GitHub does it, with its rate-limit headers.

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
}

/** The next matching request answers `status` (with `message` and `headers`); consumed in order. */
export interface GitHubFault {
  route: 'milestones' | 'labels' | 'issues' | 'any';
  times?: number;
  kind: 'status';
  status: number;
  message?: string;
  headers?: Record<string, string>;
}

export interface FakeGitHub {
  url: string;
  close(): Promise<void>;
  requests: LoggedRequest[];
  faults: GitHubFault[];
  /** The seeded state; tests may change it between runs. */
  repos: Record<string, FakeRepo>;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Route = 'repo' | 'milestones' | 'labels' | 'issues';

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
  let apiUrl = '';

  function takeFault(route: Route | undefined): GitHubFault | undefined {
    const index = faults.findIndex((f) => f.route === 'any' || f.route === route);
    const fault = faults[index];
    if (!fault) return undefined;
    const left = (fault.times ?? 1) - 1;
    if (left > 0) fault.times = left;
    else faults.splice(index, 1);
    return fault;
  }

  function answer(req: IncomingMessage, url: URL): Reply {
    const match = /^\/repos\/([^/]+)\/([^/]+)(?:\/(milestones|labels|issues)(?:\/(\d+))?)?$/.exec(url.pathname);
    const route: Route | undefined = match && req.method === 'GET' ? ((match[3] as Route | undefined) ?? 'repo') : undefined;

    const fault = takeFault(route);
    if (fault) {
      return { status: fault.status, body: error(fault.status, fault.message), headers: fault.headers };
    }
    const credentials = /^(?:token|bearer) (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (credentials !== options.token) return { status: 401, body: error(401) };
    if (!match || !route) return { status: 404, body: error(404) };

    const wanted = `${decodeURIComponent(match[1] ?? '')}/${decodeURIComponent(match[2] ?? '')}`.toLowerCase();
    const fullName = Object.keys(repos).find((name) => name.toLowerCase() === wanted);
    const repo = fullName === undefined ? undefined : repos[fullName];
    if (fullName === undefined || !repo) return { status: 404, body: error(404) };
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
    const reply = answer(req, url);
    logged.status = reply.status;
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
    });
    res.end(JSON.stringify(reply.body));
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

  return { url: apiUrl, close: () => closeServer(server), requests, faults, repos };
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
      assignee: null,
      assignees: [],
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
