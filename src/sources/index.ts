import type { Target } from '../config/schema.js';
import { isCountable, type Collector, type Selection } from '../github/collect.js';
import { metricSelection } from './metric.js';
import type { MetricValues } from './metrics-input.js';
import { selectProject } from './project.js';
import { isSearchTarget, SearchSource } from './query.js';

// Which source selects each target: a metric reads its value, a project its items, the issue search answers
// queries and narrowed or weighed selections, the collector milestones and labels. Each
// source batches its own targets; the selections come back in the targets' order.

export interface SourceContext {
  /** The `metrics` input. */
  metrics: MetricValues;
  workspace: string;
}

export function selectTargets(collector: Collector, targets: readonly Target[], now: Date, live: boolean, context: SourceContext): Promise<Selection>[] {
  const metrics = targets.filter((t) => t.metric !== undefined);
  const searched = targets.filter((t) => !metrics.includes(t) && isSearchTarget(t));
  const projects = targets.filter((t) => !metrics.includes(t) && t.project !== undefined);
  const plain = targets.filter((t) => !metrics.includes(t) && !searched.includes(t) && !projects.includes(t));
  const search = new SearchSource({
    octokit: collector.octokit,
    serverUrl: collector.serverUrl,
    // A query names its own repositories: the target's milestones and labels are not read.
    milestoneOf: (target) => (target.query !== undefined ? Promise.resolve(undefined) : collector.resolve(target)),
    graphql: collector.graphql,
    warn: collector.warn,
  });
  const selections = new Map<Target, Promise<Selection>>();
  const add = (group: readonly Target[], found: Promise<Selection>[]): void => group.forEach((t, i) => selections.set(t, found[i]!));
  add(plain, collector.selectAll(plain, now, live));
  add(searched, search.selectAll(searched, now, live, isCountable));
  // A project is read over GraphQL alone, beside the lists.
  for (const target of projects) {
    selections.set(target, selectProject(target, { octokit: collector.octokit, now, live, narrowing: () => collector.resolve(target), graphql: collector.graphql }));
  }
  for (const target of metrics) selections.set(target, metricSelection(target, context.metrics, context.workspace, collector.serverUrl));
  return targets.map((t) => selections.get(t)!);
}
