import { describe, expect, it } from '@jest/globals';
import { AmbiguousWriteError, explainFeishuError, FeishuError, isRetryableCode } from '../src/feishu/errors.js';

const KR = '7041430377642082323';

describe('explainFeishuError', () => {
  it('names the input to fix when the app credentials are wrong', () => {
    expect(explainFeishuError(10003, { call: 'token', token: 'app' })).toBe(
      'Feishu refused: the app id is wrong (code 10003). Fix the feishu-app-id input: it is the App ID (cli_…) on the Credentials page of the app in the Feishu developer console.',
    );
    expect(explainFeishuError(10014, { call: 'token', token: 'app' })).toBe(
      'Feishu refused: the app secret is wrong (code 10014). Fix the feishu-app-secret input: copy the App Secret of the same app from its Credentials page (resetting it there invalidates the old one).',
    );
  });

  it('names the write scope for writes and the read scope for reads', () => {
    expect(explainFeishuError(1001002, { call: 'update', token: 'app', targetType: 3, targetId: KR })).toBe(
      `Feishu refused: the app has no permission for this OKR (code 1001002). Grant the app the okr:okr.progress:writeonly (or okr:okr) scope in the Feishu developer console, publish a new version of the app, and make sure the app may see the OKR of key_result "${KR}".`,
    );
    expect(explainFeishuError(99991672, { call: 'get', token: 'app', serverMessage: 'Access denied. One of the following scopes is required: [okr:okr.progress:readonly]' })).toBe(
      'Feishu refused: the app lacks the scope this call needs (Feishu says: "Access denied. One of the following scopes is required: [okr:okr.progress:readonly]") (code 99991672). Grant the app the okr:okr.progress:readonly (or okr:okr) scope in the Feishu developer console and publish a new version of the app.',
    );
  });

  it('speaks of the given token when there is no app', () => {
    expect(explainFeishuError(1001002, { call: 'create', token: 'given', targetType: 2, targetId: '7043693679567028244' })).toBe(
      'Feishu refused: the app has no permission for this OKR (code 1001002). Make sure the access token in feishu-access-token carries the okr:okr.progress:writeonly (or okr:okr) scope and that its user or app may see the OKR of objective "7043693679567028244".',
    );
    expect(explainFeishuError(99991671, { call: 'create', token: 'given' })).toBe(
      'Feishu refused: the access token is malformed (code 99991671). feishu-access-token must be the bare token (t-… or u-…): no "Bearer ", quotes or spaces around it.',
    );
    expect(explainFeishuError(99991665, { call: 'list', token: 'given' })).toBe(
      'Feishu refused: the tenant access token is invalid (code 99991665). Check feishu-access-token: it must be a tenant_access_token (t-…) or user_access_token (u-…).',
    );
  });

  it('tells a wrong target id from a deleted record', () => {
    expect(explainFeishuError(1001004, { call: 'create', targetType: 3, targetId: KR })).toBe(
      `Feishu refused: key_result "${KR}" was not found (code 1001004). Check key_result "${KR}" in the mapping file: it must be the id of a key result in Feishu OKR (an objective's id goes under objective:).`,
    );
    expect(explainFeishuError(1001004, { call: 'list', targetType: 2, targetId: '7043693679567028244' })).toBe(
      'Feishu refused: objective "7043693679567028244" was not found (code 1001004). Check objective "7043693679567028244" in the mapping file: it must be the id of an objective in Feishu OKR (a key result\'s id goes under key_result:).',
    );
    expect(explainFeishuError(1001004, { call: 'update', progressId: '7046317985098760212' })).toBe(
      'Feishu refused: progress record "7046317985098760212" was not found (code 1001004). It may have been deleted in Feishu; a new record is needed.',
    );
  });

  it("quotes Feishu's message for invalid parameters", () => {
    expect(explainFeishuError(1001001, { call: 'create', targetType: 3, targetId: KR, serverMessage: 'source_url is invalid' })).toBe(
      `Feishu refused: invalid parameters (code 1001001). Feishu says: "source_url is invalid". Check key_result "${KR}" in the mapping file; if the ids are right, the request the action built is wrong.`,
    );
  });

  it('points at the mapping file for an unknown user', () => {
    expect(explainFeishuError(1001003, { call: 'create' })).toBe(
      'Feishu refused: a user was not found (code 1001003). Check the open_ids under people in the mapping file: each must be the open_id (ou_…) of a user of this tenant as this app sees it (open_ids differ from app to app).',
    );
  });

  it("calls Feishu's own errors failures", () => {
    expect(explainFeishuError(1009999, { call: 'create' })).toBe(
      "Feishu failed: internal server error on Feishu's side (code 1009999). Try again later.",
    );
  });

  it("falls back to Feishu's message for a code it does not know", () => {
    expect(explainFeishuError(1234567, { call: 'get', serverMessage: 'something odd' })).toBe('Feishu refused: "something odd" (code 1234567).');
    expect(explainFeishuError(1234567, { call: 'get' })).toBe('Feishu refused: an error without description (code 1234567).');
  });
});

describe('isRetryableCode', () => {
  it('retries server errors and rate limits only', () => {
    expect([1009998, 1009999, 99991400, 1001001, 1001002, 1001004, 99991663, 10014].map(isRetryableCode)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('FeishuError', () => {
  it('appends the log id to the message and keeps the details', () => {
    const error = new FeishuError('Feishu refused: x (code 1001001).', { code: 1001001, httpStatus: 400, logId: '2026112701', retryable: false });
    expect(error.message).toBe('Feishu refused: x (code 1001001). (log id 2026112701)');
    expect(error.explanation).toBe('Feishu refused: x (code 1001001).');
    expect(error).toMatchObject({ name: 'FeishuError', code: 1001001, httpStatus: 400, logId: '2026112701', retryable: false });
    expect(new FeishuError('No log id.', { retryable: true }).message).toBe('No log id.');
  });

  it('has an ambiguous-write kind that is never retryable', () => {
    const error = new AmbiguousWriteError('Maybe stored.', { httpStatus: 504 });
    expect(error).toBeInstanceOf(FeishuError);
    expect(error).toMatchObject({ name: 'AmbiguousWriteError', retryable: false, httpStatus: 504, code: undefined, message: 'Maybe stored.' });
  });
});
