import { Agent, EnvHttpProxyAgent, FormData, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { CreateProgressRecordRequest, UpdateProgressRecordRequest } from '../record/request.js';
import {
  ImageAnswerData,
  ListAnswerData,
  RecordAnswerData,
  TokenAnswer,
  toListedRecord,
  toRecordAnswer,
  toStoredRecord,
  type ListedRecord,
  type RecordAnswer,
  type StoredRecord,
} from './answers.js';
import {
  AmbiguousWriteError,
  explainFeishuError,
  FeishuError,
  FeishuStoppedError,
  isRetryableCode,
  RATE_LIMITED,
  refusesCredentials,
  TOKEN_RENEWABLE,
  type ExplainContext,
} from './errors.js';
import { PeriodsAnswerData, toObjectives, toPeriod, UserIdsAnswerData, UserOkrsAnswerData, type ObjectiveText, type OkrPeriod } from './okrs.js';
import { Pacer } from './pace.js';

export interface FeishuLog {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

export interface FeishuClientOptions {
  /** `https://open.feishu.cn` or `https://open.larksuite.com`; http only for loopback hosts. */
  baseUrl: string;
  appId?: string;
  appSecret?: string;
  /** A ready tenant or user access token, instead of the app id and secret. */
  accessToken?: string;
  /** Bound on each HTTP request. */
  timeoutMs?: number;
  /** Bound on all Feishu work of the run, counted from the first request: no wait or request goes past it. */
  deadlineMs?: number;
  /** Requests per endpoint within `rateWindowMs`. */
  ratePerMinute?: number;
  rateWindowMs?: number;
  log?: FeishuLog;
  setSecret?: (secret: string) => void;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1), for the backoff jitter. */
  random?: () => number;
  now?: () => number;
  dispatcher?: Dispatcher;
}

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const RECORDS_PATH = '/open-apis/okr/v1/progress_records';
const IMAGES_PATH = '/open-apis/okr/v1/images/upload';
const PERIODS_PATH = '/open-apis/okr/v1/periods';
const USER_OKRS_PATH = '/open-apis/okr/v1/users/:id/okrs';
const USER_IDS_PATH = '/open-apis/contact/v3/users/batch_get_id';
/** The most a users/:id/okrs page may hold (spec: 0 < limit <= 10). */
const OKRS_PAGE_LIMIT = 10;
/** The most emails one batch_get_id call takes. */
const EMAILS_PER_CALL = 50;
// Feishu counts a request when it arrives, which can be a little after we counted it as
// sent: a slot is taken as free only a second after it left Feishu's one-minute window.
const RATE_WINDOW_MS = 61_000;
const MAX_RETRIES = 4;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 16_000;
// Each wait is as long as Feishu asks; the count only stops a server that never lets go.
const MAX_RATE_LIMIT_WAITS = 10;
const DEFAULT_RATE_LIMIT_WAIT_S = 1;
const MAX_RATE_LIMIT_WAIT_S = 60;
// A tenant token is renewed this long before Feishu says it expires, as the official SDK
// does, so that a long run never sends one that expires on the way.
const TOKEN_RENEW_AHEAD_MS = 3 * 60_000;
// 100 pages of 100 records: years of weekly records. A list longer than that is more likely a
// server that never stops than a real history.
const MAX_LIST_PAGES = 100;

const silent: FeishuLog = { info() {}, warning() {}, debug() {} };

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** Checks the `feishu-base-url` input: https, or http on a loopback host (for local fakes). */
export function checkBaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`feishu-base-url "${url}" is not a URL; use https://open.feishu.cn or https://open.larksuite.com`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && LOOPBACK_HOST.test(parsed.hostname)) return parsed;
  throw new Error(
    `feishu-base-url "${url}" must use https (plain http is allowed only for loopback hosts such as http://127.0.0.1), ` +
      'so that tokens never travel unencrypted; use https://open.feishu.cn or https://open.larksuite.com',
  );
}

