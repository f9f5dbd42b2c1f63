import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { defaults } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck/light.js';

// One octokit for the run: the runner's API URL (GitHub Enterprise Server too), its proxy
// settings (through @actions/github), retries of 5xx answers, and rate limits waited out.

/** The longest wait for a rate limit that the run accepts; longer ones fail the target. */
const MAX_RATE_LIMIT_WAIT_S = 120;
const MAX_RATE_LIMIT_RETRIES = 3;
/** A GitHub answer that takes longer fails the request (retried like a 5xx), so a stuck server cannot hold the job. */
const REQUEST_TIMEOUT_MS = 30_000;

export type Octokit = ReturnType<typeof getOctokit>;

export function createOctokit(token: string): Octokit {
  return getOctokit(
    token,
    {
      baseUrl: process.env['GITHUB_API_URL'] || 'https://api.github.com',
      request: { fetch: fetchWithTimeout() },
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

/**
 * The runner's proxy-aware fetch with a clock on every call, retries and pages included
 * (a signal set on the request options would be spent after the first attempt).
 */
function fetchWithTimeout(): typeof fetch {
  const proxied = (defaults.request as { fetch: typeof fetch }).fetch;
  return (url, init) => {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    return proxied(url, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}
