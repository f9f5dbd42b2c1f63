// Feishu error codes in words a user can act on (see spec/feishu-okr-api-notes.md, "Errors").

/** Which Feishu call failed; the advice depends on it. */
export type FeishuCall = 'token' | 'create' | 'update' | 'get' | 'list' | 'upload' | 'periods' | 'okrs' | 'user-ids';

export interface ExplainContext {
  call: FeishuCall;
  /** Where the access token came from: fetched with the app id and secret, or given as is. */
  token?: 'app' | 'given';
  targetType?: 2 | 3;
  targetId?: string;
  progressId?: string;
  /** The user whose OKRs were asked for (list-okrs). */
  userId?: string;
  /** Feishu's own `msg`, quoted where it names the field or scope at fault. */
  serverMessage?: string;
}

export const RATE_LIMITED = 99991400;
export const TOKEN_EXPIRED = 99991663;
/**
 * The access token itself is no good (anymore), so a freshly fetched one may be accepted:
 * 99991663 says the tenant token is invalid or has expired; 99991664 is its twin in Feishu's
 * generic code list for an app access token that is invalid or has expired (unconfirmed that
 * the OKR APIs send it; renewing once is harmless if they do not).
 */
export const TOKEN_RENEWABLE: ReadonlySet<number | undefined> = new Set([TOKEN_EXPIRED, 99991664]);
/**
 * Refusals of the credentials themselves (a wrong app id or secret, a token that is no good
 * even after a renewal): every later call of the run would be refused the same way.
 */
const CREDENTIALS_REFUSED: ReadonlySet<number> = new Set([10003, 10014, 99991661, 99991663, 99991664, 99991665, 99991668, 99991671]);
/** Refusals of one call or one OKR, which other calls may not meet, even when they come as HTTP 401/403. */
const SCOPED_REFUSALS: ReadonlySet<number> = new Set([1001001, 1001002, 1001003, 1001004, 99991672]);

/** Whether an answer refuses the run's credentials, so that no other Feishu call of the run can succeed. */
export function refusesCredentials(code: number | undefined, httpStatus: number): boolean {
  if (code !== undefined && CREDENTIALS_REFUSED.has(code)) return true;
  return (httpStatus === 401 || httpStatus === 403) && !(code !== undefined && SCOPED_REFUSALS.has(code));
}
/** Errors on Feishu's side: another attempt may succeed. */
const SERVER_ERRORS: ReadonlySet<number> = new Set([1009998, 1009999]);

export function isRetryableCode(code: number): boolean {
  return SERVER_ERRORS.has(code) || code === RATE_LIMITED;
}

interface Explanation {
  /** What went wrong, after "Feishu refused: " or "Feishu failed: ". */
  what: string;
  /** What to do about it. */
  fix: string;
}

const WRITE_SCOPE = 'okr:okr.progress:writeonly (or okr:okr)';
const READ_SCOPE = 'okr:okr.progress:readonly (or okr:okr)';

const UPLOAD_SCOPE = 'okr:okr.progress.file:upload';
// list-okrs reads OKRs and, for emails, user ids; it needs no write scope.
const OKR_READ_SCOPE = 'okr:okr:readonly (or okr:okr)';
const USER_ID_SCOPE = 'contact:user.id:readonly';

function scopeFor(call: FeishuCall): string {
  if (call === 'upload') return UPLOAD_SCOPE;
  if (call === 'periods' || call === 'okrs') return OKR_READ_SCOPE;
  if (call === 'user-ids') return USER_ID_SCOPE;
  return call === 'get' || call === 'list' ? READ_SCOPE : WRITE_SCOPE;
}

function targetWords(context: ExplainContext): string {
  const key = context.targetType === 2 ? 'objective' : context.targetType === 3 ? 'key_result' : 'target';
  return context.targetId ? `${key} "${context.targetId}"` : 'the target';
}

function quoted(message: string | undefined): string {
  return message ? `Feishu says: "${message}". ` : '';
}

