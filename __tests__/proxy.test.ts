import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ProxyAgent, request } from 'undici';
import { APP, AS_OF, GITHUB_TOKEN, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { startProxy, type LoopbackProxy } from './helpers/proxy.js';
import { runAction } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// HTTPS_PROXY / HTTP_PROXY / NO_PROXY as a runner behind a proxy sets them. @actions/github
// never proxies a loopback host, so the fake GitHub is given a made-up name that only the
// proxy resolves: a run that reads it at all went through the proxy.

const GITHUB_HOST = 'github.proxied.test';

let github: FakeGitHub;
let feishu: FakeFeishu;
let proxy: LoopbackProxy;
let workspace: string;

beforeEach(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
  feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
  proxy = await startProxy({ hosts: { [GITHUB_HOST]: '127.0.0.1' } });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-proxy-'));
  await mkdir(path.join(workspace, '.github'));
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING);
});

afterEach(async () => {
  await Promise.all([github.close(), feishu.close(), proxy.close()]);
  await rm(workspace, { recursive: true, force: true });
});

function action(env: Record<string, string>) {
  return runAction({
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF },
    env: { GITHUB_REPOSITORY: 'acme/widgets', ...env },
  });
}

const port = (url: string): string => new URL(url).port;

describe('the bundled action behind a proxy', () => {
  it('sends both the GitHub and the Feishu calls through HTTPS_PROXY / HTTP_PROXY', async () => {
    const result = await action({
      GITHUB_API_URL: `http://${GITHUB_HOST}:${port(github.url)}`,
      HTTPS_PROXY: proxy.url,
      HTTP_PROXY: proxy.url,
    });
    expect(result.code).toBe(0);
    expect([result.outputs['created'], result.outputs['failed']]).toEqual(['3', '0']);
    expect(feishu.records.size).toBe(3);

    const tunnels = new Set(proxy.log.map((f) => `${f.method} ${f.target}`));
    expect(tunnels).toEqual(new Set([`CONNECT ${GITHUB_HOST}:${port(github.url)}`, `CONNECT 127.0.0.1:${port(feishu.url)}`]));
    expect(github.requests.length).toBeGreaterThan(0);
  });

  it('goes direct to the hosts NO_PROXY names', async () => {
    const result = await action({ GITHUB_API_URL: github.url, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect(result.code).toBe(0);
    expect(feishu.records.size).toBe(3);
    expect(proxy.log).toEqual([]);
  });
});

describe('the loopback proxy', () => {
  it('tunnels CONNECT and forwards absolute-URI requests to the hosts it maps, and logs both', async () => {
    const viaTunnel = await request(`http://${GITHUB_HOST}:${port(github.url)}/repos/acme/widgets`, {
      dispatcher: new ProxyAgent(proxy.url),
      headers: { authorization: `token ${GITHUB_TOKEN}` },
    });
    expect(viaTunnel.statusCode).toBe(200);
    expect(((await viaTunnel.body.json()) as { full_name: string }).full_name).toBe('acme/widgets');

    const forwarded = await new Promise<number>((done, fail) => {
      const proxyUrl = new URL(proxy.url);
      get({ host: proxyUrl.hostname, port: proxyUrl.port, path: `http://${GITHUB_HOST}:${port(github.url)}/repos/acme/nothing`, headers: { authorization: `token ${GITHUB_TOKEN}` } }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      }).on('error', fail);
    });
    expect(forwarded).toBe(404);

    expect(proxy.log).toEqual([
      { method: 'CONNECT', target: `${GITHUB_HOST}:${port(github.url)}` },
      { method: 'GET', target: `${GITHUB_HOST}:${port(github.url)}`, path: '/repos/acme/nothing' },
    ]);
    expect(github.requests.map((r) => [r.path, r.status])).toEqual([
      ['/repos/acme/widgets', 200],
      ['/repos/acme/nothing', 404],
    ]);
  });

  it('refuses to leave 127.0.0.1', async () => {
    const answer = await request('http://example.com/', { dispatcher: new ProxyAgent(proxy.url) }).catch((error: unknown) => error);
    expect(answer).toBeInstanceOf(Error);
    expect(proxy.log).toEqual([{ method: 'CONNECT', target: 'example.com:80' }]);
  });
});
