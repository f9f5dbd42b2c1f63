import * as core from '@actions/core';
import { checkBaseUrl, FeishuClient } from './feishu/client.js';
import type { OkrPeriod } from './feishu/okrs.js';
import { createOctokit } from './github/octokit.js';
import type { Inputs } from './inputs.js';
import { listingFailure, listingSummary, listingText } from './okrs/report.js';
import { starterMapping, type ListedUser, type Selectable } from './okrs/starter.js';
import { addSecret, redact } from './secrets.js';

// The `list-okrs` mode: instead of writing records, list the OKRs of the given users in the
// current period (or as-of's) with their ids, and a starter mapping file. It needs no mapping
// file and only read scopes. main.ts loads this module only when the input is set.

export interface ListContext {
  now: Date;
  workflowRepository: string;
}

type UserRef = { input: string; kind: 'email' | 'open_id' | 'user_id' };

/** Each user as typed: an email, an open_id (ou_…) or a user_id; repeats dropped. */
export function parseUsers(list: readonly string[]): UserRef[] {
  const seen = new Set<string>();
  const users: UserRef[] = [];
  for (const input of list) {
    if (seen.has(input.toLowerCase())) continue;
    seen.add(input.toLowerCase());
    users.push({ input, kind: input.includes('@') ? 'email' : /^ou_\w+$/.test(input) ? 'open_id' : 'user_id' });
  }
  return users;
}

/** The periods `now` falls in; those marked invalid (2) or hidden (3) do not count. */
export function currentPeriods(periods: readonly OkrPeriod[], now: Date): OkrPeriod[] {
  return periods.filter((p) => p.status !== 2 && p.status !== 3 && p.start.getTime() <= now.getTime() && now.getTime() < p.end.getTime());
}

const day = (at: Date): string => at.toISOString().slice(0, 10);
const periodName = (p: OkrPeriod): string => p.enName || p.zhName || p.id;

/** The open milestones, then the labels, of the workflow's repository; none (with a warning) when GitHub cannot say. */
async function readSelectables(repository: string, token: string): Promise<Selectable[]> {
  const [owner = '', repo = ''] = repository.split('/');
  try {
    const octokit = createOctokit(token);
    const [milestones, labels] = await Promise.all([
      octokit.paginate('GET /repos/{owner}/{repo}/milestones', { owner, repo, state: 'open', per_page: 100 }),
      octokit.paginate('GET /repos/{owner}/{repo}/labels', { owner, repo, per_page: 100 }),
    ]);
    return [
      ...milestones.map((m) => ({ kind: 'milestone' as const, title: String(m.title) })),
      ...labels.map((l) => ({ kind: 'label' as const, title: String(l.name) })),
    ];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    core.warning(redact(`Could not read the milestones and labels of ${repository} (${message}); the starter mapping pairs no key result.`));
    return [];
  }
}

export async function listOkrs(inputs: Inputs, context: ListContext, print: (text: string) => void): Promise<void> {
  let failed = 0;
  let error = '';
  try {
    const feishu = new FeishuClient({
      ...inputs.feishu,
      baseUrl: checkBaseUrl(inputs.feishu.baseUrl).toString().replace(/\/+$/, ''),
      log: { info: print, warning: (m) => core.warning(redact(m)), debug: (m) => core.debug(redact(m)) },
      setSecret: addSecret,
    });
    const users = parseUsers(inputs.listOkrs);
    const [periods, selectables] = await Promise.all([feishu.listPeriods(), readSelectables(context.workflowRepository, inputs.githubToken)]);
    // The API takes at most 10 period ids; more than one period at a time is already rare.
    const current = currentPeriods(periods, context.now).slice(0, 10);
    if (current.length === 0) {
      const known = periods.map((p) => `${periodName(p)} (${day(p.start)} → ${day(new Date(p.end.getTime() - 1))})`).join(', ');
      throw new Error(`No OKR period of this tenant contains ${day(context.now)}${known ? `; its periods are: ${known}` : ''}. Set as-of to a moment inside one.`);
    }

    const emails = users.filter((u) => u.kind === 'email').map((u) => u.input);
    let openIds = new Map<string, string>();
    let emailError: string | undefined;
    if (emails.length) {
      try {
        openIds = await feishu.openIdsOfEmails(emails);
      } catch (e) {
        emailError = redact(e instanceof Error ? e.message : String(e));
      }
    }

    const listed: ListedUser[] = [];
    const failures: { input: string; error: string }[] = [];
    for (const user of users) {
      const id = user.kind === 'email' ? openIds.get(user.input.toLowerCase()) : user.input;
      if (!id) {
        failures.push({
          input: user.input,
          error: emailError ?? 'no Feishu user has this email, or the app may not see them (the address must be the user\'s own, not an enterprise mailbox).',
        });
        continue;
      }
      try {
        const objectives = await feishu.listUserOkrs(id, user.kind === 'user_id' ? 'user_id' : 'open_id', current.map((p) => p.id));
        listed.push({ input: user.input, id, objectives });
      } catch (e) {
        failures.push({ input: user.input, error: redact(e instanceof Error ? e.message : String(e)) });
      }
    }

    const first = current[0]!;
    const name = current.map(periodName).join(', ');
    const starter = starterMapping({ repository: context.workflowRepository, periodName: name, users: listed, selectables });
    const listing = {
      repository: context.workflowRepository,
      periodName: name,
      periodDates: `${day(first.start)} → ${day(new Date(first.end.getTime() - 1))}`,
      asOf: context.now,
      users: listed,
      failures,
      selectables,
      starter,
    };
    print(listingText(listing));
    if (process.env['GITHUB_STEP_SUMMARY']) await core.summary.addRaw(listingSummary(listing)).write();
    if (failures.length) {
      failed = failures.length;
      error = `The OKRs of ${failures.length} of ${users.length} users could not be listed: ${failures.map((f) => f.input).join(', ')}.`;
      for (const f of failures) core.error(`${f.input}: ${f.error}`);
      core.setFailed(error);
    }
  } catch (e) {
    failed = Math.max(failed, 1);
    error = redact(e instanceof Error ? e.message : String(e));
    core.setFailed(error);
    if (process.env['GITHUB_STEP_SUMMARY']) await core.summary.addRaw(listingFailure(error)).write();
  } finally {
    // A listing writes no records; the outputs say so on every exit path.
    core.setOutput('records', '[]');
    core.setOutput('created', 0);
    core.setOutput('updated', 0);
    core.setOutput('failed', failed);
    if (error) core.setOutput('error', error);
  }
}
