import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NODE24, parseOutputFile, runAction } from './helpers/run-action.js';
import { DEFAULT_APP, DEFAULT_OKRS, startFakeFeishu, type FakeFeishu, type FakeFeishuOptions } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub, type FakeRepo } from './servers/fake-github.js';

// The fakes must refuse what Feishu and GitHub refuse, or the end-to-end tests prove nothing.

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function request(url: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json; charset=utf-8';
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fake Feishu', () => {
  const KR = DEFAULT_OKRS.keyResults[0]!;
  const OBJECTIVE = DEFAULT_OKRS.objectives[0]!;
  const OPEN_ID = 'ou_3bbe8a09c20e89cce9bff989ed840674';
  let feishu: FakeFeishu;

  async function start(options: FakeFeishuOptions = {}) {
    feishu = await startFakeFeishu(options);
    return feishu;
  }

  afterEach(async () => {
    await feishu?.close();
  });

  async function tenantToken(app = DEFAULT_APP): Promise<string> {
    const answer = await request(`${feishu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
      body: { app_id: app.appId, app_secret: app.appSecret },
    });
    expect(answer.body.code).toBe(0);
    return answer.body.tenant_access_token;
  }

  const createUrl = () => `${feishu.url}/open-apis/okr/v1/progress_records?user_id_type=open_id`;
  const listUrl = (query = '') => `${feishu.url}/open-apis/okr/v2/key_results/${KR}/progresses${query}`;

  /** A body that uses every kind of block and element the page describes. */
  function createBody(): any {
    return {
      source_title: 'GitHub · acme/widgets',
      source_url: 'https://github.com/acme/widgets/milestone/1',
      source_url_pc: 'https://github.com/acme/widgets/milestone/1',
      source_url_mobile: 'https://github.com/acme/widgets/milestone/1',
      target_id: KR,
      target_type: 3,
      content: {
        blocks: [
          {
            type: 'paragraph',
            paragraph: {
              elements: [
                { type: 'textRun', textRun: { text: '62.5%', style: { bold: true, link: { url: 'https://github.com/acme/widgets/milestone/1' } } } },
                { type: 'textRun', textRun: { text: ' on track', style: { textColor: { red: 46, green: 161, blue: 33, alpha: 1 }, backColor: { red: 255, green: 255, blue: 255, alpha: 0.5 } } } },
              ],
            },
          },
          { type: 'paragraph', paragraph: { elements: [{ type: 'docsLink', docsLink: { url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' } }] } },
          {
            type: 'paragraph',
            paragraph: {
              style: { list: { type: 'checkedBox', indentLevel: 1 } },
              elements: [
                { type: 'textRun', textRun: { text: '#6', style: { link: { url: 'https://github.com/acme/widgets/pull/6' } } } },
                { type: 'textRun', textRun: { text: ' Spike: gRPC transport ', style: { strikeThrough: true } } },
                { type: 'person', person: { openId: OPEN_ID } },
              ],
            },
          },
          { type: 'paragraph', paragraph: { style: { list: { type: 'number', indentLevel: 2, number: 3 } }, elements: [{ type: 'textRun', textRun: { text: 'third' } }] } },
          { type: 'gallery', gallery: { imageList: [{ fileToken: 'boxbcMTBQO9ofLjWkDuPxkxOA2c', src: 'https://example.com/a.png', width: 458, height: 372 }] } },
        ],
      },
      progress_rate: { percent: 62.5, status: 0 },
    };
  }

  describe('tenant token', () => {
    beforeEach(async () => {
      await start();
    });
    const tokenUrl = () => `${feishu.url}/open-apis/auth/v3/tenant_access_token/internal`;

    it('gives a t- token for two hours to an app with the right secret, and the same one while it has time left', async () => {
      const first = await request(tokenUrl(), { body: { app_id: DEFAULT_APP.appId, app_secret: DEFAULT_APP.appSecret } });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ code: 0, msg: 'ok', tenant_access_token: expect.stringMatching(/^t-[0-9a-f]{40}$/), expire: 7200 });
      expect(first.headers.get('x-tt-logid')).toMatch(/^\d{14}[0-9A-F]{20}$/);

      const second = await request(tokenUrl(), { body: { app_id: DEFAULT_APP.appId, app_secret: DEFAULT_APP.appSecret } });
      expect(second.body.tenant_access_token).toBe(first.body.tenant_access_token);

      feishu.tokens.get(first.body.tenant_access_token)!.expiresAt = Date.now() + 10 * 60 * 1000;
      const third = await request(tokenUrl(), { body: { app_id: DEFAULT_APP.appId, app_secret: DEFAULT_APP.appSecret } });
      expect(third.body.tenant_access_token).not.toBe(first.body.tenant_access_token);
      expect(third.body.expire).toBe(7200);
    });

    it('refuses a wrong secret with 10014 and an unknown app with 10003', async () => {
      const wrongSecret = await request(tokenUrl(), { body: { app_id: DEFAULT_APP.appId, app_secret: 'guess' } });
      expect(wrongSecret.status).toBe(400);
      expect(wrongSecret.body).toEqual({ code: 10014, msg: 'app secret invalid', error: { log_id: wrongSecret.headers.get('x-tt-logid') } });

      const unknownApp = await request(tokenUrl(), { body: { app_id: 'cli_nope', app_secret: DEFAULT_APP.appSecret } });
      expect(unknownApp.status).toBe(400);
      expect(unknownApp.body.code).toBe(10003);
      expect(unknownApp.body.msg).toBe('invalid param: app_id cli_nope does not exist');
      expect(feishu.tokens.size).toBe(0);
    });
  });

  describe('authorization on the OKR calls', () => {
    it('refuses a missing, malformed, unknown or expired token', async () => {
      await start({ tokenTtlMs: 1 });
      const expired = await tenantToken();
      await sleep(5);
      const cases: [Record<string, string>, number][] = [
        [{}, 99991661],
        [{ authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }, 99991671],
        [{ authorization: 'Bearer not-a-token' }, 99991671],
        [{ authorization: 'Bearer t-0123456789abcdef' }, 99991665],
        [{ authorization: 'Bearer u-0123456789abcdef' }, 99991668],
        [{ authorization: `Bearer ${expired}` }, 99991663],
      ];
      for (const [headers, code] of cases) {
        const answer = await request(createUrl(), { headers, body: createBody() });
        expect([answer.status, answer.body.code]).toEqual([400, code]);
      }
      expect(feishu.records.size).toBe(0);
    });

    it('accepts the configured user token', async () => {
      await start({ acceptUserToken: 'u-7f1bcd13fc57d46bac21793a18e560' });
      const answer = await request(createUrl(), { token: 'u-7f1bcd13fc57d46bac21793a18e560', body: createBody() });
      expect(answer.body.code).toBe(0);
    });

    it('refuses writes to an app without the write scope, and lists to one without the read scope', async () => {
      await start({ apps: [{ ...DEFAULT_APP, writeScope: false }], readScope: false });
      const token = await tenantToken();
      const create = await request(createUrl(), { token, body: createBody() });
      expect([create.status, create.body.code]).toEqual([400, 1001002]);
      expect(create.body.msg).toBe('no permission: the app may not write progress records (scope okr:okr or okr:okr.progress:writeonly)');
      const list = await request(listUrl(), { token });
      expect([list.status, list.body.code]).toEqual([400, 1001002]);
      expect(list.body.msg).toBe('no permission: the app may not read progress records (scope okr:okr.progress:readonly)');
    });
  });

  describe('create', () => {
    let token: string;
    beforeEach(async () => {
      await start();
      token = await tenantToken();
    });

    it('stores a valid record and answers its id, time, content and progress_rate', async () => {
      const body = createBody();
      const before = Date.now();
      const answer = await request(createUrl(), { token, body });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        code: 0,
        msg: 'success',
        data: { progress_id: expect.stringMatching(/^\d{19}$/), modify_time: expect.stringMatching(/^\d{13}$/), content: body.content, progress_rate: body.progress_rate },
      });
      const id = answer.body.data.progress_id;
      expect(Number(answer.body.data.modify_time)).toBeGreaterThanOrEqual(before);
      expect(feishu.records.get(id)).toEqual({ progress_id: id, ...body, create_time: answer.body.data.modify_time, modify_time: answer.body.data.modify_time });
    });

    const invalid: [string, (body: any) => void, string][] = [
      ['a source_url without http(s)', (b) => (b.source_url = 'github.com/acme/widgets'), 'source_url: must match ^https?://.*$'],
      ['a source_url_mobile without http(s)', (b) => (b.source_url_mobile = 'open.feishu.cn'), 'source_url_mobile: must match ^https?://.*$'],
      ['target_type 1', (b) => (b.target_type = 1), 'target_type: must be 2 (objective) or 3 (key result)'],
      ['target_id as a number', (b) => (b.target_id = 7041430377642082000), 'target_id: must be a string, not a number'],
      ['a percent with three decimals', (b) => (b.progress_rate.percent = 62.125), 'progress_rate.percent: must have at most two decimals'],
      ['a percent beyond the range', (b) => (b.progress_rate.percent = 1e12), 'progress_rate.percent: must be between -99999999999 and 99999999999'],
      ['status 3', (b) => (b.progress_rate.status = 3), 'progress_rate.status: must be -1 (none), 0 (normal), 1 (at risk) or 2 (delayed)'],
      ['null for an optional object', (b) => (b.progress_rate = null), 'progress_rate: must be an object, not null'],
      ['a missing source_title', (b) => delete b.source_title, 'source_title: is required'],
      ['an unknown key', (b) => (b.content.blocks[0].paragraph.align = 'left'), 'content.blocks[0].paragraph.align: unknown field'],
      ['an unknown top-level key', (b) => (b.source_url_desktop = 'https://x'), 'source_url_desktop: unknown field'],
      ['an empty text run', (b) => (b.content.blocks[0].paragraph.elements[1].textRun.text = ''), 'content.blocks[0].paragraph.elements[1].textRun.text: must not be empty'],
      [
        'an element whose type does not match its object',
        (b) => (b.content.blocks[1].paragraph.elements[0] = { type: 'docsLink', textRun: { text: 'Perf plan' } }),
        'content.blocks[1].paragraph.elements[0].docsLink: is required; content.blocks[1].paragraph.elements[0].textRun: unknown field',
      ],
      [
        'an element that carries a second object',
        (b) => (b.content.blocks[0].paragraph.elements[0].person = { openId: OPEN_ID }),
        'content.blocks[0].paragraph.elements[0].person: unknown field',
      ],
      ['an unknown element type', (b) => (b.content.blocks[1].paragraph.elements[0].type = 'mention'), 'content.blocks[1].paragraph.elements[0].type: must be one of "textRun", "docsLink", "person"'],
      ['a block whose type does not match its object', (b) => (b.content.blocks[4].type = 'paragraph'), 'content.blocks[4].paragraph: is required; content.blocks[4].gallery: unknown field'],
      ['a snake_case (v2) block', (b) => (b.content.blocks[0] = { block_element_type: 'paragraph' }), 'content.blocks[0].type: must be one of "paragraph", "gallery"'],
      ['an unknown list type', (b) => (b.content.blocks[2].paragraph.style.list.type = 'todo'), 'content.blocks[2].paragraph.style.list.type: must be one of number, bullet, checkBox, checkedBox, indent'],
      ['indentLevel 17', (b) => (b.content.blocks[2].paragraph.style.list.indentLevel = 17), 'content.blocks[2].paragraph.style.list.indentLevel: must be between 1 and 16'],
      ['a fractional list number', (b) => (b.content.blocks[3].paragraph.style.list.number = 1.5), 'content.blocks[3].paragraph.style.list.number: must be an integer, not the number 1.5'],
      ['a colour channel of 256', (b) => (b.content.blocks[0].paragraph.elements[1].textRun.style.textColor.red = 256), 'content.blocks[0].paragraph.elements[1].textRun.style.textColor.red: must be between 0 and 255'],
      ['an alpha above 1', (b) => (b.content.blocks[0].paragraph.elements[1].textRun.style.backColor.alpha = 2), 'content.blocks[0].paragraph.elements[1].textRun.style.backColor.alpha: must be between 0 and 1'],
      ['a link that is not http(s)', (b) => (b.content.blocks[0].paragraph.elements[0].textRun.style.link.url = 'javascript:alert(1)'), 'content.blocks[0].paragraph.elements[0].textRun.style.link.url: must match ^https?://.*$'],
      ['a person who is not an open_id', (b) => (b.content.blocks[2].paragraph.elements[2].person.openId = 'alice'), 'content.blocks[2].paragraph.elements[2].person.openId: must be an open_id (ou_…) because user_id_type is open_id'],
      ['the v2 mention key', (b) => (b.content.blocks[2].paragraph.elements[2] = { type: 'person', person: { user_id: OPEN_ID } }), 'content.blocks[2].paragraph.elements[2].person.openId: is required; content.blocks[2].paragraph.elements[2].person.user_id: unknown field'],
      ['a gallery without images', (b) => (b.content.blocks[4].gallery.imageList = []), 'content.blocks[4].gallery.imageList: must list at least one image'],
      ['no blocks', (b) => (b.content.blocks = []), 'content.blocks: must hold at least one block'],
    ];

    it.each(invalid)('refuses %s with 1001001 naming the field', async (_what, spoil, problem) => {
      const body = createBody();
      spoil(body);
      const answer = await request(createUrl(), { token, body });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ code: 1001001, msg: `invalid parameters: ${problem}`, error: { log_id: answer.headers.get('x-tt-logid') } });
      expect(feishu.records.size).toBe(0);
    });

    it('refuses a body that is not sent as JSON in UTF-8, and an unknown user_id_type', async () => {
      for (const contentType of ['text/plain;charset=UTF-8', 'application/json', 'application/json; charset=latin1']) {
        const answer = await request(createUrl(), { token, body: createBody(), headers: { 'content-type': contentType } });
        expect([answer.status, answer.body.code, answer.body.msg]).toEqual([400, 1001001, 'invalid parameters: Content-Type: must be "application/json; charset=utf-8"']);
      }
      const broken = await request(createUrl(), { token, body: '{"source_title":' });
      expect(broken.body.msg).toBe('invalid parameters: body: is not valid JSON');
      const wrongIdType = await request(`${feishu.url}/open-apis/okr/v1/progress_records?user_id_type=email`, { token, body: createBody() });
      expect(wrongIdType.body.msg).toBe('invalid parameters: user_id_type: must be one of open_id, union_id, user_id');
      expect(feishu.records.size).toBe(0);
    });

    it('checks a mentioned person against the user_id_type of the request', async () => {
      const body = createBody();
      body.content.blocks[2].paragraph.elements[2].person.openId = 'on_94a1ee5551019f18cd73d9f111898cf2';
      const asUnionId = await request(`${feishu.url}/open-apis/okr/v1/progress_records?user_id_type=union_id`, { token, body });
      expect(asUnionId.body.code).toBe(0);
      const asOpenId = await request(createUrl(), { token, body });
      expect(asOpenId.body.code).toBe(1001001);
    });

    it('refuses an unknown target id, and a target id of the other type, with 1001004', async () => {
      const unknown = await request(createUrl(), { token, body: { ...createBody(), target_id: '7000000000000000001' } });
      expect([unknown.status, unknown.body.code, unknown.body.msg]).toEqual([400, 1001004, 'okr data not found: no key result has the id 7000000000000000001']);
      const otherType = await request(createUrl(), { token, body: { ...createBody(), target_type: 2 } });
      expect([otherType.status, otherType.body.code, otherType.body.msg]).toEqual([400, 1001004, `okr data not found: no objective has the id ${KR}`]);
      const objective = await request(createUrl(), { token, body: { ...createBody(), target_id: OBJECTIVE, target_type: 2 } });
      expect(objective.body.code).toBe(0);
      expect(feishu.records.size).toBe(1);
    });
  });

  describe('get, update and delete', () => {
    let token: string;
    let id: string;
    beforeEach(async () => {
      await start();
      token = await tenantToken();
      id = (await request(createUrl(), { token, body: createBody() })).body.data.progress_id;
    });
    const recordUrl = (progressId: string) => `${feishu.url}/open-apis/okr/v1/progress_records/${progressId}`;

    it('updates content and progress_rate, keeps progress_rate when the update leaves it out, and reads it back', async () => {
      const content = { blocks: [{ type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: '75%' } }] } }] };
      const updated = await request(recordUrl(id), { method: 'PUT', token, body: { content, progress_rate: { percent: 75, status: 1 } } });
      expect(updated.body).toEqual({ code: 0, msg: 'success', data: { progress_id: id, modify_time: expect.stringMatching(/^\d{13}$/), content, progress_rate: { percent: 75, status: 1 } } });

      const contentOnly = await request(recordUrl(id), { method: 'PUT', token, body: { content } });
      expect(contentOnly.body.data.progress_rate).toEqual({ percent: 75, status: 1 });

      const read = await request(recordUrl(id), { token });
      expect(read.body).toEqual(contentOnly.body);
      expect(feishu.records.get(id)).toMatchObject({ content, progress_rate: { percent: 75, status: 1 }, source_title: 'GitHub · acme/widgets' });
    });

    it('validates the update body like the create body', async () => {
      const body = { content: createBody().content, source_title: 'x' };
      const answer = await request(recordUrl(id), { method: 'PUT', token, body });
      expect([answer.status, answer.body.code, answer.body.msg]).toEqual([400, 1001001, 'invalid parameters: source_title: unknown field']);
      const noContent = await request(recordUrl(id), { method: 'PUT', token, body: { progress_rate: { percent: 10 } } });
      expect(noContent.body.msg).toBe('invalid parameters: content: is required');
    });

    it('answers 1001004 for an unknown record and deletes a known one', async () => {
      const unknown = '7000000000000000099';
      for (const method of ['GET', 'DELETE']) {
        const answer = await request(recordUrl(unknown), { method, token });
        expect([answer.status, answer.body.code, answer.body.msg]).toEqual([400, 1001004, `okr data not found: no progress record has the id ${unknown}`]);
      }
      const put = await request(recordUrl(unknown), { method: 'PUT', token, body: { content: createBody().content } });
      expect(put.body.code).toBe(1001004);

      const deleted = await request(recordUrl(id), { method: 'DELETE', token });
      expect(deleted.body).toEqual({ code: 0, msg: 'success' });
      expect(feishu.records.size).toBe(0);
    });
  });

  describe('v2 list of progress records', () => {
    let token: string;
    beforeEach(async () => {
      await start();
      token = await tenantToken();
    });

    it('pages newest first with page_token until has_more is false', async () => {
      const ids: string[] = [];
      for (const percent of [10, 20, 30]) {
        const answer = await request(createUrl(), { token, body: { ...createBody(), progress_rate: { percent, status: 0 } } });
        ids.push(answer.body.data.progress_id);
      }
      await request(createUrl(), { token, body: { ...createBody(), target_id: OBJECTIVE, target_type: 2 } });

      const first = await request(listUrl('?page_size=2'), { token });
      expect(first.body.code).toBe(0);
      expect(first.body.data.items.map((i: { id: string }) => i.id)).toEqual([ids[2], ids[1]]);
      expect(first.body.data.has_more).toBe(true);
      expect(first.body.data.page_token).not.toBe('');

      const second = await request(listUrl(`?page_size=2&page_token=${first.body.data.page_token}`), { token });
      expect(second.body.data).toEqual({ has_more: false, page_token: '', items: [expect.objectContaining({ id: ids[0] })] });

      const all = await request(listUrl(), { token });
      expect(all.body.data.items.map((i: { progress_rate: unknown }) => i.progress_rate)).toEqual([
        { progress_percent: 30, progress_status: 0 },
        { progress_percent: 20, progress_status: 0 },
        { progress_percent: 10, progress_status: 0 },
      ]);
    });

    it('lists oldest first, shuffled, in pages of at most listPageLimit, and leaves has_more out at the end when told', async () => {
      let clock = 1_000_000;
      await feishu.close();
      await start({ listOrder: 'oldest-first', listPageLimit: 2, listOmitsEnd: true, now: () => clock });
      token = await tenantToken();
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        ids.push((await request(createUrl(), { token, body: createBody() })).body.data.progress_id);
        clock += 1000;
      }
      expect(feishu.records.get(ids[4]!)?.create_time).toBe('1004000');
      async function readAll(): Promise<unknown[]> {
        const pages: unknown[] = [];
        let pageToken = '';
        do {
          const page = await request(listUrl(`?page_size=100${pageToken ? `&page_token=${pageToken}` : ''}`), { token });
          pages.push({ ...page.body.data, items: page.body.data.items.map((i: { id: string }) => ids.indexOf(i.id)) });
          pageToken = page.body.data.page_token ?? '';
        } while (pageToken);
        return pages;
      }
      const more = (items: number[]) => ({ has_more: true, page_token: expect.any(String), items });
      expect(await readAll()).toEqual([more([0, 1]), more([2, 3]), { items: [4] }]);
      feishu.listOrder = 'shuffled';
      expect(await readAll()).toEqual([more([3, 1]), more([4, 2]), { items: [0] }]);
      feishu.listOrder = 'newest-first';
      expect(await readAll()).toEqual([more([4, 3]), more([2, 1]), { items: [0] }]);
    });

    it('answers in the snake_case dialect', async () => {
      const created = await request(createUrl(), { token, body: createBody() });
      const answer = await request(listUrl(), { token });
      const record = feishu.records.get(created.body.data.progress_id)!;
      expect(answer.body.data.items).toEqual([
        {
          id: record.progress_id,
          create_time: record.create_time,
          update_time: record.modify_time,
          entity_type: 3,
          entity_id: KR,
          progress_rate: { progress_percent: 62.5, progress_status: 0 },
          content: {
            blocks: [
              {
                block_element_type: 'paragraph',
                paragraph: {
                  elements: [
                    { paragraph_element_type: 'textRun', text_run: { text: '62.5%', style: { bold: true, link: { url: 'https://github.com/acme/widgets/milestone/1' } } } },
                    {
                      paragraph_element_type: 'textRun',
                      text_run: { text: ' on track', style: { text_color: { red: 46, green: 161, blue: 33, alpha: 1 }, back_color: { red: 255, green: 255, blue: 255, alpha: 0.5 } } },
                    },
                  ],
                },
              },
              { block_element_type: 'paragraph', paragraph: { elements: [{ paragraph_element_type: 'docsLink', docs_link: { url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' } }] } },
              {
                block_element_type: 'paragraph',
                paragraph: {
                  style: { list: { list_type: 'checkedBox', indent_level: 1 } },
                  elements: [
                    { paragraph_element_type: 'textRun', text_run: { text: '#6', style: { link: { url: 'https://github.com/acme/widgets/pull/6' } } } },
                    { paragraph_element_type: 'textRun', text_run: { text: ' Spike: gRPC transport ', style: { strike_through: true } } },
                    { paragraph_element_type: 'mention', mention: { user_id: OPEN_ID } },
                  ],
                },
              },
              {
                block_element_type: 'paragraph',
                paragraph: { style: { list: { list_type: 'number', indent_level: 2, number: 3 } }, elements: [{ paragraph_element_type: 'textRun', text_run: { text: 'third' } }] },
              },
              { block_element_type: 'gallery', gallery: { images: [{ file_token: 'boxbcMTBQO9ofLjWkDuPxkxOA2c', src: 'https://example.com/a.png', width: 458, height: 372 }] } },
            ],
          },
        },
      ]);
    });

    it('refuses a bad page_size or page_token, and an id of the other kind', async () => {
      for (const size of ['0', '101', 'ten']) {
        const answer = await request(listUrl(`?page_size=${size}`), { token });
        expect([answer.status, answer.body.code, answer.body.msg]).toEqual([400, 1001001, 'invalid parameters: page_size: must be an integer between 1 and 100']);
      }
      const badToken = await request(listUrl('?page_token=bm9wZQ'), { token });
      expect(badToken.body.msg).toBe('invalid parameters: page_token: is not a page token this list gave out');
      const otherKind = await request(`${feishu.url}/open-apis/okr/v2/objectives/${KR}/progresses`, { token });
      expect([otherKind.status, otherKind.body.code]).toEqual([400, 1001004]);
    });
  });

  describe('rate limit', () => {
    it('answers 429 with the limit and the seconds until a slot frees, per endpoint and per app', async () => {
      const other = { appId: 'cli_other0000000001', appSecret: 'other-secret' };
      await start({ ratePerMinute: 2, apps: [DEFAULT_APP, other] });
      const token = await tenantToken();
      for (let i = 0; i < 2; i++) expect((await request(createUrl(), { token, body: createBody() })).status).toBe(200);

      const limited = await request(createUrl(), { token, body: createBody() });
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ code: 99991400, msg: 'request trigger frequency limit', error: { log_id: limited.headers.get('x-tt-logid') } });
      expect(limited.headers.get('x-ogw-ratelimit-limit')).toBe('2');
      expect(Number(limited.headers.get('x-ogw-ratelimit-reset'))).toBeGreaterThanOrEqual(59);
      expect(Number(limited.headers.get('x-ogw-ratelimit-reset'))).toBeLessThanOrEqual(60);
      expect(feishu.records.size).toBe(2);

      expect((await request(listUrl(), { token })).status).toBe(200);
      expect((await request(createUrl(), { token: await tenantToken(other), body: createBody() })).status).toBe(200);
    });

    it('frees a slot when the window has rolled on, on its injected clock', async () => {
      let clock = 1_000_000;
      await start({ ratePerMinute: 1, now: () => clock });
      const token = await tenantToken();
      expect((await request(listUrl(), { token })).status).toBe(200);
      clock += 59_999;
      const limited = await request(listUrl(), { token });
      expect([limited.status, limited.headers.get('x-ogw-ratelimit-reset')]).toEqual([429, '1']);
      clock += 1;
      expect((await request(listUrl(), { token })).status).toBe(200);
    });
  });

  describe('faults', () => {
    let token: string;
    beforeEach(async () => {
      await start();
      token = await tenantToken();
    });

    it('drop-after-store stores exactly one record and then breaks the connection', async () => {
      feishu.faults.push({ route: 'create', kind: 'drop-after-store' });
      await expect(request(createUrl(), { token, body: createBody() })).rejects.toThrow('fetch failed');
      expect(feishu.records.size).toBe(1);
      expect(feishu.requests.at(-1)).toMatchObject({ method: 'POST', path: '/open-apis/okr/v1/progress_records', status: 0 });
      expect(feishu.faults).toEqual([]);

      const list = await request(listUrl(), { token });
      expect(list.body.data.items.map((i: { id: string }) => i.id)).toEqual([...feishu.records.keys()]);
    });

    it('drop-before-store breaks the connection without storing', async () => {
      feishu.faults.push({ route: 'create', kind: 'drop-before-store' });
      await expect(request(createUrl(), { token, body: createBody() })).rejects.toThrow('fetch failed');
      expect(feishu.records.size).toBe(0);
      expect((await request(createUrl(), { token, body: createBody() })).body.code).toBe(0);
    });

    it('status answers as told, `times` times, then the route works again', async () => {
      feishu.faults.push({ route: 'list', kind: 'status', status: 500, code: 1009999, msg: 'internal server error', times: 2 });
      for (let i = 0; i < 2; i++) {
        const answer = await request(listUrl(), { token });
        expect([answer.status, answer.body.code, answer.body.msg]).toEqual([500, 1009999, 'internal server error']);
      }
      expect((await request(listUrl(), { token })).status).toBe(200);
    });

    it('a fault waits for a request of its route; others pass', async () => {
      feishu.faults.push({ route: 'update', kind: 'status', status: 500, code: 1009998, msg: 'system exception' });
      expect((await request(createUrl(), { token, body: createBody() })).status).toBe(200);
      expect(feishu.faults).toHaveLength(1);
    });

    it('delay answers normally after the delay', async () => {
      feishu.faults.push({ route: 'create', kind: 'delay', ms: 200 });
      const started = Date.now();
      const answer = await request(createUrl(), { token, body: createBody() });
      expect(Date.now() - started).toBeGreaterThanOrEqual(195);
      expect(answer.body.code).toBe(0);
    });

    it('expire-token answers 99991663 and the token stays expired until a new one is fetched', async () => {
      feishu.faults.push({ route: 'create', kind: 'expire-token' });
      const first = await request(createUrl(), { token, body: createBody() });
      expect([first.status, first.body.code]).toEqual([400, 99991663]);
      const again = await request(createUrl(), { token, body: createBody() });
      expect(again.body.code).toBe(99991663);

      const fresh = await tenantToken();
      expect(fresh).not.toBe(token);
      expect((await request(createUrl(), { token: fresh, body: createBody() })).body.code).toBe(0);
      expect(feishu.records.size).toBe(1);
    });

    it('logs every request with its status', async () => {
      await request(listUrl(), { token });
      await request(`${feishu.url}/open-apis/okr/v9/nothing`, { token });
      expect(feishu.requests.map((r) => [r.method, r.path, r.status])).toEqual([
        ['POST', '/open-apis/auth/v3/tenant_access_token/internal', 200],
        ['GET', `/open-apis/okr/v2/key_results/${KR}/progresses`, 200],
        ['GET', '/open-apis/okr/v9/nothing', 404],
      ]);
      expect(feishu.requests[1]!.headers.authorization).toBe(`Bearer ${token}`);
    });
  });
});

describe('fake GitHub', () => {
  const TOKEN = 'ghs_fakeToken000111';
  const at = (day: string) => `2026-11-${day}T10:00:00Z`;
  const seed = (): Record<string, FakeRepo> => ({
    'acme/widgets': {
      milestones: [
        { number: 1, title: 'v2.0', state: 'open', created_at: '2026-10-01T00:00:00Z', due_on: '2026-12-31T08:00:00Z', description: 'The v2 launch' },
        { number: 2, title: 'v1.9', state: 'closed', created_at: '2026-08-01T00:00:00Z', due_on: null, closed_at: '2026-09-30T00:00:00Z' },
        { number: 3, title: 'v1.8', state: 'closed', created_at: '2026-06-01T00:00:00Z', due_on: '2026-07-01T00:00:00Z' },
      ],
      labels: ['bug', 'okr/perf', 'area: api'],
      items: [
        { number: 1, title: 'Design the API', kind: 'issue', state: 'closed', state_reason: 'completed', created_at: at('01'), updated_at: at('22'), closed_at: at('22'), user: 'alice', labels: ['okr/perf', 'area: api'], milestone: 1 },
        { number: 2, title: 'Implement it', kind: 'pull', state: 'closed', merged_at: at('24'), created_at: at('02'), updated_at: at('24'), closed_at: at('24'), user: 'bob', labels: ['okr/perf'], milestone: 1 },
        { number: 3, title: 'Spike', kind: 'pull', state: 'closed', merged_at: null, created_at: at('03'), updated_at: at('25'), closed_at: at('25'), user: 'dependabot[bot]', labels: ['area: api'], milestone: 1 },
        { number: 4, title: 'Tune it', kind: 'issue', state: 'open', created_at: at('04'), updated_at: at('26'), closed_at: null, user: 'carol', labels: ['OKR/perf', 'area: api', 'bug'], milestone: 1 },
        { number: 5, title: 'Old idea', kind: 'issue', state: 'closed', state_reason: 'not_planned', created_at: at('05'), updated_at: at('10'), closed_at: at('10'), user: 'alice', labels: [], milestone: 2 },
        { number: 6, title: 'Stray', kind: 'issue', state: 'open', created_at: at('06'), updated_at: at('06'), closed_at: null, user: 'dave', labels: ['bug'] },
      ],
    },
  });
  let github: FakeGitHub;

  beforeEach(async () => {
    github = await startFakeGitHub({ token: TOKEN, repos: seed() });
  });
  afterEach(async () => {
    await github.close();
  });

  const get = (pathAndQuery: string, authorization: string | null = `token ${TOKEN}`) =>
    request(`${github.url}${pathAndQuery}`, { headers: authorization === null ? {} : { authorization } });
  const numbers = (answer: Answer) => answer.body.map((i: { number: number }) => i.number);

  it('wants the seeded token, as `token` or `Bearer`', async () => {
    for (const authorization of [null, 'token ghs_wrong', `Basic ${TOKEN}`]) {
      const answer = await get('/repos/acme/widgets', authorization);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    expect((await get('/repos/acme/widgets', `Bearer ${TOKEN}`)).status).toBe(200);
  });

  it('serves the repository, whatever the case of its name, and 404 under an unknown one', async () => {
    const repo = await get('/repos/ACME/Widgets');
    expect(repo.status).toBe(200);
    expect(repo.body).toMatchObject({ id: expect.any(Number), name: 'widgets', full_name: 'acme/widgets', html_url: 'https://github.com/acme/widgets', private: false });
    for (const route of ['/repos/acme/nope', '/repos/acme/nope/issues', '/repos/acme/nope/milestones', '/repos/acme/widgets/nothing']) {
      const answer = await get(route);
      expect([answer.status, answer.body.message]).toEqual([404, 'Not Found']);
    }
  });

  it('lists milestones by state, due date first, with counts that include pull requests', async () => {
    const open = await get('/repos/acme/widgets/milestones');
    expect(open.body).toEqual([
      {
        url: `${github.url}/repos/acme/widgets/milestones/1`,
        html_url: 'https://github.com/acme/widgets/milestone/1',
        labels_url: `${github.url}/repos/acme/widgets/milestones/1/labels`,
        id: expect.any(Number),
        node_id: expect.any(String),
        number: 1,
        title: 'v2.0',
        description: 'The v2 launch',
        creator: expect.objectContaining({ login: 'octocat' }),
        open_issues: 1,
        closed_issues: 3,
        state: 'open',
        created_at: '2026-10-01T00:00:00Z',
        updated_at: '2026-10-01T00:00:00Z',
        due_on: '2026-12-31T08:00:00Z',
        closed_at: null,
      },
    ]);
    const all = await get('/repos/acme/widgets/milestones?state=all');
    expect(all.body.map((m: { title: string }) => m.title)).toEqual(['v1.8', 'v2.0', 'v1.9']);
    const completeness = await get('/repos/acme/widgets/milestones?state=all&sort=completeness&direction=desc');
    expect(completeness.body.map((m: { title: string }) => m.title)).toEqual(['v1.9', 'v2.0', 'v1.8']);
    const one = await get('/repos/acme/widgets/milestones/2');
    expect(one.body).toMatchObject({ number: 2, state: 'closed', open_issues: 0, closed_issues: 1, closed_at: '2026-09-30T00:00:00Z' });

    const invalid = await get('/repos/acme/widgets/milestones?state=done');
    expect(invalid.status).toBe(422);
    expect(invalid.body).toEqual({
      message: 'Validation Failed',
      errors: [{ value: 'done', resource: 'Milestone', field: 'state', code: 'invalid' }],
      documentation_url: 'https://docs.github.com/rest',
      status: '422',
    });
  });

  it('lists labels', async () => {
    const labels = await get('/repos/acme/widgets/labels');
    expect(labels.body.map((l: { name: string }) => l.name)).toEqual(['bug', 'okr/perf', 'area: api']);
    expect(labels.body[2]).toEqual({
      id: expect.any(Number),
      node_id: expect.any(String),
      url: `${github.url}/repos/acme/widgets/labels/area%3A%20api`,
      name: 'area: api',
      color: expect.stringMatching(/^[0-9a-f]{6}$/),
      default: false,
      description: null,
    });
  });

  it('shapes issues and pull requests as GitHub does', async () => {
    const answer = await get('/repos/acme/widgets/issues?state=all&milestone=1&sort=created&direction=asc');
    expect(numbers(answer)).toEqual([1, 2, 3, 4]);
    const [issue, merged, unmerged] = answer.body;
    expect(issue).toMatchObject({
      number: 1,
      title: 'Design the API',
      html_url: 'https://github.com/acme/widgets/issues/1',
      state: 'closed',
      state_reason: 'completed',
      created_at: at('01'),
      updated_at: at('22'),
      closed_at: at('22'),
      user: { login: 'alice', type: 'User' },
      labels: [expect.objectContaining({ name: 'okr/perf' }), expect.objectContaining({ name: 'area: api' })],
      milestone: expect.objectContaining({ number: 1, title: 'v2.0', html_url: 'https://github.com/acme/widgets/milestone/1' }),
    });
    expect('pull_request' in issue).toBe(false);
    expect(merged).toMatchObject({
      html_url: 'https://github.com/acme/widgets/pull/2',
      state_reason: null,
      pull_request: {
        url: `${github.url}/repos/acme/widgets/pulls/2`,
        html_url: 'https://github.com/acme/widgets/pull/2',
        diff_url: 'https://github.com/acme/widgets/pull/2.diff',
        patch_url: 'https://github.com/acme/widgets/pull/2.patch',
        merged_at: at('24'),
      },
    });
    expect(unmerged.pull_request.merged_at).toBeNull();
    expect(unmerged.user).toMatchObject({ login: 'dependabot[bot]', type: 'Bot' });
    const notPlanned = await get('/repos/acme/widgets/issues?state=closed&milestone=2');
    expect(notPlanned.body.map((i: { state_reason: string }) => i.state_reason)).toEqual(['not_planned']);
  });

  it('filters by state (open by default), milestone number, any or none', async () => {
    expect(numbers(await get('/repos/acme/widgets/issues'))).toEqual([6, 4]);
    expect(numbers(await get('/repos/acme/widgets/issues?state=closed'))).toEqual([5, 3, 2, 1]);
    expect(numbers(await get('/repos/acme/widgets/issues?state=all&milestone=*'))).toEqual([5, 4, 3, 2, 1]);
    expect(numbers(await get('/repos/acme/widgets/issues?state=all&milestone=none'))).toEqual([6]);
  });

  it('selects items that carry every one of several labels, in any case', async () => {
    expect(numbers(await get('/repos/acme/widgets/issues?state=all&labels=okr/perf,area:%20api'))).toEqual([4, 1]);
    expect(numbers(await get('/repos/acme/widgets/issues?state=all&labels=OKR/PERF'))).toEqual([4, 2, 1]);
  });

  it('keeps items updated at or after since', async () => {
    expect(numbers(await get('/repos/acme/widgets/issues?state=all&since=2026-11-24T10:00:00Z'))).toEqual([4, 3, 2]);
    expect(numbers(await get('/repos/acme/widgets/issues?state=all&since=2026-11-24T10:00:01Z&sort=updated'))).toEqual([4, 3]);
  });

  it('refuses invalid parameters with 422 like GitHub', async () => {
    const cases: [string, string, string][] = [
      ['state=done', 'state', 'done'],
      ['milestone=99', 'milestone', '99'],
      ['milestone=v2.0', 'milestone', 'v2.0'],
      ['since=last%20week', 'since', 'last week'],
      ['sort=title', 'sort', 'title'],
      ['direction=up', 'direction', 'up'],
    ];
    for (const [query, field, value] of cases) {
      const answer = await get(`/repos/acme/widgets/issues?${query}`);
      expect([answer.status, answer.body.errors]).toEqual([422, [{ value, resource: 'Issue', field, code: 'invalid' }]]);
    }
  });

  it('paginates with Link headers like GitHub', async () => {
    const base = `${github.url}/repos/acme/widgets/issues?state=all&per_page=2`;
    const page1 = await get('/repos/acme/widgets/issues?state=all&per_page=2');
    expect(page1.headers.get('link')).toBe(`<${base}&page=2>; rel="next", <${base}&page=3>; rel="last"`);
    const page2 = await get('/repos/acme/widgets/issues?state=all&per_page=2&page=2');
    expect(page2.headers.get('link')).toBe(
      `<${base}&page=1>; rel="prev", <${base}&page=3>; rel="next", <${base}&page=3>; rel="last", <${base}&page=1>; rel="first"`,
    );
    const page3 = await get('/repos/acme/widgets/issues?state=all&per_page=2&page=3');
    expect(page3.headers.get('link')).toBe(`<${base}&page=2>; rel="prev", <${base}&page=1>; rel="first"`);
    expect([...numbers(page1), ...numbers(page2), ...numbers(page3)]).toEqual([6, 5, 4, 3, 2, 1]);

    const whole = await get('/repos/acme/widgets/issues?state=all&per_page=500');
    expect(numbers(whole)).toHaveLength(6);
    expect(whole.headers.get('link')).toBeNull();
    expect(numbers(await get('/repos/acme/widgets/issues?state=all'))).toHaveLength(6);
  });

  it('sends the rate-limit headers, remaining going down', async () => {
    const first = await get('/repos/acme/widgets');
    const second = await get('/repos/acme/widgets/labels');
    expect(first.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(first.headers.get('x-ratelimit-resource')).toBe('core');
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect([first.headers.get('x-ratelimit-used'), first.headers.get('x-ratelimit-remaining')]).toEqual(['1', '4999']);
    expect([second.headers.get('x-ratelimit-used'), second.headers.get('x-ratelimit-remaining')]).toEqual(['2', '4998']);
  });

  it('answers injected faults on their route, with their headers, then works again', async () => {
    github.faults.push({ route: 'milestones', kind: 'status', status: 502 });
    github.faults.push({
      route: 'any',
      kind: 'status',
      status: 403,
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      headers: { 'retry-after': '2' },
    });
    const limited = await get('/repos/acme/widgets/issues');
    expect(limited.status).toBe(403);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body.message).toBe('You have exceeded a secondary rate limit. Please wait a few minutes before you try again.');

    const broken = await get('/repos/acme/widgets/milestones');
    expect([broken.status, broken.body.message]).toEqual([502, 'Server Error']);
    expect((await get('/repos/acme/widgets/milestones')).status).toBe(200);
    expect(github.requests.map((r) => r.status)).toEqual([403, 502, 200]);
  });
});

describe('runAction', () => {
  let workspace: string;
  beforeEach(async () => {
    workspace = await realpath(await mkdtemp(path.join(os.tmpdir(), 'okr-run-action-')));
  });
  afterEach(async () => {
    await rm(workspace, { recursive: true, force: true });
  });

  // Stands in for dist/index.js: reports what it was given and writes outputs like @actions/core.
  const PROBE = `
import { appendFileSync } from 'node:fs';
const env = process.env;
appendFileSync(env.GITHUB_OUTPUT, 'records<<ghadelimiter_42\\n[{"n":1}]\\nsecond line\\nghadelimiter_42\\n');
appendFileSync(env.GITHUB_OUTPUT, 'created<<ghadelimiter_43\\n3\\nghadelimiter_43\\n');
appendFileSync(env.GITHUB_STEP_SUMMARY, '## OKR progress\\n');
const picked = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('INPUT_') || k.startsWith('NODE_') || k.endsWith('_PROXY')));
console.log(JSON.stringify({ cwd: process.cwd(), version: process.version, picked, env }));
process.exitCode = 3;
`;

  async function probe(options: Partial<Parameters<typeof runAction>[0]> = {}) {
    const entry = path.join(workspace, 'probe.mjs');
    await writeFile(entry, PROBE);
    const result = await runAction({ workspace, githubToken: 'ghs_probe', entry, env: { GITHUB_API_URL: 'http://127.0.0.1:9' }, ...options });
    return { result, seen: JSON.parse(result.stdout) };
  }

  it('gives the action the inputs with their defaults, the runner variables and none of the test process environment', async () => {
    expect(process.env.NODE_OPTIONS).toContain('--experimental-vm-modules');
    const { result, seen } = await probe({ inputs: { 'dry-run': 'true' }, env: { GITHUB_API_URL: 'http://127.0.0.1:9', GITHUB_REPOSITORY: 'acme/gadgets' } });
    expect(result.code).toBe(3);
    expect(result.outputs).toEqual({ records: '[{"n":1}]\nsecond line', created: '3' });
    expect(result.summary).toBe('## OKR progress\n');
    expect(seen.cwd).toBe(workspace);
    expect(seen.picked).toEqual({
      INPUT_CONFIG: '.github/okr-progress.yml',
      'INPUT_GITHUB-TOKEN': 'ghs_probe',
      'INPUT_FEISHU-APP-ID': '',
      'INPUT_FEISHU-APP-SECRET': '',
      'INPUT_FEISHU-ACCESS-TOKEN': '',
      'INPUT_FEISHU-BASE-URL': 'https://open.feishu.cn',
      'INPUT_DRY-RUN': 'true',
      INPUT_TARGETS: '',
      'INPUT_AS-OF': '',
      'INPUT_FEISHU-WEBHOOK': '',
      'INPUT_FEISHU-WEBHOOK-SECRET': '',
      'INPUT_LIST-OKRS': '',
      INPUT_METRICS: '',
    });
    expect(seen.env).toMatchObject({
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_REPOSITORY: 'acme/gadgets',
      GITHUB_REPOSITORY_OWNER: 'acme',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'http://127.0.0.1:9',
      GITHUB_GRAPHQL_URL: 'http://127.0.0.1:9/graphql',
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_WORKSPACE: workspace,
      RUNNER_OS: 'Linux',
    });
    for (const name of ['GITHUB_RUN_ID', 'GITHUB_RUN_NUMBER', 'GITHUB_RUN_ATTEMPT', 'GITHUB_WORKFLOW', 'GITHUB_JOB', 'GITHUB_EVENT_PATH', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'RUNNER_TEMP']) {
      expect(seen.env[name]).toMatch(/\S/);
    }
    expect(result.env).toEqual(seen.env);
  });

  it('passes proxies only when told, and runs the node it is given', async () => {
    const { seen } = await probe({ node: NODE24, env: { GITHUB_API_URL: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:3128' } });
    expect(seen.version).toMatch(/^v24\./);
    expect(Object.keys(seen.picked).filter((k) => !k.startsWith('INPUT_'))).toEqual(['HTTPS_PROXY']);
  });

  it('kills an action that runs too long', async () => {
    const entry = path.join(workspace, 'hang.mjs');
    await writeFile(entry, 'setInterval(() => {}, 1000);\n');
    await expect(runAction({ workspace, githubToken: 'x', entry, timeoutMs: 300, env: { GITHUB_API_URL: 'http://127.0.0.1:9' } })).rejects.toThrow(
      'the action did not finish within 300 ms',
    );
  });

  it('will not run without the fake GitHub url', async () => {
    await expect(runAction({ workspace, githubToken: 'x' })).rejects.toThrow('runAction needs env.GITHUB_API_URL: the url of the fake GitHub');
  });

  it('reads both forms of GITHUB_OUTPUT', () => {
    expect(parseOutputFile('a<<EOF\nx\n\ny\nEOF\nb=1=2\n')).toEqual({ a: 'x\n\ny', b: '1=2' });
    expect(() => parseOutputFile('a<<EOF\nx\n')).toThrow('GITHUB_OUTPUT: the value of a is not closed by EOF');
  });
});
