import * as core from '@actions/core';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, formatProblem, readMappingText } from './config/file.js';
import type { LoadedMapping } from './config/load.js';
import type { Target } from './config/schema.js';
import { describeScope, ITEM_EVENT_NAMES, targetsTouchedBy } from './event.js';
import type { FeishuClient } from './feishu/client.js';
import type { Selection } from './github/collect.js';
import { InputError, readInputs, type Inputs } from './inputs.js';
import { addSecret, redact } from './secrets.js';
import { computeProgress, periodKey, scheduleOf, type Schedule } from './progress.js';
import type { EarlierRecords } from './publish.js';
import type { ChartImage } from './record/content.js';
import { setOutputs, writeSummary, type RunStop, type TargetReport, type TargetResult } from './summary.js';

// The pipeline: inputs + mapping file → targets → GitHub items → progress → record →
// Feishu, then outputs and the job summary. Nothing else happens here.

type Pipeline = typeof import('./pipeline.js');

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

/** `acme project 5`: how a project target is named before its project's title is known. */
const projectName = (target: Target): string => (target.project ? `${target.project.owner} project ${target.project.number}` : '');

/** The names a target answers to in the `targets` input. */
function namesOf(target: Target): string[] {
  return [target.name, target.targetId, target.milestone === undefined ? undefined : String(target.milestone), target.labels.join(', '), projectName(target)]
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

/** The event that started the workflow, with its payload when it is one that can narrow the run. */
async function readEvent(): Promise<{ name: string; payload: unknown }> {
  const name = process.env['GITHUB_EVENT_NAME'] ?? '';
  const file = process.env['GITHUB_EVENT_PATH'];
  if (!file || !ITEM_EVENT_NAMES.includes(name)) return { name, payload: undefined };
  try {
    return { name, payload: JSON.parse(await readFile(file, 'utf8')) };
  } catch (error) {
    core.warning(`The ${name} event's payload cannot be read (${error instanceof Error ? error.message : String(error)}), so every target runs.`);
    return { name, payload: undefined };
  }
}

/**
 * Prints untrusted text so that nothing in it can act as a workflow command: the runner
 * reads `::command::` at the start of a line and the legacy `##[command]` anywhere in one.
 */
function printUntrusted(text: string): void {
  const token = randomUUID();
  core.info(`::stop-commands::${token}`);
  core.info(redact(text));
  core.info(`::${token}::`);
}

/**
 * The burn-up chart of a target (mapping key `chart`). A dry run writes it to RUNNER_TEMP;
 * a real run uploads it for the record's gallery. A chart that cannot be uploaded is
 * reported, and the record is written without it: the progress matters more than the picture.
 */
async function chartImage(
  steps: Pipeline,
  target: Target,
  selection: Selection,
  schedule: Schedule,
  now: Date,
  feishu: FeishuClient | undefined,
  report: TargetReport,
): Promise<ChartImage | undefined> {
  const chart = steps.burnUpChart(target, selection.items, now, schedule, selection.displayName);
  if (!feishu) {
    const file = path.join(process.env['RUNNER_TEMP'] || os.tmpdir(), `okr-chart-${target.targetId}.png`);
    await writeFile(file, chart.png);
    report.chart = `written to ${file}`;
    printUntrusted(`${selection.displayName}: burn-up chart written to ${file} (a real run uploads it and shows it after the headline).`);
    return undefined;
  }
  try {
    const image = await feishu.uploadImage(chart.png, target.targetType, target.targetId);
    report.chart = 'shown in the record, after the headline';
    return { fileToken: image.fileToken, src: image.url, width: chart.width, height: chart.height };
  } catch (error) {
    // Feishu cannot be used at all: the target fails with the reason, not only its chart.
    if (feishu.stopped) throw error;
    const message = redact(error instanceof Error ? error.message : String(error));
    report.chart = `not attached: ${message}`;
    core.warning(`${selection.displayName}: the burn-up chart was not attached; the record is written without it. ${message}`);
    return undefined;
  }
}

/** What every target of a run shares. */
interface Run {
  steps: Pipeline;
  inputs: Inputs;
  context: RunContext;
  loaded: LoadedMapping;
  feishu: FeishuClient | undefined;
  /** Indexes of targets that write to the same objective or key result for the same repository. */
  sharedRecords: Set<number>;
}

function targetsSharingRecords(targets: Target[]): Set<number> {
  const key = (t: Target): string => `${t.targetType} ${t.targetId} ${t.repository.toLowerCase()}`;
  const count = new Map<string, number>();
  for (const t of targets) count.set(key(t), (count.get(key(t)) ?? 0) + 1);
  return new Set(targets.filter((t) => count.get(key(t))! > 1).map((t) => t.index));
}

async function processTarget(run: Run, target: Target, selecting: Promise<Selection>): Promise<TargetResult> {
  const { steps, inputs, context, loaded, feishu } = run;
  const people = loaded.mapping.people ?? {};
  const result: TargetResult = {
    name: target.name ?? (target.milestone !== undefined ? String(target.milestone) : target.labels.join(', ') || projectName(target)),
    target_id: target.targetId,
    target_type: target.targetType,
    repository: target.repository,
    percent: null,
    status: null,
    done: null,
    total: null,
    unit: null,
    closed_in_window: null,
    progress_id: null,
    result: 'failed',
  };
  try {
    const selection = await selecting;
    result.name = selection.displayName;
    result.url = selection.targetUrl;
    const period = periodKey(target.period, context.now, target.timezone, { runId: context.run.id, runAttempt: context.run.attempt });
    // A record is this target's by its objective or key result, repository and period; when
    // another target of the mapping shares all three, the headline's name tells them apart.
    const headline = run.sharedRecords.has(target.index) ? selection.displayName : undefined;
    const earlier: EarlierRecords = feishu
      ? await steps.findEarlierRecords(feishu, target.targetType, target.targetId, target.repository, period, (m) => core.warning(redact(m)), headline)
      : { current: undefined, previous: undefined, readable: false };
    if (target.window === 'since-last-record' && !earlier.previous) {
      core.info(`No earlier record of ${target.repository} on this ${target.targetType === 3 ? 'key result' : 'objective'}: the window is the last 7 days.`);
    }
    const schedule = scheduleOf(target, selection.milestone, selection.schedule, context.now);
    const lastRecordAt = earlier.previous ? new Date(earlier.previous.createTime) : undefined;
    const progress = computeProgress(target, selection.items, context.now, schedule, lastRecordAt, selection.counts, selection.measured);
    const { percent, status, done, total, unit = 'items' } = progress;
    Object.assign(result, { percent, status, done, total, unit, closed_in_window: progress.closedInWindow.length });
    const report: TargetReport = {
      timezone: target.timezone,
      windowStart: progress.windowStart,
      now: context.now,
      period,
      closed: progress.closedInWindow,
      closedItems: target.closedItems,
      closedListUrl: selection.closedListUrl,
      open: progress.open,
      openCount: progress.openCount,
      openItems: target.openItems,
      openListUrl: selection.openListUrl,
      due: schedule.due,
      dueFrom: schedule.dueFrom,
      milestoneDue: schedule.milestoneDue,
      ...(progress.unit && progress.unit !== 'items' && { unit: progress.unit }),
      ...(earlier.previous?.percent !== undefined && { previousPercent: earlier.previous.percent }),
      measure: steps.measureWords(target, progress),
    };
    result.report = report;
    const chart = target.chart
      ? await chartImage(steps, target, selection, schedule, context.now, inputs.dryRun ? undefined : feishu, report)
      : undefined;
    const request = steps.buildRecordRequest({
      target,
      displayName: selection.displayName,
      progress,
      targetUrl: selection.targetUrl,
      closedListUrl: selection.closedListUrl,
      openListUrl: selection.openListUrl,
      people,
      periodKey: period,
      run: { url: context.run.url, label: context.run.label },
      chart,
    });
    if (inputs.dryRun) {
      // The record as a person reads it in the log; the exact body in a file and the debug log.
      const body = JSON.stringify(request, null, 2);
      const file = path.join(process.env['RUNNER_TEMP'] || os.tmpdir(), `okr-record-${target.index + 1}-${target.targetId}.json`);
      await writeFile(file, `${body}\n`);
      core.startGroup(`${selection.displayName}: ${progress.percent}% (${progress.done} of ${progress.total}), ${earlier.current ? 'would update' : 'would create'} a record`);
      printUntrusted(`${steps.renderRecord(request)}\n\nThe request body (JSON) is in ${file}.`);
      core.endGroup();
      core.debug(`${selection.displayName}: request body ${body}`);
      result.result = 'dry-run';
      result.progress_id = earlier.current?.id ?? null;
      return result;
    }
    const published = await steps.publishRecord(feishu!, request, target.repository, period, earlier, (m) => core.info(redact(m)), headline);
    result.result = published.result;
    result.progress_id = published.progressId;
    printUntrusted(`${selection.displayName}: ${published.result} record ${published.progressId} (${progress.percent}%, ${progress.done} of ${progress.total}).`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.error = redact(error instanceof steps.SelectionError ? `${loaded.locate(error.path)} ${steps.pathText(error.path)}: ${message}` : message);
    // The error that stopped the Feishu work was said once, by the target that met it.
    if (error instanceof steps.FeishuStoppedError) core.info(`${result.name}: skipped: Feishu could not be used in this run (see the error above).`);
    else core.error(`${result.name}: ${result.error}`);
  }
  return result;
}

/** The group digest: loaded only when a webhook is set; whatever happens, it only warns. */
async function groupDigest(inputs: Inputs, results: TargetResult[], language: Target['language'], context: RunContext): Promise<void> {
  try {
    const { sendDigest } = await import(/* webpackMode: "eager" */ './digest/index.js');
    await sendDigest(results, {
      webhook: inputs.webhook!,
      dryRun: inputs.dryRun,
      language,
      run: context.run,
      log: {
        info: core.info,
        warning: (m) => core.warning(redact(m)),
        group: (title, text) => {
          core.startGroup(title);
          printUntrusted(text);
          core.endGroup();
        },
      },
    });
  } catch (error) {
    core.warning(redact(`The group digest was not posted: ${error instanceof Error ? error.message : String(error)}.`));
  }
}

export async function run(): Promise<void> {
  const results: TargetResult[] = [];
  let dryRun = false;
  // The `error` output (empty on success), and why the run stopped early, for the summary.
  let runError = '';
  let stopped: RunStop | undefined;
  let eventNote: string | undefined;
  let listing = false;
  try {
    const inputs = readInputs(process.env['GITHUB_WORKSPACE'] || process.cwd());
    dryRun = inputs.dryRun;
    const context = runContext(inputs.asOf);
    if (inputs.listOkrs.length) {
      // A mode of its own: no mapping file, no records; it writes its own summary and outputs.
      listing = true;
      const { listOkrs } = await import(/* webpackMode: "eager" */ './list-okrs.js');
      await listOkrs(inputs, context, printUntrusted);
      return;
    }
    const mappingText = await readMappingText(inputs.configPath, inputs.configDisplayPath, inputs.workspace);

    // Run only now: a run that stops at its inputs or mapping file starts as fast as
    // @actions/core alone. "eager" keeps the code inside dist/index.js, the one file ncc minifies.
    const steps = await import(/* webpackMode: "eager" */ './pipeline.js');
    const baseUrl = steps.checkBaseUrl(inputs.feishu.baseUrl).toString().replace(/\/+$/, '');
    const loaded = steps.parseMappingDocument(mappingText, inputs.configDisplayPath);
    const { mapping } = loaded;
    const all = steps.resolveTargets(mapping, context.workflowRepository);
    const chosen = chooseTargets(all, inputs.targets);
    // On an issue or pull request event, only the targets whose selection holds the item run.
    const event = await readEvent();
    const scope = targetsTouchedBy(event.name, event.payload, chosen);
    const targets = scope.targets;
    if (scope.event) {
      eventNote = describeScope(scope.event, targets.map((t) => t.name ?? (t.milestone !== undefined ? String(t.milestone) : t.labels.join(', ') || t.targetId)), chosen.length);
      core.info(eventNote);
      if (!targets.length) return;
    }
    core.info(`${targets.length} target${targets.length === 1 ? '' : 's'} as of ${context.now.toISOString()}${dryRun ? ' (dry run)' : ''}.`);

    const collector = new steps.Collector(steps.createOctokit(inputs.githubToken), context.serverUrl, (m) => core.warning(redact(m)));
    const hasCredentials = Boolean(inputs.feishu.accessToken || (inputs.feishu.appId && inputs.feishu.appSecret));
    const feishu = hasCredentials
      ? new steps.FeishuClient({
          ...inputs.feishu,
          baseUrl,
          // Its log lines quote Feishu's own messages: printed so that none can act as a command.
          log: { info: printUntrusted, warning: (m) => core.warning(redact(m)), debug: (m) => core.debug(redact(m)) },
          setSecret: addSecret,
        })
      : undefined;

    // GitHub's answers are asked for up front, while the Feishu work goes target by target
    // in mapping order. A run about the present lets GitHub count what it can.
    const selections = steps.selectTargets(collector, targets, context.now, inputs.asOf === undefined, inputs);
    for (const selecting of selections) selecting.catch(() => undefined); // awaited below
    const run: Run = { steps, inputs, context, loaded, feishu, sharedRecords: targetsSharingRecords(all) };
    for (const [i, target] of targets.entries()) results.push(await processTarget(run, target, selections[i]!));
    const { queries, cost, remaining } = collector.graphql;
    if (queries) core.info(`GitHub GraphQL: ${queries} quer${queries === 1 ? 'y' : 'ies'} cost ${cost} point${cost === 1 ? '' : 's'}; ${remaining} left this hour.`);
    if (inputs.webhook) await groupDigest(inputs, results, targets[0]!.language, context);
    const failed = results.filter((r) => r.result === 'failed');
    if (failed.length) {
      runError = `${failed.length} of ${results.length} targets failed: ${failed.map((r) => r.name).join(', ')}.`;
      core.setFailed(runError);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      // One annotation per problem, so each shows on the file in the workflow's view.
      for (const p of error.problems) {
        core.error(formatProblem(p), p.line ? { file: p.file, startLine: p.line, startColumn: p.col } : { file: p.file });
      }
      const count = error.problems.length;
      core.setFailed(`The mapping file has ${count} problem${count === 1 ? '' : 's'} (listed above); nothing was sent to GitHub or Feishu.`);
      stopped = {
        reason: `The mapping file has ${count} problem${count === 1 ? '' : 's'}; nothing was sent to GitHub or Feishu.`,
        problems: error.problems.map(formatProblem),
      };
    } else {
      const reason = redact(error instanceof Error ? error.message : String(error));
      core.setFailed(reason);
      stopped = { reason, problems: [] };
    }
    runError = [stopped.reason, ...stopped.problems].join('\n');
  } finally {
    if (!listing) {
      setOutputs(results, runError);
      // A summary that cannot be written must not hide the outputs and the exit code.
      await writeSummary(results, dryRun, stopped, eventNote).catch((e: unknown) => core.warning(`The job summary was not written: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}