/** One Feishu API call, described once and sent as often as retries need. */
interface Exchange {
  method: 'GET' | 'POST' | 'PUT';
  /** The path with `:id` in place of ids: with the method, the unit of pacing and of log lines. */
  endpoint: string;
  /** The path with ids and query. */
  path: string;
  /** Sent as JSON, or as multipart form data when it is FormData. */
  body?: unknown;
  context: ExplainContext;
}

interface Answer {
  body: Record<string, unknown>;
  logId: string | undefined;
}

type Outcome =
  | { kind: 'ok'; answer: Answer }
  | { kind: 'rate-limited'; error: FeishuError; waitMs: number }
  | { kind: 'transient'; error: FeishuError };

// Failures in these happen before a request leaves, so even a create may be sent again.
const NOT_SENT_CODES: ReadonlySet<string | undefined> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

// A refused port or a host name that does not resolve will not change within the run (a
// temporary DNS failure, EAI_AGAIN, may, and is retried).
const UNREACHABLE_CODES: ReadonlySet<string | undefined> = new Set(['ECONNREFUSED', 'ENOTFOUND']);

/** Whether a connection failed in its TLS handshake: a certificate, a protocol, a proxy that is not TLS. */
function isTlsFailure(code: string | undefined): boolean {
  return /CERT|SSL|TLS|^EPROTO$|UNABLE_TO_VERIFY|SIGNATURE/.test(String(code));
}

function errorCode(error: unknown): string | undefined {
  // Object() makes anything thrown, null and undefined too, something to look into.
  const { code, errors } = Object(error) as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Node reports a failed connection to every address of a host as an AggregateError.
  if (Array.isArray(errors)) return errorCode(errors[0]);
  return undefined;
}

