import { createOctokit, type Octokit, type OctokitOptions } from '../../src/github/octokit.js';

/**
 * The action's octokit, talking to `apiUrl` (a fake GitHub) as it talks to the runner's
 * GITHUB_API_URL, which it reads once, when it is made.
 */
export function octokitAt(apiUrl: string, token: string, settings?: OctokitOptions): Octokit {
  const before = process.env['GITHUB_API_URL'];
  process.env['GITHUB_API_URL'] = apiUrl;
  try {
    return createOctokit(token, settings);
  } finally {
    if (before === undefined) delete process.env['GITHUB_API_URL'];
    else process.env['GITHUB_API_URL'] = before;
  }
}
