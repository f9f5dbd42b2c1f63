import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Target } from '../config/schema.js';
import { SelectionError, type Selection } from '../github/collect.js';
import { metric } from '../measures.js';
import { cleanTitle } from '../record/text.js';
import type { MetricValues } from './metrics-input.js';

// The `metric` kind: a number key result (coverage, latency, …). Its value comes from the
// action's `metrics` input (lines of name=value) or from a JSON file in the workspace; it
// selects no issues. A missing or unreadable value fails its own target only.

/** The value at a dotted path of a JSON document; undefined when there is none. */
function valueAt(document: unknown, dotted: string): unknown {
  let node = document;
  for (const key of dotted.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The value of a metric target and where it was read; a SelectionError naming the metric and where it looked. */
export async function readMetric(target: Target, values: MetricValues, workspace: string): Promise<{ value: number; from: string }> {
  const settings = target.metric!;
  const fail = (message: string): never => {
    throw new SelectionError(`metric ${settings.name}: ${message}`, ['targets', target.index, 'metric']);
  };
  if (settings.file === undefined || settings.path === undefined) {
    const found = values.get(settings.name);
    if (!found) return fail(`the metrics input has no line ${settings.name}=<number>; add one, such as ${settings.name}=\${{ steps.<id>.outputs.<name> }}`);
    if (found.value === undefined) return fail(`line ${found.line} of the metrics input gives no value (${settings.name}=); check the step output it comes from`);
    return { value: found.value, from: `the metrics input, line ${found.line}` };
  }
  const where = `${settings.file}, ${settings.path}`;
  let text: string;
  try {
    // Links are followed before the check, so that none leads out of the workspace.
    const root = await realpath(workspace);
    const file = await realpath(path.resolve(root, settings.file));
    if (path.relative(root, file).startsWith('..') || path.isAbsolute(path.relative(root, file))) return fail(`${settings.file} leads outside the workspace`);
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof SelectionError) throw error;
    const code = (error as { code?: string }).code;
    return fail(code === 'ENOENT' ? `${settings.file} does not exist in the workspace; create it in an earlier step` : `${settings.file} cannot be read (${code ?? String(error)})`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return fail(`${settings.file} is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const value = valueAt(document, settings.path);
  if (value === undefined) return fail(`${settings.file} has no value at ${settings.path}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const shown = JSON.stringify(value) ?? String(value);
    return fail(`the value at ${where} is ${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown}, not a number`);
  }
  return { value, from: where };
}

/** A metric target's selection: no items, the measure of its value. */
export async function metricSelection(target: Target, values: MetricValues, workspace: string, serverUrl: string): Promise<Selection> {
  const { value, from } = await readMetric(target, values, workspace);
  const url = `${serverUrl}/${target.repository}`;
  return {
    items: [],
    measured: { ...metric(value, target.metric!), openCount: 0, from },
    milestone: undefined,
    targetUrl: url,
    closedListUrl: url,
    openListUrl: url,
    displayName: cleanTitle(target.name ?? target.metric!.name),
  };
}
