import { afterEach, describe, expect, it } from '@jest/globals';
import { MAX_SEARCH_WAIT_MS, pacedSearches } from '../src/github/search-pace.js';
import { GITHUB_TOKEN, SAMPLE_REPOS } from './fixtures/sample.js';
import { octokitAt } from './helpers/octokit.js';
import { withStdout } from './helpers/stdout.js';
import { startFakeGitHub, type FakeGitHub, type FakeRepo } from './servers/fake-github.js';

// REST searches go without a pause while GitHub says some are left this minute, and wait for
// the reset when none is: against the fake GitHub's own search limit, on a clock of the test's.

/** A whole second, as GitHub's reset times are. */
const T0 = Date.parse('2026-11-27T09:00:00Z');

let github: FakeGitHub | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

/** A fake GitHub allowing `limit` searches a minute and an octokit on the same clock, whose sleeps move it on. */
async function searching(limit: number) {
  let now = T0;
  const sleeps: number[] = [];
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) as Record<string, FakeRepo>, searchLimit: limit, clock: () => now });
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    now += ms;
  };
  const octokit = octokitAt(github.url, GITHUB_TOKEN, { waitUnitMs: 0, searchPacing: { sleep, now: () => now } });
  const search = async () => (await octokit.request('GET /search/issues', { q: 'repo:acme/widgets is:issue' })).data.total_count;
  const statuses = () => github!.requests.filter((r) => r.path === '/search/issues').map((r) => r.status);
  return { search, sleeps, statuses, at: () => now };
}

describe('REST searches against GitHub’s limit of a minute', () => {
  it('go without a pause while some are left, and wait for the reset when none is', async () => {
    const { search, sleeps, statuses, at } = await searching(3);
    const totals = [];
    for (let i = 0; i < 7; i += 1) totals.push(await search());
    // acme/widgets holds 9 issues (12 too: this fake GitHub shows every item as seeded).
    expect(totals).toEqual([9, 9, 9, 9, 9, 9, 9]);
    // The third answer says none is left until T0 + 60 s: the fourth search waits to the second after.
    expect(sleeps).toEqual([61_000, 61_000]);
    expect(statuses()).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(at()).toBe(T0 + 122_000);
  });

  it('a limit another client spent is refused once, then waited out', async () => {
    const { search, sleeps, statuses } = await searching(1);
    // Another job with the same token spends this minute's one search.
    const spent = await fetch(`${github!.url}/search/issues?q=${encodeURIComponent('repo:acme/widgets')}`, { headers: { authorization: `token ${GITHUB_TOKEN}` } });
    expect([spent.status, spent.headers.get('x-ratelimit-remaining')]).toEqual([200, '0']);
    const { outcome, lines } = await withStdout(search);
    expect(outcome).toEqual({ status: 'fulfilled', value: 9 });
    expect(statuses()).toEqual([200, 403, 200]);
    expect(sleeps).toEqual([61_000]);
    // octokit's own wait is from GitHub's reset by the runner's clock, long past here.
    expect(lines).toEqual(['::warning::GitHub rate limit reached for GET /search/issues; waiting 0 s.']);
  });
});

describe('pacedSearches', () => {
  const answer = (headers: Record<string, string>) => new Response('{}', { status: 200, headers: { 'content-type': 'application/json', ...headers } });
  const spentUntil = (reset: number) => answer({ 'x-ratelimit-resource': 'search', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });

  function paced(answers: Response[]) {
    const sleeps: number[] = [];
    const asked: string[] = [];
    const fetch = pacedSearches(
      async (input) => {
        asked.push(String(input));
        return answers.shift() ?? answer({});
      },
      { sleep: async (ms) => void sleeps.push(ms), now: () => T0 },
    );
    return { fetch, sleeps, asked };
  }

  it('holds back searches only, GitHub Enterprise Server’s too', async () => {
    const { fetch, sleeps } = paced([spentUntil(T0 / 1000 + 30)]);
    await fetch('https://ghe.acme.example/api/v3/search/issues?q=x');
    await fetch('https://ghe.acme.example/api/v3/repos/acme/widgets/issues');
    await fetch(new URL('https://ghe.acme.example/api/v3/repos/acme/widgets/milestones'));
    expect(sleeps).toEqual([]);
    await fetch(new Request('https://ghe.acme.example/api/v3/search/issues?q=y'));
    expect(sleeps).toEqual([31_000]);
  });

  it('waits for nothing an answer does not say: another resource, some left, no reset', async () => {
    const { fetch, sleeps } = paced([
      answer({ 'x-ratelimit-resource': 'core', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 + 30) }),
      answer({ 'x-ratelimit-resource': 'search', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': String(T0 / 1000 + 30) }),
      answer({ 'x-ratelimit-resource': 'search', 'x-ratelimit-remaining': '0' }),
      spentUntil(T0 / 1000 - 5),
    ]);
    for (let i = 0; i < 5; i += 1) await fetch('https://api.github.com/search/issues?q=x');
    expect(sleeps).toEqual([]);
  });

  it(`waits at most ${MAX_SEARCH_WAIT_MS} ms, whatever the reset says`, async () => {
    const { fetch, sleeps, asked } = paced([spentUntil(T0 / 1000 + 3600)]);
    await fetch('https://api.github.com/search/issues?q=x');
    await fetch('https://api.github.com/search/issues?q=y');
    expect(sleeps).toEqual([61_000]);
    expect(asked).toEqual(['https://api.github.com/search/issues?q=x', 'https://api.github.com/search/issues?q=y']);
  });
});
