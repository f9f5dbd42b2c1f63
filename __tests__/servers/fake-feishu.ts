import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  USER_ID_TYPES,
  checkCreateBody,
  checkUpdateBody,
  type ContentBlock,
  type ContentElement,
  type CreateBody,
  type ProgressContent,
  type UserIdType,
} from './feishu-spec.js';
import { BODY_LIMIT_BYTES, WEBHOOK_ERRORS, WEBHOOK_OK, webhookError, type FakeBot, type PostedMessage } from './webhook-spec.js';

// A loopback stand-in for Feishu's tenant token and OKR progress-record APIs that is as
// strict as Feishu: it validates every body against the published page, checks tokens and
// scopes, limits the request rate, and can be told to fail in the ways networks fail.

/** One request as the fake received it. `status` stays 0 when the connection was dropped. */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface FeishuApp {
  appId: string;
  appSecret: string;
  /** false: the app lacks okr:okr and okr:okr.progress:writeonly, so writes answer 1001002. */
  writeScope?: boolean;
  /** false: the app lacks okr:okr.progress.file:upload, so image uploads answer 1001002. */
  uploadScope?: boolean;
  /** false: the app lacks okr:okr:readonly and okr:okr, so periods and users' OKRs answer 99991672. */
  okrReadScope?: boolean;
  /** false: the app lacks contact:user.id:readonly, so batch_get_id answers 99991672. */
  contactScope?: boolean;
}

/** An OKR period (GET /open-apis/okr/v1/periods); times in epoch milliseconds. */
export interface FakePeriod {
  id: string;
  zh_name: string;
  en_name: string;
  /** 0 normal, 1 on hold, 2 invalid, 3 hidden. */
  status: number;
  start: number;
  end: number;
}

/** A user of the tenant and their OKRs, one per period (GET /open-apis/okr/v1/users/:user_id/okrs). */
export interface FakeOkrUser {
  openId: string;
  userId: string;
  email?: string;
  okrs: {
    id: string;
    periodId: string;
    name: string;
    objectives: { id: string; content: string; permission?: 0 | 1; keyResults: { id: string; content: string }[] }[];
  }[];
}

export const DEFAULT_APP: FeishuApp = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'fake-secret-9f8e7d6c5b4a' };

/** The objectives and key results the fake knows; ids from the contract's example. */
export const DEFAULT_OKRS = { objectives: ['7043693679567028244'], keyResults: ['7041430377642082323'] };

export type FeishuRoute = 'token' | 'create' | 'get' | 'update' | 'delete' | 'list' | 'upload' | 'webhook' | 'periods' | 'okrs' | 'user-ids';

/** What the next matching request suffers. Faults are consumed in order, `times` each (default 1). */
export type FeishuFault = { route: FeishuRoute; times?: number } & (
  | { kind: 'status'; status: number; code: number; msg: string }
  | { kind: 'drop-before-store' }
  | { kind: 'drop-after-store' }
  | { kind: 'delay'; ms: number }
  | { kind: 'expire-token' }
);

/**
 * A progress record as the fake keeps it: the create body as sent (content and progress_rate
 * replaced by updates) with the fields Feishu adds. Tests may add or change records directly.
 */
export interface StoredRecord extends CreateBody {
  progress_id: string;
  /** Milliseconds since the epoch, as a string, like Feishu. */
  create_time: string;
  modify_time: string;
}

/** An image uploaded for the records of an objective or key result. */
export interface UploadedImage {
  fileToken: string;
  targetId: string;
  targetType: 2 | 3;
  fileName: string;
  contentType: string;
  data: Buffer;
}

export interface IssuedToken {
  appId: string;
  /** Milliseconds since the epoch; tests may lower it to expire the token. */
  expiresAt: number;
}