function networkTrouble(error: unknown): string {
  const code = errorCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused (ECONNREFUSED)';
    case 'ECONNRESET':
      return 'the connection was reset (ECONNRESET)';
    case 'UND_ERR_SOCKET':
      return 'the connection was closed before an answer came (UND_ERR_SOCKET)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name could not be resolved (${code})`;
    default: {
      if (isTlsFailure(code)) {
        const message = error instanceof Error ? error.message : String(error);
        return `the TLS connection failed (${code}: ${message})`;
      }
      const message = error instanceof Error ? error.message : String(error);
      return code ? `${message} (${code})` : message;
    }
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function rateLimitWaitMs(reset: string | undefined): number {
  // HTTP strips the blanks around a header value: an empty one asks nothing (Number('') is 0).
  const secondsAsked = reset === undefined || reset === '' ? NaN : Number(reset);
  const wait = Number.isFinite(secondsAsked) && secondsAsked >= 0 ? secondsAsked : DEFAULT_RATE_LIMIT_WAIT_S;
  return Math.min(wait, MAX_RATE_LIMIT_WAIT_S) * 1000;
}

/**
 * The runner's proxy settings apply when there are any; undici's proxy agent is only built
 * then, since it warns that it is experimental whenever it is created.
 */
export function defaultDispatcher(): Dispatcher {
  const env = process.env;
  const proxied = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((name) => env[name]);
  return proxied ? new EnvHttpProxyAgent() : new Agent();
}

/** The Feishu OKR API as the action uses it: token, retries, pacing, errors in words. */
export class FeishuClient {
  private readonly root: string;
  private readonly app: { appId: string; appSecret: string } | undefined;
  private readonly givenToken: string | undefined;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  /** Set by the first request: the client is made before the run's GitHub work, which is not Feishu's time. */
  private deadlineAt: number | undefined;
  private readonly log: FeishuLog;
  private readonly setSecret: (secret: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly dispatcher: Dispatcher;
  private readonly pacer: Pacer;
  private tenantToken: Promise<string> | undefined;
  /** When the tenant token in hand is to be renewed (ms on `now`); undefined while one is being fetched. */
  private tenantTokenRenewAt: number | undefined;
  /** The first error after which no Feishu call of the run can succeed; later calls throw it without a request. */
  private fatal: FeishuError | undefined;
  private requests = 0;

  constructor(options: FeishuClientOptions) {
    const base = checkBaseUrl(options.baseUrl);
    this.root = base.origin + base.pathname.replace(/\/+$/, '');
    this.setSecret = options.setSecret ?? (() => {});
    // Mask every secret given, even one that ends up unused.
    if (present(options.appSecret)) this.setSecret(options.appSecret);
    if (present(options.accessToken)) this.setSecret(options.accessToken);

    // The app id and secret win over a given token: they can fetch a new token when one expires.
    if (present(options.appId) && present(options.appSecret)) {
      this.app = { appId: options.appId, appSecret: options.appSecret };
    } else if (present(options.accessToken)) {
      this.givenToken = options.accessToken;
    } else if (present(options.appId) || present(options.appSecret)) {
      const missing = present(options.appId) ? 'feishu-app-secret' : 'feishu-app-id';
      throw new Error(`Feishu credentials are incomplete: ${missing} is empty; set both feishu-app-id and feishu-app-secret`);
    } else {
      throw new Error('Feishu credentials are missing: set feishu-app-id and feishu-app-secret, or feishu-access-token');
    }

    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.deadlineMs = options.deadlineMs ?? 10 * 60_000;
    this.log = options.log ?? silent;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.dispatcher = options.dispatcher ?? defaultDispatcher();
    this.pacer = new Pacer(options.ratePerMinute ?? 100, options.rateWindowMs ?? RATE_WINDOW_MS, this.now);
  }

  /** HTTP requests sent so far, retries and token requests included. */
  get requestCount(): number {
    return this.requests;
  }

  /** The error that stopped the run's Feishu work (an unreachable host, refused credentials), if any. */
  get stopped(): FeishuError | undefined {
    return this.fatal;
  }

  /**
   * Creates a progress record. Throws AmbiguousWriteError when the request went out but no
   * readable answer came back: the record may exist, so look it up before creating it again.
   */
  async createRecord(body: CreateProgressRecordRequest): Promise<RecordAnswer> {
    const exchange: Exchange = {
      method: 'POST',
      endpoint: RECORDS_PATH,
      path: `${RECORDS_PATH}?user_id_type=open_id`,
      body,
      context: { call: 'create', targetType: body.target_type, targetId: body.target_id },
    };
    const answer = await this.authorized(exchange);
    return toRecordAnswer(this.read(RecordAnswerData, answer.body.data, 'data', exchange, answer));
  }

  /** Replaces the content and progress rate of a record (PUT, so it is safe to repeat). */
  async updateRecord(progressId: string, body: UpdateProgressRecordRequest): Promise<RecordAnswer> {
    const exchange: Exchange = {
      method: 'PUT',
      endpoint: `${RECORDS_PATH}/:id`,
      path: `${RECORDS_PATH}/${encodeURIComponent(progressId)}?user_id_type=open_id`,
      body,
      context: { call: 'update', progressId },
    };
    const answer = await this.authorized(exchange);
    return toRecordAnswer(this.read(RecordAnswerData, answer.body.data, 'data', exchange, answer));
  }

  /**
   * Uploads a PNG for the records of an objective (2) or key result (3); the answer goes
   * into a gallery block. Sending it twice only leaves an unused image, so it is retried.
   */
  async uploadImage(png: Buffer, targetType: 2 | 3, targetId: string): Promise<{ fileToken: string; url: string }> {
    const form = new FormData();
    form.set('data', new Blob([png], { type: 'image/png' }), `okr-chart-${targetId}.png`);
    form.set('target_id', targetId);
    form.set('target_type', String(targetType));
    const exchange: Exchange = {
      method: 'POST',
      endpoint: IMAGES_PATH,
      path: IMAGES_PATH,
      body: form,
      context: { call: 'upload', targetType, targetId },
    };
    const answer = await this.authorized(exchange);
    const data = this.read(ImageAnswerData, answer.body.data, 'data', exchange, answer);
    return { fileToken: data.file_token, url: data.url };
  }

  async getRecord(progressId: string): Promise<StoredRecord> {
    const exchange: Exchange = {
      method: 'GET',
      endpoint: `${RECORDS_PATH}/:id`,
      path: `${RECORDS_PATH}/${encodeURIComponent(progressId)}?user_id_type=open_id`,
      context: { call: 'get', progressId },
    };
    const answer = await this.authorized(exchange);
    return toStoredRecord(this.read(RecordAnswerData, answer.body.data, 'data', exchange, answer));
  }

  /**
   * The records of an objective (2) or key result (3), all pages, in Feishu's order, which no
   * official source documents: callers order them by create_time themselves.
   */
  async *listRecords(targetType: 2 | 3, targetId: string): AsyncGenerator<ListedRecord> {
    const endpoint = `/open-apis/okr/v2/${targetType === 2 ? 'objectives' : 'key_results'}/:id/progresses`;
    const key = targetType === 2 ? 'objective' : 'key_result';
    const seenTokens = new Set<string | undefined>();
    let pageToken: string | undefined;
    let pages = 0;
    do {
      pages += 1;
      const query = new URLSearchParams({ page_size: '100' });
      if (pageToken) query.set('page_token', pageToken);
      const exchange: Exchange = {
        method: 'GET',
        endpoint,
        path: `${endpoint.replace(':id', encodeURIComponent(targetId))}?${query}`,
        context: { call: 'list', targetType, targetId },
      };
      const answer = await this.authorized(exchange);
      const page = this.read(ListAnswerData, answer.body.data, 'data', exchange, answer);
      for (const item of page.items ?? []) yield toListedRecord(item);

      // has_more and page_token are optional in the official SDK's types: without has_more, the list ends here.
      pageToken = page.has_more === true ? (page.page_token ?? undefined) : undefined;
      // A missing or repeated token would end the list early or loop forever: say so instead.
      if (page.has_more === true && (!pageToken || seenTokens.has(pageToken))) {
        throw new FeishuError(
          `Feishu's list of the records of ${key} "${targetId}" said there were more pages but gave ${pageToken ? 'a page token it had given before' : 'no page token'}.`,
          { logId: answer.logId, retryable: false },
        );
      }
      if (pageToken && pages >= MAX_LIST_PAGES) {
        throw new FeishuError(
          `Feishu's list of the records of ${key} "${targetId}" still had more pages after ${MAX_LIST_PAGES}; stopped reading it rather than guess which record is this period's.`,
          { logId: answer.logId, retryable: false },
        );
      }
      seenTokens.add(pageToken);
    } while (pageToken);
  }

  /** Every OKR period of the tenant, all pages (tenant token only). */
  async listPeriods(): Promise<OkrPeriod[]> {
    const periods: OkrPeriod[] = [];
    const seenTokens = new Set<string | undefined>();
    let pageToken: string | undefined;
    do {
      // The largest page_size Feishu accepts here is unconfirmed; 10 is its default.
      const query = new URLSearchParams({ page_size: '10' });
      if (pageToken) query.set('page_token', pageToken);
      const exchange: Exchange = { method: 'GET', endpoint: PERIODS_PATH, path: `${PERIODS_PATH}?${query}`, context: { call: 'periods' } };
      const answer = await this.authorized(exchange);
      const page = this.read(PeriodsAnswerData, answer.body.data, 'data', exchange, answer);
      periods.push(...(page.items ?? []).map(toPeriod));
      pageToken = page.has_more ? (page.page_token ?? undefined) : undefined;
      if (page.has_more && (!pageToken || seenTokens.has(pageToken))) {
        throw new FeishuError("Feishu's list of OKR periods said there were more pages but gave no new page token.", { logId: answer.logId, retryable: false });
      }
      seenTokens.add(pageToken);
    } while (pageToken);
    return periods;
  }

  /**
   * The objectives and key results of one user in the given periods (at most 10), all pages.
   * `offset` and `limit` are strings and `period_ids` a repeated key, as the API asks.
   */
  async listUserOkrs(userId: string, userIdType: 'open_id' | 'user_id', periodIds: readonly string[]): Promise<ObjectiveText[]> {
    const objectives: ObjectiveText[] = [];
    for (let offset = 0; ; offset += OKRS_PAGE_LIMIT) {
      const query = new URLSearchParams({ user_id_type: userIdType, offset: String(offset), limit: String(OKRS_PAGE_LIMIT), lang: 'en_us' });
      for (const id of periodIds) query.append('period_ids', id);
      const exchange: Exchange = {
        method: 'GET',
        endpoint: USER_OKRS_PATH,
        path: `${USER_OKRS_PATH.replace(':id', encodeURIComponent(userId))}?${query}`,
        context: { call: 'okrs', userId },
      };
      const answer = await this.authorized(exchange);
      const page = this.read(UserOkrsAnswerData, answer.body.data, 'data', exchange, answer);
      const okrs = page.okr_list ?? [];
      objectives.push(...toObjectives(okrs));
      // `total` counts the user's OKRs (one per period); an empty page ends the loop whatever it says.
      if (okrs.length === 0 || offset + OKRS_PAGE_LIMIT >= (page.total ?? 0)) return objectives;
    }
  }

  /** The open_id of each email Feishu knows (tenant token only); unknown ones are left out. */
  async openIdsOfEmails(emails: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < emails.length; i += EMAILS_PER_CALL) {
      const exchange: Exchange = {
        method: 'POST',
        endpoint: USER_IDS_PATH,
        path: `${USER_IDS_PATH}?user_id_type=open_id`,
        body: { emails: emails.slice(i, i + EMAILS_PER_CALL) },
        context: { call: 'user-ids' },
      };
      const answer = await this.authorized(exchange);
      const data = this.read(UserIdsAnswerData, answer.body.data, 'data', exchange, answer);
      // Whether a miss is an entry without user_id or no entry at all is unconfirmed: both are misses.
      for (const user of data.user_list ?? []) {
        if (user.email && user.user_id) found.set(user.email.toLowerCase(), user.user_id);
      }
    }
    return found;
  }

  private token(): Promise<string> {
    if (this.givenToken !== undefined) return Promise.resolve(this.givenToken);
    // tenantTokenRenewAt is set only while a fetched token is in hand.
    if (this.now() >= (this.tenantTokenRenewAt ?? Infinity)) {
      this.log.info('The tenant access token expires within 3 minutes; fetching a new one.');
      this.tenantToken = undefined;
    }
    if (this.tenantToken === undefined) {
      this.tenantTokenRenewAt = undefined;
      // Set apart from a given token by the constructor: one or the other is there.
      const pending = this.fetchTenantToken(this.app!);
      this.tenantToken = pending;
      // A refusal (a wrong app id or secret) stays the answer for the run; a passing failure
      // does not. Nothing replaces a token that is still being fetched, so this is its promise.
      pending.catch((error: unknown) => {
        const refused = error instanceof FeishuError && !error.retryable;
        if (!refused) this.tenantToken = undefined;
      });
    }
    return this.tenantToken;
  }

  private async fetchTenantToken(app: { appId: string; appSecret: string }): Promise<string> {
    const exchange: Exchange = {
      method: 'POST',
      endpoint: TOKEN_PATH,
      path: TOKEN_PATH,
      body: { app_id: app.appId, app_secret: app.appSecret },
      context: { call: 'token', token: 'app' },
    };
    const asked = this.now();
    const answer = await this.exchange(exchange, undefined);
    const { tenant_access_token: token, expire } = this.read(TokenAnswer, answer.body, '', exchange, answer);
    this.setSecret(token);
    // `expire` counts from when Feishu answered; counting from when it was asked errs early.
    this.tenantTokenRenewAt = asked + Math.max(0, expire * 1000 - TOKEN_RENEW_AHEAD_MS);
    return token;
  }

  /**
   * Sends a call with the access token. After an error that no other call could get past,
   * remembers it and throws it again for every later call, without a request.
   */
  private async authorized(exchange: Exchange): Promise<Answer> {
    if (this.fatal) throw new FeishuStoppedError(this.fatal);
    try {
      return await this.withToken(exchange);
    } catch (error) {
      if (error instanceof FeishuError && error.fatal) this.fatal ??= error;
      throw error;
    }
  }

  /** Sends a call with the access token; renews a tenant token once if Feishu says it is no good. */
  private async withToken(exchange: Exchange): Promise<Answer> {
    const context: ExplainContext = { ...exchange.context, token: this.givenToken === undefined ? 'app' : 'given' };
    let renewed = false;
    for (;;) {
      const pending = this.token();
      const token = await pending;
      try {
        return await this.exchange({ ...exchange, context }, token);
      } catch (error) {
        const expired = error instanceof FeishuError && TOKEN_RENEWABLE.has(error.code);
        if (!expired || this.givenToken !== undefined || renewed) throw error;
        renewed = true;
        this.log.info(`Feishu says the tenant access token is invalid or has expired (code ${error.code}); fetching a new one.`);
        // Unless another call has renewed it meanwhile.
        if (this.tenantToken === pending) {
          this.tenantToken = undefined;
          this.tenantTokenRenewAt = undefined;
        }
      }
    }
  }

  /** Sends a call, waiting out rate limits and retrying what may succeed later. */
  private async exchange(exchange: Exchange, token: string | undefined): Promise<Answer> {
    let failures = 0;
    let rateLimitWaits = 0;
    for (;;) {
      await this.pace(`${exchange.method} ${exchange.endpoint}`);
      const outcome = await this.attempt(exchange, token);
      if (outcome.kind === 'ok') return outcome.answer;

      if (outcome.kind === 'rate-limited') {
        rateLimitWaits += 1;
        if (rateLimitWaits > MAX_RATE_LIMIT_WAITS) throw this.givingUp(outcome.error, `Still rate limited after ${MAX_RATE_LIMIT_WAITS} waits.`);
        this.log.info(`Feishu's rate limit for ${exchange.method} ${exchange.endpoint} was reached; waiting ${seconds(outcome.waitMs)} as Feishu asks.`);
        await this.pause(outcome.waitMs, outcome.error);
        continue;
      }

      failures += 1;
      if (failures > MAX_RETRIES) throw this.givingUp(outcome.error, `Gave up after ${failures} attempts.`);
      // Full jitter: a random wait up to an exponentially growing bound.
      const delay = Math.floor(this.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1)));
      this.log.info(`${exchange.method} ${exchange.endpoint}: ${outcome.error.message} Retrying in ${seconds(delay)} (retry ${failures} of ${MAX_RETRIES}).`);
      await this.pause(delay, outcome.error);
    }
  }

  private async pace(endpoint: string): Promise<void> {
    for (let wait = this.pacer.reserve(endpoint); wait > 0; wait = this.pacer.reserve(endpoint)) {
      this.log.info(`Keeping under Feishu's rate limit for ${endpoint}: waiting ${seconds(wait)}.`);
      await this.pause(wait);
    }
  }

  private deadline(): number {
    this.deadlineAt ??= this.now() + this.deadlineMs;
    return this.deadlineAt;
  }

  private async pause(ms: number, cause?: FeishuError): Promise<void> {
    if (this.now() + ms > this.deadline()) throw this.pastDeadline(`waiting ${seconds(ms)} more`, cause);
    await this.sleep(ms);
  }

  private pastDeadline(doing: string, cause?: FeishuError): FeishuError {
    const limit = `${seconds(this.deadlineMs)} allowed for this run's Feishu calls`;
    const explanation = `${cause ? `${cause.explanation} ` : ''}Stopped: ${doing} would go past the ${limit}.`;
    return new FeishuError(explanation, { code: cause?.code, httpStatus: cause?.httpStatus, logId: cause?.logId, retryable: true }, { cause });
  }

  private givingUp(error: FeishuError, note: string): FeishuError {
    const { code, httpStatus, logId, retryable, fatal } = error;
    return new FeishuError(`${error.explanation} ${note}`, { code, httpStatus, logId, retryable, fatal }, { cause: error.cause ?? error });
  }

  /** One HTTP request and what to do about its answer. */
  private async attempt(exchange: Exchange, token: string | undefined): Promise<Outcome> {
    const remaining = this.deadline() - this.now();
    if (remaining <= 0) throw this.pastDeadline(`sending ${exchange.method} ${exchange.endpoint}`);
    const timeoutMs = Math.min(this.timeoutMs, remaining);
    const signal = AbortSignal.timeout(timeoutMs);

    const headers: Record<string, string> = { 'user-agent': 'okr-progress-action' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    // Form data brings its own multipart content type, boundary included.
    // JSON.stringify(undefined) is undefined: a call without a body sends none.
    const payload = exchange.body instanceof FormData ? exchange.body : JSON.stringify(exchange.body);
    if (typeof payload === 'string') headers['content-type'] = 'application/json; charset=utf-8';

    this.requests += 1;
    let status: number;
    let headerLogId: string | undefined;
    let rateLimitReset: string | undefined;
    let text: string;
    try {
      const response = await request(this.root + exchange.path, {
        method: exchange.method,
        headers,
        body: payload,
        dispatcher: this.dispatcher,
        signal,
      });
      status = response.statusCode;
      headerLogId = firstHeader(response.headers['x-tt-logid']);
      rateLimitReset = firstHeader(response.headers['x-ogw-ratelimit-reset']);
      text = await response.body.text();
    } catch (cause) {
      return this.broken(exchange, cause, signal.aborted ? `no answer came within ${seconds(timeoutMs)}` : networkTrouble(cause));
    }

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const feishu = isRecord(body) ? body : {};
    const code = typeof feishu.code === 'number' ? feishu.code : undefined;
    const logId = headerLogId ?? (isRecord(feishu.error) && typeof feishu.error.log_id === 'string' ? feishu.error.log_id : undefined);
    this.log.debug(`Feishu ${exchange.method} ${exchange.endpoint}: HTTP ${status}, code ${code ?? 'none'}${logId ? `, log id ${logId}` : ''}`);

    // undici gives final answers only: below 300 is a success.
    if (status < 300 && code === 0) return { kind: 'ok', answer: { body: feishu, logId } };

    if (status === 429 || code === RATE_LIMITED) {
      const explanation = explainFeishuError(RATE_LIMITED, exchange.context);
      const error = new FeishuError(explanation, { code, httpStatus: status, logId, retryable: true });
      return { kind: 'rate-limited', error, waitMs: rateLimitWaitMs(rateLimitReset) };
    }

    if (code !== undefined && code !== 0) {
      const serverMessage = typeof feishu.msg === 'string' && feishu.msg !== '' ? feishu.msg : undefined;
      const explanation = explainFeishuError(code, { ...exchange.context, ...(serverMessage && { serverMessage }) });
      const retryable = isRetryableCode(code) || status >= 500;
      const fatal = refusesCredentials(code, status);
      const error = new FeishuError(explanation, { code, httpStatus: status, logId, retryable, fatal });
      if (retryable) return { kind: 'transient', error };
      throw error;
    }

    return this.notFeishu(exchange, status, logId);
  }

  /** The connection failed or timed out. */
  private broken(exchange: Exchange, cause: unknown, trouble: string): Outcome {
    const code = errorCode(cause);
    if (UNREACHABLE_CODES.has(code) || isTlsFailure(code)) {
      // Nothing was sent, and no other call would get through: no retry, no other target tries.
      throw new FeishuError(`Could not reach Feishu at ${this.root}: ${trouble}. ${this.reachFix(code)}`, { retryable: false, fatal: true }, { cause });
    }
    const sent = !NOT_SENT_CODES.has(code);
    if (exchange.context.call === 'create' && sent) {
      throw new AmbiguousWriteError(
        `The request to create a progress record was sent to Feishu, but ${trouble}: Feishu may have stored the record or not.`,
        {},
        { cause },
      );
    }
    // A host still unreachable after the retries will not be reached by the next target either.
    const error = new FeishuError(`Could not reach Feishu at ${this.root}: ${trouble}.`, { retryable: true, fatal: !sent }, { cause });
    return { kind: 'transient', error };
  }

  private reachFix(code: string | undefined): string {
    const hosts = 'https://open.feishu.cn for Feishu, https://open.larksuite.com for Lark';
    if (isTlsFailure(code)) {
      return `Check that feishu-base-url (${hosts}) names Feishu's API host over https; behind a proxy that inspects TLS, give Node its CA certificate with NODE_EXTRA_CA_CERTS.`;
    }
    if (code === 'ENOTFOUND') return `Check the host name in feishu-base-url (${hosts}) and that the runner can resolve it.`;
    return `Check feishu-base-url (${hosts}) and that the runner may connect to it (a firewall; a proxy set in HTTPS_PROXY, excluded by NO_PROXY).`;
  }

  /** An answer without a Feishu code: a gateway's error page, a wrong base URL, a proxy. */
  private notFeishu(exchange: Exchange, status: number, logId: string | undefined): Outcome {
    const details = { httpStatus: status, logId };
    if (exchange.context.call === 'create' && (status < 300 || status === 502 || status === 504)) {
      // A success we cannot read, or a gateway that gave up waiting: the record may exist.
      throw new AmbiguousWriteError(
        `The request to create a progress record got HTTP ${status} with no Feishu answer in it: Feishu may have stored the record or not.`,
        details,
      );
    }
    const explanation = `Feishu answered ${exchange.method} ${exchange.endpoint} with HTTP ${status} and no Feishu answer in it.`;
    if (status === 401 || status === 403) {
      throw new FeishuError(
        `${explanation} The credentials were refused: check feishu-app-id and feishu-app-secret (or feishu-access-token), and that a proxy between the runner and ${this.root} lets the Authorization header through.`,
        { ...details, retryable: false, fatal: true },
      );
    }
    if (status >= 500) return { kind: 'transient', error: new FeishuError(explanation, { ...details, retryable: true }) };
    throw new FeishuError(`${explanation} Check that feishu-base-url (${this.root}) is the Feishu or Lark API host.`, { ...details, retryable: false });
  }

  /** Checks the shape of an answer; `where` names the part checked, for the message. */
  private read<T>(schema: z.ZodType<T>, value: unknown, where: string, exchange: Exchange, answer: Answer): T {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const problems = result.error.issues
      .slice(0, 3)
      .map((issue) => `${[where, ...issue.path.map(String)].filter(Boolean).join('.')}: ${issue.message}`)
      .join('; ');
    if (exchange.context.call === 'create') {
      throw new AmbiguousWriteError(
        `Feishu accepted the request to create a progress record, but its answer was not understood (${problems}): the record may exist.`,
        { code: 0, logId: answer.logId },
      );
    }
    throw new FeishuError(`Feishu's answer to ${exchange.method} ${exchange.endpoint} was not understood: ${problems}.`, {
      code: 0,
      logId: answer.logId,
      retryable: false,
    });
  }
}