function okrPermission(c: ExplainContext): Explanation {
  return {
    what: 'the app has no permission for this OKR',
    fix:
      c.token === 'given'
        ? `Make sure the access token in feishu-access-token carries the ${scopeFor(c.call)} scope and that its user or app may see the OKR of ${targetWords(c)}.`
        : `Grant the app the ${scopeFor(c.call)} scope in the Feishu developer console, publish a new version of the app, and make sure the app may see the OKR of ${targetWords(c)}.`,
  };
}

const EXPLANATIONS: Record<number, (context: ExplainContext) => Explanation> = {
  10003: () => ({
    what: 'the app id is wrong',
    fix: 'Fix the feishu-app-id input: it is the App ID (cli_…) on the Credentials page of the app in the Feishu developer console.',
  }),
  10014: () => ({
    what: 'the app secret is wrong',
    fix: 'Fix the feishu-app-secret input: copy the App Secret of the same app from its Credentials page (resetting it there invalidates the old one).',
  }),
  1001001: (c) => ({
    what: 'invalid parameters',
    fix: `${quoted(c.serverMessage)}Check ${targetWords(c)} in the mapping file; if the ids are right, the request the action built is wrong.`,
  }),
  1001002: (c) =>
    c.call === 'periods' || c.call === 'okrs'
      ? {
          what: 'the app may not read OKRs',
          fix:
            c.token === 'given'
              ? `Make sure the access token in feishu-access-token carries the ${scopeFor(c.call)} scope.`
              : `Grant the app the ${scopeFor(c.call)} scope and the permission to read OKR data as the app (以应用身份访问OKR信息) in the Feishu developer console, then publish a new version of the app.`,
        }
      : okrPermission(c),
  1001003: (c) =>
    c.call === 'okrs'
      ? {
          what: `user "${c.userId ?? ''}" was not found`,
          fix: 'Check the list-okrs input: an email, an open_id (ou_…) as this app sees it, or a user_id of a member of this tenant.',
        }
      : {
          what: 'a user was not found',
          fix: 'Check the open_ids under people in the mapping file: each must be the open_id (ou_…) of a user of this tenant as this app sees it (open_ids differ from app to app).',
        },
  1001004: (c) =>
    c.call === 'update' || c.call === 'get'
      ? {
          what: `progress record "${c.progressId ?? ''}" was not found`,
          fix: 'It may have been deleted in Feishu; a new record is needed.',
        }
      : {
          what: `${targetWords(c)} was not found`,
          fix: `Check ${targetWords(c)} in the mapping file: ${
            c.targetType === 2
              ? "it must be the id of an objective in Feishu OKR (a key result's id goes under key_result:)."
              : "it must be the id of a key result in Feishu OKR (an objective's id goes under objective:)."
          }`,
        },
  1009998: () => ({ what: "system exception on Feishu's side", fix: 'Try again later.' }),
  1009999: () => ({ what: "internal server error on Feishu's side", fix: 'Try again later.' }),
  99991400: () => ({
    what: 'too many requests',
    fix: 'The app reached its rate limit for this API (100 a minute); try again later.',
  }),
  99991661: () => ({
    what: 'no access token was sent',
    fix: 'Set feishu-app-id and feishu-app-secret, or feishu-access-token.',
  }),
  99991663: (c) =>
    c.token === 'given'
      ? {
          what: 'the access token is invalid or has expired',
          fix: 'The token in feishu-access-token has expired (tenant and user tokens live at most 2 hours). Set feishu-app-id and feishu-app-secret instead, so that each run fetches a fresh token.',
        }
      : {
          what: 'the tenant access token is invalid or has expired',
          fix: 'A freshly fetched token was refused too; check that the app is enabled and installed in this tenant.',
        },
  99991664: (c) =>
    c.token === 'given'
      ? {
          what: 'the access token is invalid or has expired',
          fix: 'Put a fresh token in feishu-access-token, or set feishu-app-id and feishu-app-secret instead, so that each run fetches a fresh token.',
        }
      : {
          what: 'the app access token is invalid or has expired',
          fix: 'A freshly fetched token was refused too; check that the app is enabled and installed in this tenant.',
        },
  99991665: (c) => ({
    what: 'the tenant access token is invalid',
    fix:
      c.token === 'given'
        ? 'Check feishu-access-token: it must be a tenant_access_token (t-…) or user_access_token (u-…).'
        : 'Check that feishu-app-id and feishu-app-secret belong to an app installed in this tenant.',
  }),
  99991668: () => ({
    what: 'the user access token is invalid or has expired',
    fix: 'Put a fresh user access token in feishu-access-token, or set feishu-app-id and feishu-app-secret instead.',
  }),
  99991671: () => ({
    what: 'the access token is malformed',
    fix: 'feishu-access-token must be the bare token (t-… or u-…): no "Bearer ", quotes or spaces around it.',
  }),
  99991672: (c) => ({
    what: `the app lacks the scope this call needs${c.serverMessage ? ` (Feishu says: "${c.serverMessage}")` : ''}`,
    fix: `Grant the app the ${scopeFor(c.call)} scope in the Feishu developer console and publish a new version of the app.`,
  }),
};

