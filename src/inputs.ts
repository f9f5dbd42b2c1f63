import * as core from '@actions/core';
import path from 'node:path';
import { calendarProblem } from './calendar.js';
import { addSecret } from './secrets.js';
import { checkWebhookUrl, WebhookUrlError } from './digest/url.js';
import { parseMetricsInput, type MetricValues } from './sources/metrics-input.js';

// Every action input read and checked in one place, into one typed object.

export interface Inputs {
  /** GITHUB_WORKSPACE: the mapping file must be inside it. */
  workspace: string;
  configPath: string;
  configDisplayPath: string;
  githubToken: string;
  feishu: { baseUrl: string; appId?: string; appSecret?: string; accessToken?: string };
  dryRun: boolean;
  targets: string[];
  asOf: Date | undefined;
  /** The group digest's custom-bot webhook and its signing secret; undefined: no digest. */
  webhook: { url: string; secret: string | undefined } | undefined;
  /** `list-okrs`: emails, open_ids or user_ids whose OKRs to list instead of writing records. */
  listOkrs: string[];
  /** The `metrics` input: values of metric key results, by name. */
  metrics: MetricValues;
}

export class InputError extends Error {
  override name = 'InputError';
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** `as-of`: an ISO-8601 instant (or a date, meaning its start in UTC). */
export function parseAsOf(text: string): Date | undefined {
  if (text === '') return undefined;
  const at = new Date(text);
  if (!ISO_INSTANT.test(text) || Number.isNaN(at.getTime())) {
    throw new InputError(`Input as-of: "${text}" is not an ISO-8601 instant; write it like 2026-11-27T09:00:00Z.`);
  }
  // The mapping file's check: Date would read 2026-02-30 as March 2.
  const problem = calendarProblem(text);
  if (problem) throw new InputError(`Input as-of: "${text}" names no real instant (${problem}); write it like 2026-11-27T09:00:00Z.`);
  return at;
}

function readBoolean(name: string): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new InputError(`Input ${name}: "${value}" is not a boolean; use true or false.`);
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

// An unset or misspelled secret reads as an empty input: name the secret the README sets up.
const SECRET_OF: Record<string, string> = {
  'feishu-app-id': 'feishu-app-id: ${{ secrets.FEISHU_APP_ID }}',
  'feishu-app-secret': 'feishu-app-secret: ${{ secrets.FEISHU_APP_SECRET }}',
};

function missingCredentials(appId: string, appSecret: string, listing: boolean): InputError {
  const otherwise = listing
    ? 'list-okrs reads OKRs from Feishu, so it needs them even in a dry run.'
    : 'or run with dry-run: true to only print the payloads.';
  if (appId || appSecret) {
    const missing = appId ? 'feishu-app-secret' : 'feishu-app-id';
    return new InputError(
      `Feishu credentials are incomplete: the input ${missing} is empty. Set it, usually as \`${SECRET_OF[missing]}\` (a repository secret that is not set, or is misspelled, reads as empty); ${otherwise}`,
    );
  }
  return new InputError(
    `Feishu credentials are missing: set the inputs \`${SECRET_OF['feishu-app-id']}\` and \`${SECRET_OF['feishu-app-secret']}\` (or feishu-access-token) from the repository secrets FEISHU_APP_ID and FEISHU_APP_SECRET; ${otherwise}`,
  );
}

function readMetrics(): MetricValues {
  try {
    return parseMetricsInput(core.getInput('metrics'));
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error));
  }
}

export function readInputs(workspace: string): Inputs {
  // Mask secrets before anything else can print them.
  const appSecret = core.getInput('feishu-app-secret');
  const accessToken = core.getInput('feishu-access-token');
  const githubToken = core.getInput('github-token');
  for (const secret of [appSecret, accessToken, githubToken]) if (secret) addSecret(secret);
  const webhook = readWebhook();

  const configDisplayPath = core.getInput('config') || '.github/okr-progress.yml';
  const dryRun = readBoolean('dry-run');
  const appId = core.getInput('feishu-app-id');

  const listOkrs = splitList(core.getInput('list-okrs'));
  // A listing reads from Feishu, so it needs credentials even in a dry run.
  if ((listOkrs.length > 0 || !dryRun) && !accessToken && !(appId && appSecret)) throw missingCredentials(appId, appSecret, listOkrs.length > 0);
  if (!githubToken) throw new InputError('Input github-token is empty; leave it at its default (${{ github.token }}) or pass a token.');

  return {
    workspace,
    configPath: path.resolve(workspace, configDisplayPath),
    configDisplayPath,
    githubToken,
    feishu: {
      baseUrl: core.getInput('feishu-base-url') || 'https://open.feishu.cn',
      appId: appId || undefined,
      appSecret: appSecret || undefined,
      accessToken: accessToken || undefined,
    },
    dryRun,
    targets: splitList(core.getInput('targets')),
    asOf: parseAsOf(core.getInput('as-of').trim()),
    webhook,
    listOkrs,
    metrics: readMetrics(),
  };
}

/** feishu-webhook and feishu-webhook-secret, both masked before they are checked. */
function readWebhook(): Inputs['webhook'] {
  const url = core.getInput('feishu-webhook');
  const secret = core.getInput('feishu-webhook-secret');
  for (const value of [url, secret]) if (value) addSecret(value);
  if (!url) {
    // A workflow may pass the webhook only on some events (say, schedules) and the secret always.
    if (secret) core.info('Input feishu-webhook-secret is set but feishu-webhook is empty: no group digest is posted.');
    return undefined;
  }
  try {
    // The token alone is masked too, in case anything prints it apart from the address.
    addSecret(checkWebhookUrl(url).token);
  } catch (error) {
    if (error instanceof WebhookUrlError) throw new InputError(error.message);
    throw error;
  }
  return { url: url.trim(), secret: secret || undefined };
}
