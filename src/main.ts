import * as core from '@actions/core';
import { randomUUID } from 'node:crypto';
import { ConfigError, formatProblem, loadMapping, pathText, type LoadedMapping } from './config/load.js';
import { resolveTargets } from './config/resolve.js';
import type { Target } from './config/schema.js';
import { checkBaseUrl, FeishuClient } from './feishu/client.js';
import { Collector, SelectionError, type Selection } from './github/collect.js';
import { createOctokit } from './github/octokit.js';
import { InputError, readInputs, type Inputs } from './inputs.js';
import { computeProgress, periodKey, scheduleOf } from './progress.js';
import { findEarlierRecords, publishRecord, type EarlierRecords } from './publish.js';
import { buildRecordRequest } from './record/content.js';
import { setOutputs, writeSummary, type TargetResult } from './summary.js';

// The pipeline: inputs + mapping file → targets → GitHub items → progress → record →
// Feishu, then outputs and the job summary. Nothing else happens here.

interface RunContext {
  now: Date;
  serverUrl: string;
  workflowRepository: string;
  run: { id: string; attempt: string; url: string; label: string };
}

function runContext(asOf: Date | undefined): RunContext {
  const env = process.env;
  const serverUrl = (env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/+$/, '');
  const workflowRepository = env['GITHUB_REPOSITORY'] ?? '';
  const id = env['GITHUB_RUN_ID'] || '0';
  const attempt = env['GITHUB_RUN_ATTEMPT'] || '1';
  const url = `${serverUrl}/${workflowRepository}/actions/runs/${id}${attempt !== '1' ? `/attempts/${attempt}` : ''}`;
  const label = `${env['GITHUB_WORKFLOW'] || 'workflow'} #${env['GITHUB_RUN_NUMBER'] || id}`;
  return { now: asOf ?? new Date(), serverUrl, workflowRepository, run: { id, attempt, url, label } };
}

/** The names a target answers to in the `targets` input. */
function namesOf(target: Target): string[] {
  return [target.name, target.targetId, target.milestone === undefined ? undefined : String(target.milestone), target.labels.join(', ')]
    .filter((n): n is string => Boolean(n))
    .map((n) => n.toLowerCase());
}

function chooseTargets(all: Target[], wanted: string[]): Target[] {
  if (!wanted.length) return all;
  const unknown = wanted.filter((w) => !all.some((t) => namesOf(t).includes(w.toLowerCase())));
  if (unknown.length) {
    const known = all.map((t) => t.name ?? t.targetId).join(', ');
    throw new InputError(`Input targets: ${unknown.map((u) => `"${u}"`).join(', ')} names no target of the mapping file; its targets are: ${known}.`);
  }
  return all.filter((t) => wanted.some((w) => namesOf(t).includes(w.toLowerCase())));
}

/** Prints untrusted text so that nothing in it can act as a workflow command. */
function printUntrusted(text: string): void {
  const token = randomUUID();
  core.info(`::stop-commands::${token}`);
  core.info(text);
  core.info(`::${token}::`);
}

