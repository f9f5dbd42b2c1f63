import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck/light.js';

// One octokit for the run: the runner's API URL (GitHub Enterprise Server too), its proxy
// settings (through @actions/github), retries of 5xx answers, and rate limits waited out.

/** The longest wait for a rate limit that the run accepts; longer ones fail the target. */
const MAX_RATE_LIMIT_WAIT_S = 120;
const MAX_RATE_LIMIT_RETRIES = 3;

export type Octokit = ReturnType<typeof getOctokit>;

export function createOctokit(token: string): Octokit {
  return getOctokit(
    token,
    {
      baseUrl: process.env['GITHUB_API_URL'] || 'https://api.github.com',
      throttle: {
        // The plugin spaces every GraphQL request a second apart, as it does writes; this
        // action's queries only read, so they go one at a time without that pause.
        write: new Bottleneck.Group({ id: 'okr-progress-graphql', maxConcurrent: 1, minTime: 0 }),
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
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
    },
    retry,
    throttling,
  );
}