export interface FakeFeishuOptions {
  apps?: FeishuApp[];
  okrs?: { objectives: string[]; keyResults: string[] };
  /** Lifetime of tenant tokens (default two hours, as Feishu). */
  tokenTtlMs?: number;
  /** A user access token (`u-…`) accepted besides tenant tokens. */
  acceptUserToken?: string;
  /** false: the v2 list calls answer 1001002, as for an app without okr:okr.progress:readonly. */
  readScope?: boolean;
  /** Requests per endpoint per app allowed in a rolling window (default 100). */
  ratePerMinute?: number;
  /** The rolling window (default 60000 ms). */
  rateWindowMs?: number;
  /**
   * The fake's clock (default Date.now): token lifetimes, rate-limit windows and record times
   * follow it, so that tests can let hours pass without waiting.
   */
  now?: () => number;
  /**
   * The order of the v2 record lists, which Feishu does not document: newest first (the
   * default), oldest first, or shuffled (a fixed permutation of the newest-first order).
   */
  listOrder?: ListOrder;
  /** The most records a list page holds, whatever page_size asks (default 100). */
  listPageLimit?: number;
  /** true: the last page of a list leaves out has_more and page_token, as the SDK's types allow. */
  listOmitsEnd?: boolean;
  /** Custom bots of groups, each answering POST /open-apis/bot/v2/hook/:token. */
  bots?: FakeBot[];
  /** The webhook's clock, in ms (default `now`): signature timestamps and its rate limit. */
  webhookClock?: () => number;
  /** Messages per bot: 5 a second and 100 a minute, as Feishu's; lower to test the limit. */
  webhookRate?: { perSecond: number; perMinute: number };
  /** The tenant's OKR periods, in Feishu's order. */
  periods?: FakePeriod[];
  /** The tenant's users with their OKRs. */
  users?: FakeOkrUser[];
}

export type ListOrder = 'newest-first' | 'oldest-first' | 'shuffled';

export interface FakeFeishu {
  url: string;
  close(): Promise<void>;
  records: Map<string, StoredRecord>;
  /** Uploaded images by file token. */
  images: Map<string, UploadedImage>;
  requests: LoggedRequest[];
  faults: FeishuFault[];
  apps: FeishuApp[];
  okrs: { objectives: string[]; keyResults: string[] };
  tokens: Map<string, IssuedToken>;
  /** May be changed between runs. */
  listOrder: ListOrder;
  bots: FakeBot[];
  /** The messages the bots accepted, in order. */
  messages: PostedMessage[];
  periods: FakePeriod[];
  users: FakeOkrUser[];
}

interface Reply {
  status: number;
  body: Record<string, unknown> | string;
  headers?: Record<string, string>;
}

interface Endpoint {
  method: string;
  pattern: RegExp;
  route: FeishuRoute;
  /** The endpoint's name for rate limiting: each template has its own quota. */
  template: string;
}

const ENDPOINTS: Endpoint[] = [
  { method: 'POST', pattern: /^\/open-apis\/auth\/v3\/tenant_access_token\/internal$/, route: 'token', template: 'POST /open-apis/auth/v3/tenant_access_token/internal' },
  { method: 'POST', pattern: /^\/open-apis\/okr\/v1\/progress_records$/, route: 'create', template: 'POST /open-apis/okr/v1/progress_records' },
  { method: 'GET', pattern: /^\/open-apis\/okr\/v1\/progress_records\/([^/]+)$/, route: 'get', template: 'GET /open-apis/okr/v1/progress_records/:progress_id' },
  { method: 'PUT', pattern: /^\/open-apis\/okr\/v1\/progress_records\/([^/]+)$/, route: 'update', template: 'PUT /open-apis/okr/v1/progress_records/:progress_id' },
  { method: 'DELETE', pattern: /^\/open-apis\/okr\/v1\/progress_records\/([^/]+)$/, route: 'delete', template: 'DELETE /open-apis/okr/v1/progress_records/:progress_id' },
  { method: 'GET', pattern: /^\/open-apis\/okr\/v2\/objectives\/([^/]+)\/progresses$/, route: 'list', template: 'GET /open-apis/okr/v2/objectives/:objective_id/progresses' },
  { method: 'GET', pattern: /^\/open-apis\/okr\/v2\/key_results\/([^/]+)\/progresses$/, route: 'list', template: 'GET /open-apis/okr/v2/key_results/:key_result_id/progresses' },
  { method: 'POST', pattern: /^\/open-apis\/okr\/v1\/images\/upload$/, route: 'upload', template: 'POST /open-apis/okr/v1/images/upload' },
  { method: 'POST', pattern: /^\/open-apis\/bot\/v2\/hook\/([^/]+)$/, route: 'webhook', template: 'POST /open-apis/bot/v2/hook/:token' },
  { method: 'GET', pattern: /^\/open-apis\/okr\/v1\/periods$/, route: 'periods', template: 'GET /open-apis/okr/v1/periods' },
  { method: 'GET', pattern: /^\/open-apis\/okr\/v1\/users\/([^/]+)\/okrs$/, route: 'okrs', template: 'GET /open-apis/okr/v1/users/:user_id/okrs' },
  { method: 'POST', pattern: /^\/open-apis\/contact\/v3\/users\/batch_get_id$/, route: 'user-ids', template: 'POST /open-apis/contact/v3/users/batch_get_id' },
];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// Feishu hands out a fresh token only when the current one has less than this left.
const TOKEN_REUSE_MIN_MS = 30 * 60 * 1000;