async function processTarget(
  target: Target,
  collector: Collector,
  feishu: FeishuClient | undefined,
  inputs: Inputs,
  context: RunContext,
  people: Record<string, string>,
  loaded: LoadedMapping,
): Promise<TargetResult> {
  const result: TargetResult = {
    name: target.name ?? (target.milestone !== undefined ? String(target.milestone) : target.labels.join(', ')),
    target_id: target.targetId,
    target_type: target.targetType,
    repository: target.repository,
    percent: null,
    status: null,
    done: null,
    total: null,
    closed_in_window: null,
    progress_id: null,
    result: 'failed',
  };
  try {
    const selection: Selection = await collector.select(target);
    result.name = selection.displayName;
    result.url = selection.targetUrl;
    const period = periodKey(target.period, context.now, target.timezone, { runId: context.run.id, runAttempt: context.run.attempt });
    const earlier: EarlierRecords = feishu
      ? await findEarlierRecords(feishu, target.targetType, target.targetId, target.repository, period, (m) => core.warning(m))
      : { current: undefined, previous: undefined, readable: false };
    if (target.window === 'since-last-record' && !earlier.previous) {
      core.info(`No earlier record of ${target.repository} on this ${target.targetType === 3 ? 'key result' : 'objective'}: the window is the last 7 days.`);
    }
    const progress = computeProgress(
      target,
      selection.items,
      context.now,
      scheduleOf(target, selection.milestone),
      earlier.previous ? new Date(earlier.previous.createTime) : undefined,
    );
    Object.assign(result, {
      percent: progress.percent,
      status: progress.status,
      done: progress.done,
      total: progress.total,
      closed_in_window: progress.closedInWindow.length,
    });
    const request = buildRecordRequest({
      target,
      displayName: selection.displayName,
      progress,
      targetUrl: selection.targetUrl,
      closedListUrl: selection.closedListUrl,
      openListUrl: selection.openListUrl,
      people,
      periodKey: period,
      run: { url: context.run.url, label: context.run.label },
    });
    if (inputs.dryRun) {
      core.startGroup(`${selection.displayName}: ${progress.percent}% (${progress.done} of ${progress.total}), ${earlier.current ? 'would update' : 'would create'} a record`);
      printUntrusted(JSON.stringify(request, null, 2));
      core.endGroup();
      result.result = 'dry-run';
      result.progress_id = earlier.current?.id ?? null;
      return result;
    }
    const published = await publishRecord(feishu!, request, target.repository, period, earlier, (m) => core.info(m));
    result.result = published.result;
    result.progress_id = published.progressId;
    core.info(`${selection.displayName}: ${published.result} record ${published.progressId} (${progress.percent}%, ${progress.done} of ${progress.total}).`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.error = error instanceof SelectionError ? `${loaded.locate(error.path)} ${pathText(error.path)}: ${message}` : message;
    core.error(`${result.name}: ${result.error}`);
  }
  return result;
}

export async function run(): Promise<void> {
  const results: TargetResult[] = [];
  let dryRun = false;
  try {
    const inputs = readInputs(process.env['GITHUB_WORKSPACE'] || process.cwd());
    dryRun = inputs.dryRun;
    const baseUrl = checkBaseUrl(inputs.feishu.baseUrl).toString().replace(/\/+$/, '');
    const context = runContext(inputs.asOf);

    const loaded = await loadMapping(inputs.configPath, inputs.configDisplayPath);
    const { mapping } = loaded;
    const targets = chooseTargets(resolveTargets(mapping, context.workflowRepository), inputs.targets);
    core.info(`${targets.length} target${targets.length === 1 ? '' : 's'} as of ${context.now.toISOString()}${dryRun ? ' (dry run)' : ''}.`);

    const collector = new Collector(createOctokit(inputs.githubToken), context.serverUrl);
    const hasCredentials = Boolean(inputs.feishu.accessToken || (inputs.feishu.appId && inputs.feishu.appSecret));
    const feishu = hasCredentials
      ? new FeishuClient({ ...inputs.feishu, baseUrl, log: core, setSecret: core.setSecret })
      : undefined;

    for (const target of targets) {
      results.push(await processTarget(target, collector, feishu, inputs, context, mapping.people ?? {}, loaded));
    }
    const failed = results.filter((r) => r.result === 'failed');
    if (failed.length) {
      core.setFailed(`${failed.length} of ${results.length} targets failed: ${failed.map((r) => r.name).join(', ')}.`);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      // One annotation per problem, so each shows on the file in the workflow's view.
      for (const p of error.problems) {
        core.error(formatProblem(p), p.line ? { file: p.file, startLine: p.line, startColumn: p.col } : { file: p.file });
      }
      const count = error.problems.length;
      core.setFailed(`The mapping file has ${count} problem${count === 1 ? '' : 's'} (listed above); nothing was sent to GitHub or Feishu.`);
    } else {
      core.setFailed(error instanceof Error ? error.message : String(error));
    }
  } finally {
    setOutputs(results);
    await writeSummary(results, dryRun);
  }
}
