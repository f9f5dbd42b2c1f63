import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { defaults } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck/light.js';
import { wholeBodyFetch } from './fetch.js';
import { pacedSearches, type SearchPacing } from './search-pace.js';

// One octokit for the run: the runner's API URL (GitHub Enterprise Server too), its proxy
// settings (through @actions/github), retries of 5xx answers, and rate limits waited out.

/** The longest wait for a rate limit that the run accepts; longer ones fail the target. */
export const MAX_RATE_LIMIT_WAIT_S = 120;
const MAX_RATE_LIMIT_RETRIES = 3;

export type Octokit = ReturnType<typeof getOctokit>;

export interface OctokitOptions {
  /**
   * A signal for each request that aborts when its time is up (default: 30 s). An answer
   * that takes longer, body included, fails the request (retried like a 5xx), so a stuck
   * server cannot hold the job.
   */
  clock?: () => AbortSignal;
  /**
   * How long one second of a wait lasts (default 1000 ms): the retries of a failed request
   * wait 1, 4 and 9 of them, a rate limit as many as GitHub's retry-after says.
   */
  waitUnitMs?: number;
  /** The clock and sleep of the wait for GitHub's search limit to reset (see search-pace.ts). */
  searchPacing?: SearchPacing;
}

export function createOctokit(token: string, settings: OctokitOptions = {}): Octokit {
  return getOctokit(
    token,
    {
      baseUrl: process.env['GITHUB_API_URL'] || 'https://api.github.com',
      // The runner's proxy-aware fetch; a search's wait for the limit is not part of its request clock.
      request: { fetch: pacedSearches(wholeBodyFetch((defaults.request as { fetch: typeof fetch }).fetch, settings.clock), settings.searchPacing) },
      throttle: {
        // The plugin spaces every GraphQL request a second apart, as it does writes; this
        // action's queries only read, so they go one at a time without that pause.
        write: new Bottleneck.Group({ id: 'okr-progress-graphql', maxConcurrent: 1, minTime: 0 }),
        ...(settings.waitUnitMs !== undefined && { retryAfterBaseValue: settings.waitUnitMs }),
        // Searches one at a time, paced by what GitHub says is left (search-pace.ts), not 2 s apart.
        search: new Bottleneck.Group({ id: 'okr-progress-search', maxConcurrent: 1, minTime: 0 }),
        onRateLimit: (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
          const wait = retryAfter <= MAX_RATE_LIMIT_WAIT_S && retryCount < MAX_RATE_LIMIT_RETRIES;
          core.warning(`GitHub rate limit reached for ${options.method} ${options.url}; ${wait ? `waiting ${retryAfter} s` : 'giving up'}.`);
          return wait;
        },
        onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
          const wait = retryAfter <= MAX_RATE_LIMIT_WAIT_S && retryCount < MAX_RATE_LIMIT_RETRIES;
          core.warning(`GitHub secondary rate limit for ${options.method} ${options.url}; ${wait ? `waiting ${retryAfter} s` : 'giving up'}.`);
          return wait;
        },
      },
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 451], ...(settings.waitUnitMs !== undefined && { retryAfterBaseValue: settings.waitUnitMs }) },
    },
    retry,
    throttling,
  );
}