/**
 * A Feishu error code in words: what went wrong and how to fix it, e.g.
 * `Feishu refused: the app has no permission for this OKR (code 1001002). Grant the app …`.
 */
export function explainFeishuError(code: number, context: ExplainContext): string {
  const verdict = SERVER_ERRORS.has(code) ? 'Feishu failed' : 'Feishu refused';
  const explain = EXPLANATIONS[code];
  if (!explain) {
    const message = context.serverMessage ? `"${context.serverMessage}"` : 'an error without description';
    return `${verdict}: ${message} (code ${code}).`;
  }
  const { what, fix } = explain(context);
  return `${verdict}: ${what} (code ${code}). ${fix}`;
}

export interface FeishuErrorDetails {
  /** Feishu's `code`; undefined when the answer carried none (a network error, a gateway's page). */
  code?: number | undefined;
  httpStatus?: number | undefined;
  logId?: string | undefined;
  /** Whether the same call may succeed later. */
  retryable: boolean;
  /**
   * Whether no other Feishu call of the run can succeed either (the host cannot be reached,
   * the credentials are refused): the run stops its Feishu work at this error.
   */
  fatal?: boolean | undefined;
}

export class FeishuError extends Error {
  readonly code: number | undefined;
  readonly httpStatus: number | undefined;
  readonly logId: string | undefined;
  readonly retryable: boolean;
  readonly fatal: boolean;
  /** The message without the log id. */
  readonly explanation: string;

  constructor(explanation: string, details: FeishuErrorDetails, options?: ErrorOptions) {
    super(details.logId ? `${explanation} (log id ${details.logId})` : explanation, options);
    this.name = 'FeishuError';
    this.explanation = explanation;
    this.code = details.code;
    this.httpStatus = details.httpStatus;
    this.logId = details.logId;
    this.retryable = details.retryable;
    this.fatal = details.fatal ?? false;
  }
}

/**
 * What every Feishu call after a fatal error throws, without a request: the same reason, so
 * that each target not tried reports why, while the log says it once.
 */
export class FeishuStoppedError extends FeishuError {
  constructor(readonly first: FeishuError) {
    super(first.explanation, { code: first.code, httpStatus: first.httpStatus, logId: first.logId, retryable: false, fatal: true }, { cause: first });
    this.name = 'FeishuStoppedError';
  }
}

/**
 * A create whose outcome is unknown: the request was sent but no readable answer came back,
 * so Feishu may have stored the record. Look it up before creating it again.
 */
export class AmbiguousWriteError extends FeishuError {
  constructor(explanation: string, details: Omit<FeishuErrorDetails, 'retryable'>, options?: ErrorOptions) {
    super(explanation, { ...details, retryable: false }, options);
    this.name = 'AmbiguousWriteError';
  }
}
