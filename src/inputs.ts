import * as core from '@actions/core';
import path from 'node:path';

// Every action input read and checked in one place, into one typed object.

export interface Inputs {
  configPath: string;
  configDisplayPath: string;
  githubToken: string;
  feishu: { baseUrl: string; appId?: string; appSecret?: string; accessToken?: string };
  dryRun: boolean;
  targets: string[];
  asOf: Date | undefined;
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
  return at;
}

function readBoolean(name: string): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new InputError(`Input ${name}: "${value}" is not a boolean; use true or false.`);
}

export function readInputs(workspace: string): Inputs {
  // Mask secrets before anything else can print them.
  const appSecret = core.getInput('feishu-app-secret');
  const accessToken = core.getInput('feishu-access-token');
  const githubToken = core.getInput('github-token');
  for (const secret of [appSecret, accessToken, githubToken]) if (secret) core.setSecret(secret);

  const configDisplayPath = core.getInput('config') || '.github/okr-progress.yml';
  const dryRun = readBoolean('dry-run');
  const appId = core.getInput('feishu-app-id');

  if (!dryRun && !accessToken && !(appId && appSecret)) {
    const missing = appId ? 'feishu-app-secret' : appSecret ? 'feishu-app-id' : 'feishu-app-id and feishu-app-secret (or feishu-access-token)';
    throw new InputError(`Feishu credentials are missing: set the input ${missing}, or run with dry-run: true to only print the payloads.`);
  }
  if (!githubToken) throw new InputError('Input github-token is empty; leave it at its default (${{ github.token }}) or pass a token.');

  return {
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
    targets: core
      .getInput('targets')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    asOf: parseAsOf(core.getInput('as-of').trim()),
  };
}