/** Who is calling: an app through its tenant token, or the accepted user token. */
interface Caller {
  rateKey: string;
  writeScope: boolean;
  uploadScope: boolean;
  okrReadScope: boolean;
  contactScope: boolean;
  /** Periods and batch_get_id take a tenant token only. */
  tenant: boolean;
}

interface Call {
  req: IncomingMessage;
  url: URL;
  endpoint: Endpoint;
  id: string;
  body: string;
  raw: Buffer;
}

export async function startFakeFeishu(options: FakeFeishuOptions = {}): Promise<FakeFeishu> {
  const tokenTtlMs = options.tokenTtlMs ?? 7200 * 1000;
  const ratePerMinute = options.ratePerMinute ?? 100;
  const rateWindowMs = options.rateWindowMs ?? 60_000;
  const readScope = options.readScope ?? true;
  const clock = options.now ?? Date.now;
  const listPageLimit = options.listPageLimit ?? 100;
  const records = new Map<string, StoredRecord>();
  const images = new Map<string, UploadedImage>();
  // Known once the server listens; image addresses are built on it.
  let baseUrl = '';
  const requests: LoggedRequest[] = [];
  const faults: FeishuFault[] = [];
  const apps = [...(options.apps ?? [DEFAULT_APP])];
  const okrs = {
    objectives: [...(options.okrs ?? DEFAULT_OKRS).objectives],
    keyResults: [...(options.okrs ?? DEFAULT_OKRS).keyResults],
  };
  const tokens = new Map<string, IssuedToken>();
  const periods = [...(options.periods ?? [])];
  const users = [...(options.users ?? [])];
  const recentHits = new Map<string, number[]>();
  const bots = [...(options.bots ?? [])];
  const messages: PostedMessage[] = [];
  const webhookClock = options.webhookClock ?? options.now ?? Date.now;
  const webhookRate = options.webhookRate ?? { perSecond: 5, perMinute: 100 };
  const botHits = new Map<string, number[]>();

  function takeFault(route: FeishuRoute): FeishuFault | undefined {
    const index = faults.findIndex((f) => f.route === route);
    const fault = faults[index];
    if (!fault) return undefined;
    const left = (fault.times ?? 1) - 1;
    if (left > 0) fault.times = left;
    else faults.splice(index, 1);
    return fault;
  }

  function issueToken(call: Call): Reply {
    const json = readJson(call.req, call.body);
    if (!json.ok) return fail(400, 10003, `invalid param: ${json.problem}`);
    const { app_id: appId, app_secret: appSecret } = (json.value ?? {}) as Record<string, unknown>;
    if (typeof appId !== 'string' || typeof appSecret !== 'string') {
      return fail(400, 10003, 'invalid param: app_id and app_secret are required strings');
    }
    const app = apps.find((a) => a.appId === appId);
    if (!app) return fail(400, 10003, `invalid param: app_id ${appId} does not exist`);
    if (app.appSecret !== appSecret) return fail(400, 10014, 'app secret invalid');

    const now = clock();
    const current = [...tokens].find(([, t]) => t.appId === appId && t.expiresAt - now >= TOKEN_REUSE_MIN_MS);
    if (current) {
      const [token, issued] = current;
      return ok({ code: 0, msg: 'ok', tenant_access_token: token, expire: Math.floor((issued.expiresAt - now) / 1000) });
    }
    const token = `t-${randomBytes(20).toString('hex')}`;
    tokens.set(token, { appId, expiresAt: now + tokenTtlMs });
    return ok({ code: 0, msg: 'ok', tenant_access_token: token, expire: Math.floor(tokenTtlMs / 1000) });
  }

  function authenticate(headers: IncomingHttpHeaders): Caller | Reply {
    const header = headers.authorization;
    if (!header) {
      return fail(400, 99991661, 'Missing access token for authorization. Please make a request with token attached.');
    }
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    if (!token || !/^[tu]-\S+$/.test(token)) {
      return fail(400, 99991671, 'Invalid access token for authorization: the token format is wrong. Send "Authorization: Bearer <token>".');
    }
    if (token === options.acceptUserToken) {
      return { rateKey: `user ${token}`, writeScope: true, uploadScope: true, okrReadScope: true, contactScope: true, tenant: false };
    }
    if (token.startsWith('u-')) return fail(400, 99991668, 'Invalid access token for authorization: user access token is invalid.');
    const issued = tokens.get(token);
    if (!issued) return fail(400, 99991665, 'Invalid access token for authorization: tenant access token is invalid.');
    if (issued.expiresAt <= clock()) {
      return fail(400, 99991663, 'Invalid access token for authorization: tenant access token has expired. Fetch a new one.');
    }
    const app = apps.find((a) => a.appId === issued.appId);
    return {
      rateKey: `app ${issued.appId}`,
      writeScope: app?.writeScope ?? true,
      uploadScope: app?.uploadScope ?? true,
      okrReadScope: app?.okrReadScope ?? true,
      contactScope: app?.contactScope ?? true,
      tenant: true,
    };
  }

  function expireBearerToken(headers: IncomingHttpHeaders): void {
    const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
    const issued = token ? tokens.get(token) : undefined;
    if (issued) issued.expiresAt = clock();
  }

  function overRateLimit(key: string): Reply | undefined {
    const now = clock();
    const hits = (recentHits.get(key) ?? []).filter((t) => t > now - rateWindowMs);
    recentHits.set(key, hits);
    const oldest = hits[0];
    if (oldest !== undefined && hits.length >= ratePerMinute) {
      const resetSeconds = Math.max(1, Math.ceil((oldest + rateWindowMs - now) / 1000));
      const reply = fail(429, 99991400, 'request trigger frequency limit');
      reply.headers = { 'x-ogw-ratelimit-limit': String(ratePerMinute), 'x-ogw-ratelimit-reset': String(resetSeconds) };
      return reply;
    }
    hits.push(now);
    return undefined;
  }

  function targetExists(type: 2 | 3, id: string): boolean {
    return (type === 2 ? okrs.objectives : okrs.keyResults).includes(id);
  }

  function newProgressId(): string {
    for (;;) {
      const id = `7${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e9)).padStart(9, '0')}`;
      if (!records.has(id)) return id;
    }
  }

  function createRecord(call: Call, caller: Caller): Reply {
    if (!caller.writeScope) return noWriteScope();
    const userIdType = readUserIdType(call.url);
    if (!userIdType.ok) return userIdType.reply;
    const json = readJson(call.req, call.body);
    if (!json.ok) return invalid([json.problem]);
    const checked = checkCreateBody(json.value, userIdType.value);
    if (!checked.ok) return invalid(checked.problems);
    const body = checked.value;
    if (!targetExists(body.target_type, body.target_id)) return okrNotFound(body.target_type, body.target_id);
    const now = String(clock());
    const record: StoredRecord = { progress_id: newProgressId(), ...body, create_time: now, modify_time: now };
    records.set(record.progress_id, record);
    return ok({ code: 0, msg: 'success', data: recordData(record) });
  }

  function getRecord(call: Call): Reply {
    const record = records.get(call.id);
    if (!record) return recordNotFound(call.id);
    return ok({ code: 0, msg: 'success', data: recordData(record) });
  }

  function updateRecord(call: Call, caller: Caller): Reply {
    if (!caller.writeScope) return noWriteScope();
    const userIdType = readUserIdType(call.url);
    if (!userIdType.ok) return userIdType.reply;
    const json = readJson(call.req, call.body);
    if (!json.ok) return invalid([json.problem]);
    const checked = checkUpdateBody(json.value, userIdType.value);
    if (!checked.ok) return invalid(checked.problems);
    const record = records.get(call.id);
    if (!record) return recordNotFound(call.id);
    record.content = checked.value.content;
    if (checked.value.progress_rate !== undefined) record.progress_rate = checked.value.progress_rate;
    record.modify_time = String(Math.max(clock(), Number(record.modify_time)));
    return ok({ code: 0, msg: 'success', data: recordData(record) });
  }

  /** Multipart fields `data` (a PNG file), `target_id` and `target_type`, as the upload page lists them. */
  async function uploadImage(call: Call, caller: Caller): Promise<Reply> {
    if (!caller.uploadScope) return fail(400, 1001002, 'no permission: the app may not upload images (scope okr:okr.progress.file:upload)');
    const contentType = call.req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data;\s*boundary=/i.test(contentType)) return invalid(['Content-Type: must be multipart/form-data with a boundary']);
    let form: globalThis.FormData;
    try {
      form = await new Request('http://127.0.0.1/', { method: 'POST', headers: { 'content-type': contentType }, body: call.raw }).formData();
    } catch {
      return invalid(['body: is not valid multipart/form-data']);
    }
    const problems: string[] = [];
    const data = form.get('data');
    const targetId = form.get('target_id');
    const targetType = form.get('target_type');
    if (!(data instanceof Blob)) problems.push('data: must be a file');
    if (typeof targetId !== 'string' || !/^\d+$/.test(targetId)) problems.push('target_id: must be the id of an objective or key result');
    if (targetType !== '2' && targetType !== '3') problems.push('target_type: must be 2 (objective) or 3 (key result)');
    const bytes = data instanceof Blob ? Buffer.from(await data.arrayBuffer()) : Buffer.alloc(0);
    if (data instanceof Blob && !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) problems.push('data: is not a PNG image');
    if (problems.length) return invalid(problems);
    const type = targetType === '2' ? 2 : 3;
    if (!targetExists(type, targetId as string)) return okrNotFound(type, targetId as string);

    const fileToken = `boxcn${randomBytes(12).toString('hex')}`;
    images.set(fileToken, {
      fileToken,
      targetId: targetId as string,
      targetType: type,
      fileName: data instanceof File ? data.name : '',
      contentType: (data as Blob).type,
      data: bytes,
    });
    // Like Feishu's, the address carries an expiring ticket; the file token is what lasts.
    const url = `${baseUrl}/open-apis/okr/v1/images/${fileToken}?ticket=${randomBytes(8).toString('hex')}`;
    return ok({ code: 0, msg: 'success', data: { file_token: fileToken, url } });
  }

  function deleteRecord(call: Call, caller: Caller): Reply {
    if (!caller.writeScope) return noWriteScope();
    if (!records.delete(call.id)) return recordNotFound(call.id);
    return ok({ code: 0, msg: 'success' });
  }

  function listRecords(call: Call): Reply {
    if (!readScope) {
      return fail(400, 1001002, 'no permission: the app may not read progress records (scope okr:okr.progress:readonly)');
    }
    const type = call.endpoint.template.includes('/objectives/') ? 2 : 3;
    if (!targetExists(type, call.id)) return okrNotFound(type, call.id);

    const pageSizeText = call.url.searchParams.get('page_size') ?? '10';
    const pageSize = /^\d+$/.test(pageSizeText) ? Number(pageSizeText) : NaN;
    if (!(pageSize >= 1 && pageSize <= 100)) return invalid(['page_size: must be an integer between 1 and 100']);

    const newestFirst = [...records.values()]
      .map((record, order) => ({ record, order }))
      .filter(({ record }) => record.target_type === type && record.target_id === call.id)
      .sort((a, b) => Number(b.record.create_time) - Number(a.record.create_time) || b.order - a.order)
      .map(({ record }) => record);
    const listed = ordered(newestFirst, fake.listOrder);

    let start = 0;
    const pageToken = call.url.searchParams.get('page_token');
    if (pageToken) {
      const after = Buffer.from(pageToken, 'base64url').toString();
      const index = listed.findIndex((r) => r.progress_id === after);
      if (index < 0) return invalid(['page_token: is not a page token this list gave out']);
      start = index + 1;
    }
    const size = Math.min(pageSize, listPageLimit);
    const page = listed.slice(start, start + size);
    const last = page[page.length - 1];
    const hasMore = start + size < listed.length;
    const end = options.listOmitsEnd && !hasMore;
    return ok({
      code: 0,
      msg: 'success',
      data: {
        ...(!end && {
          has_more: hasMore,
          page_token: hasMore && last ? Buffer.from(last.progress_id).toString('base64url') : '',
        }),
        items: page.map((record) => ({
          id: record.progress_id,
          create_time: record.create_time,
          update_time: record.modify_time,
          entity_type: record.target_type,
          entity_id: record.target_id,
          content: toSnakeCaseContent(record.content),
          progress_rate: {
            progress_percent: record.progress_rate?.percent ?? 0,
            progress_status: record.progress_rate?.status ?? -1,
          },
        })),
      },
    });
  }

  /** A custom bot's webhook: no access token, the checks of its security settings, HTTP 200 always. */
  function receiveWebhook(call: Call): Reply {
    const bot = bots.find((b) => b.token === call.id);
    if (!bot) return { status: 200, body: { ...WEBHOOK_ERRORS.token, data: {} } };
    const now = webhookClock();
    const hits = (botHits.get(bot.token) ?? []).filter((t) => t > now - 60_000);
    botHits.set(bot.token, hits);
    if (hits.length >= webhookRate.perMinute || hits.filter((t) => t > now - 1000).length >= webhookRate.perSecond) {
      return { status: 200, body: { ...WEBHOOK_ERRORS.rateLimit, data: {} } };
    }
    hits.push(now);
    let body: unknown;
    try {
      body = call.raw.length > BODY_LIMIT_BYTES ? undefined : JSON.parse(call.body);
    } catch {
      body = undefined;
    }
    const error = webhookError(bot, body, now);
    if (error) return { status: 200, body: { ...error, data: {} } };
    messages.push({ token: bot.token, body: body as Record<string, unknown> });
    return ok({ ...WEBHOOK_OK });
  }

  /** Pages of 1 to 100 (the real maximum is unconfirmed); the token is the next index. */
  function listPeriods(call: Call, caller: Caller): Reply {
    if (!caller.okrReadScope) return scopeMissing(['okr:okr:readonly', 'okr:okr']);
    // Tenant token only; the code Feishu gives a user token here is unconfirmed.
    if (!caller.tenant) return invalid(['this API takes a tenant_access_token only']);
    const sizeText = call.url.searchParams.get('page_size') ?? '10';
    const size = /^\d+$/.test(sizeText) ? Number(sizeText) : NaN;
    if (!(size >= 1 && size <= 100)) return invalid(['page_size: must be an integer between 1 and 100']);
    const tokenText = call.url.searchParams.get('page_token');
    const start = tokenText ? Number(Buffer.from(tokenText, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0 || start > periods.length) return invalid(['page_token: is not a page token this list gave out']);
    const hasMore = start + size < periods.length;
    return ok({
      code: 0,
      msg: 'success',
      data: {
        has_more: hasMore,
        // Given only when there is more, as the page says.
        ...(hasMore && { page_token: Buffer.from(String(start + size)).toString('base64url') }),
        items: periods.slice(start, start + size).map((p) => ({
          id: p.id,
          zh_name: p.zh_name,
          en_name: p.en_name,
          status: p.status,
          period_start_time: String(p.start),
          period_end_time: String(p.end),
        })),
      },
    });
  }

  /** offset and limit are required strings; period_ids a repeated key of at most 10 ids. */
  function listUserOkrs(call: Call, caller: Caller): Reply {
    if (!caller.okrReadScope) return scopeMissing(['okr:okr:readonly', 'okr:okr']);
    const query = call.url.searchParams;
    const problems: string[] = [];
    const idType = query.get('user_id_type') ?? 'open_id';
    if (!['open_id', 'union_id', 'user_id', 'people_admin_id'].includes(idType)) problems.push('user_id_type: must be open_id, union_id, user_id or people_admin_id');
    const offsetText = query.get('offset');
    const limitText = query.get('limit');
    if (offsetText === null || !/^\d+$/.test(offsetText)) problems.push('offset: is required, a string of digits');
    if (limitText === null || !/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 10) problems.push('limit: is required, from 1 to 10');
    const periodIds = query.getAll('period_ids');
    if (periodIds.length > 10) problems.push('period_ids: at most 10');
    if (periodIds.some((id) => !/^\d+$/.test(id))) problems.push('period_ids: each must be one period id (repeat the key for several)');
    const lang = query.get('lang');
    if (lang !== null && lang !== 'zh_cn' && lang !== 'en_us') problems.push('lang: must be zh_cn or en_us');
    const unknown = [...query.keys()].filter((k) => !['user_id_type', 'offset', 'limit', 'period_ids', 'lang'].includes(k));
    if (unknown.length) problems.push(`unknown parameters: ${unknown.join(', ')}`);
    if (problems.length) return invalid(problems);
    const user = users.find((u) => (idType === 'user_id' ? u.userId : u.openId) === call.id);
    if (!user) return fail(400, 1001003, `user not found: ${call.id}`);
    const okrs = user.okrs.filter((o) => periodIds.length === 0 || periodIds.includes(o.periodId));
    const offset = Number(offsetText);
    return ok({
      code: 0,
      msg: 'success',
      data: {
        total: okrs.length,
        okr_list: okrs.slice(offset, offset + Number(limitText)).map((okr) => ({
          id: okr.id,
          permission: 1,
          period_id: okr.periodId,
          name: okr.name,
          confirm_status: 4,
          objective_list: okr.objectives.map((o) =>
            o.permission === 0
              ? { id: o.id, permission: 0 }
              : {
                  id: o.id,
                  permission: 1,
                  content: o.content,
                  progress_report: '',
                  score: 0,
                  weight: 100,
                  progress_rate: { percent: 0, status: '-1' },
                  kr_list: o.keyResults.map((kr) => ({ id: kr.id, content: kr.content, score: 0, kr_weight: 0, progress_rate: { percent: 0, status: '-1' }, deadline: '0' })),
                  deadline: '0',
                },
          ),
        })),
      },
    });
  }

  /** Emails to ids; an unknown address comes back as an entry without user_id (whether Feishu leaves it out instead is unconfirmed). */
  function userIds(call: Call, caller: Caller): Reply {
    if (!caller.contactScope) return scopeMissing(['contact:user.id:readonly']);
    if (!caller.tenant) return invalid(['this API takes a tenant_access_token only']);
    const idType = call.url.searchParams.get('user_id_type') ?? 'open_id';
    if (idType !== 'open_id' && idType !== 'user_id' && idType !== 'union_id') return invalid(['user_id_type: must be open_id, union_id or user_id']);
    const json = readJson(call.req, call.body);
    if (!json.ok) return invalid([json.problem]);
    const { emails, mobiles } = (json.value ?? {}) as { emails?: unknown; mobiles?: unknown };
    if (emails !== undefined && (!Array.isArray(emails) || emails.length > 50 || emails.some((e) => typeof e !== 'string'))) {
      return invalid(['emails: must be a list of at most 50 strings']);
    }
    if (mobiles !== undefined) return invalid(['mobiles: this fake knows no phone numbers']);
    return ok({
      code: 0,
      msg: 'success',
      data: {
        user_list: ((emails ?? []) as string[]).map((email) => {
          const user = users.find((u) => u.email?.toLowerCase() === email.toLowerCase());
          return user ? { user_id: idType === 'user_id' ? user.userId : user.openId, email } : { email };
        }),
      },
    });
  }

  function answer(call: Call): Reply | Promise<Reply> {
    if (call.endpoint.route === 'token') return issueToken(call);
    if (call.endpoint.route === 'webhook') return receiveWebhook(call);
    const caller = authenticate(call.req.headers);
    if ('status' in caller) return caller;
    const limited = overRateLimit(`${call.endpoint.template} ${caller.rateKey}`);
    if (limited) return limited;
    switch (call.endpoint.route) {
      case 'create':
        return createRecord(call, caller);
      case 'get':
        return getRecord(call);
      case 'update':
        return updateRecord(call, caller);
      case 'delete':
        return deleteRecord(call, caller);
      case 'list':
        return listRecords(call);
      case 'upload':
        return uploadImage(call, caller);
      case 'periods':
        return listPeriods(call, caller);
      case 'okrs':
        return listUserOkrs(call, caller);
      case 'user-ids':
        return userIds(call, caller);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readRawBody(req);
    const body = raw.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const logged: LoggedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      status: 0,
    };
    requests.push(logged);
    const send = (reply: Reply) => {
      logged.status = reply.status;
      sendReply(res, reply);
    };

    const endpoint = ENDPOINTS.find((e) => e.method === req.method && e.pattern.test(url.pathname));
    if (!endpoint) return send({ status: 404, body: '404 page not found' });
    const call: Call = { req, url, endpoint, id: decodeURIComponent(endpoint.pattern.exec(url.pathname)?.[1] ?? ''), body, raw };

    const fault = takeFault(endpoint.route);
    switch (fault?.kind) {
      case 'status':
        return send(fail(fault.status, fault.code, fault.msg));
      case 'drop-before-store':
        req.socket.destroy();
        return;
      case 'expire-token':
        expireBearerToken(req.headers);
        return send(fail(400, 99991663, 'Invalid access token for authorization: tenant access token has expired. Fetch a new one.'));
      case 'delay':
        await sleep(fault.ms);
        break;
    }
    const reply = await answer(call);
    if (fault?.kind === 'drop-after-store') {
      req.socket.destroy();
      return;
    }
    send(reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendReply(res, fail(500, 1009999, `internal server error: ${String(error)}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  const fake: FakeFeishu = {
    url: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
    records,
    images,
    requests,
    faults,
    apps,
    okrs,
    tokens,
    listOrder: options.listOrder ?? 'newest-first',
    bots,
    messages,
    periods,
    users,
  };
  return fake;
}

/** The records, given newest first, in the order a list answers them. */
function ordered(newestFirst: StoredRecord[], order: ListOrder): StoredRecord[] {
  if (order === 'newest-first') return newestFirst;
  if (order === 'oldest-first') return [...newestFirst].reverse();
  // A fixed shuffle: every second record from the second on, then the others. From three
  // records on it is neither newest nor oldest first, and it stays the same from page to page.
  return [...newestFirst.filter((_, i) => i % 2 === 1), ...newestFirst.filter((_, i) => i % 2 === 0)];
}

function ok(body: Record<string, unknown>): Reply {
  return { status: 200, body };
}

function fail(status: number, code: number, msg: string): Reply {
  return { status, body: { code, msg } };
}

function invalid(problems: string[]): Reply {
  return fail(400, 1001001, `invalid parameters: ${problems.join('; ')}`);
}

/** What Feishu's gateway answers an app that lacks every scope an API accepts. */
function scopeMissing(scopes: string[]): Reply {
  return fail(400, 99991672, `Access denied. One of the following scopes is required: [${scopes.join(', ')}].`);
}

function noWriteScope(): Reply {
  return fail(400, 1001002, 'no permission: the app may not write progress records (scope okr:okr or okr:okr.progress:writeonly)');
}

function okrNotFound(type: 2 | 3, id: string): Reply {
  return fail(400, 1001004, `okr data not found: no ${type === 2 ? 'objective' : 'key result'} has the id ${id}`);
}

function recordNotFound(id: string): Reply {
  return fail(400, 1001004, `okr data not found: no progress record has the id ${id}`);
}

function recordData(record: StoredRecord): Record<string, unknown> {
  return {
    progress_id: record.progress_id,
    modify_time: record.modify_time,
    content: record.content,
    ...(record.progress_rate !== undefined && { progress_rate: record.progress_rate }),
  };
}

function readUserIdType(url: URL): { ok: true; value: UserIdType } | { ok: false; reply: Reply } {
  const value = url.searchParams.get('user_id_type') ?? 'open_id';
  const known = USER_ID_TYPES.find((t) => t === value);
  if (known) return { ok: true, value: known };
  return { ok: false, reply: invalid([`user_id_type: must be one of ${USER_ID_TYPES.join(', ')}`]) };
}

function readJson(req: IncomingMessage, body: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const [mediaType = '', ...parameters] = (req.headers['content-type'] ?? '').split(';').map((p) => p.trim().toLowerCase());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (mediaType !== 'application/json' || charset !== 'utf-8') {
    return { ok: false, problem: 'Content-Type: must be "application/json; charset=utf-8"' };
  }
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false, problem: 'body: is not valid JSON' };
  }
}

/** The v2 list calls return content in their own snake_case dialect. */
export function toSnakeCaseContent(content: ProgressContent): Record<string, unknown> {
  return { blocks: content.blocks.map(snakeCaseBlock) };
}

function snakeCaseBlock(block: ContentBlock): Record<string, unknown> {
  if (block.type === 'gallery') {
    return {
      block_element_type: 'gallery',
      gallery: {
        images: block.gallery.imageList.map((image) =>
          compact({ file_token: image.fileToken, src: image.src, width: image.width, height: image.height }),
        ),
      },
    };
  }
  const { style, elements } = block.paragraph;
  const list = style?.list;
  return {
    block_element_type: 'paragraph',
    paragraph: compact({
      style: style && compact({ list: list && compact({ list_type: list.type, indent_level: list.indentLevel, number: list.number }) }),
      elements: elements?.map(snakeCaseElement),
    }),
  };
}

function snakeCaseElement(element: ContentElement): Record<string, unknown> {
  switch (element.type) {
    case 'textRun': {
      const style = element.textRun.style;
      return {
        paragraph_element_type: 'textRun',
        text_run: compact({
          text: element.textRun.text,
          style:
            style &&
            compact({
              bold: style.bold,
              strike_through: style.strikeThrough,
              text_color: style.textColor,
              back_color: style.backColor,
              link: style.link && { url: style.link.url },
            }),
        }),
      };
    }
    case 'docsLink':
      return { paragraph_element_type: 'docsLink', docs_link: compact({ url: element.docsLink.url, title: element.docsLink.title }) };
    case 'person':
      return { paragraph_element_type: 'mention', mention: { user_id: element.person.openId } };
  }
}

function compact(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const logId = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}${randomBytes(10).toString('hex').toUpperCase()}`;
  let text: string;
  let contentType: string;
  if (typeof reply.body === 'string') {
    text = reply.body;
    contentType = 'text/plain; charset=utf-8';
  } else {
    // Feishu repeats the log id in the body of every error answer.
    const body = reply.body.code === 0 ? reply.body : { ...reply.body, error: { log_id: logId } };
    text = JSON.stringify(body);
    contentType = 'application/json; charset=utf-8';
  }
  res.writeHead(reply.status, { 'content-type': contentType, 'x-tt-logid': logId, ...reply.headers });
  res.end(text);
}

// The two helpers below are shared with the fake GitHub server.

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRawBody(req)).toString('utf8');
}

/** The body as bytes, for multipart uploads that carry binary files. */
async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
