import { DEFAULT_DONE, DEFAULTS, type MappingFile, type Target } from './schema.js';

type Setting = keyof typeof DEFAULTS;

/**
 * The mapping file's targets with every default applied: the action's DEFAULTS, then the
 * file's `defaults`, then the target's own keys.
 */
export function resolveTargets(mapping: MappingFile, workflowRepository: string): Target[] {
  const defaults = mapping.defaults ?? {};
  return mapping.targets.map((entry, index) => {
    const setting = <K extends Setting>(key: K) => entry[key] ?? defaults[key] ?? DEFAULTS[key];
    const targetId = entry.key_result ?? entry.objective;
    // The schema's rules guarantee one of the two; this keeps the type honest.
    if (targetId === undefined) throw new Error(`targets[${index}] has neither key_result nor objective`);
    const repository = entry.repository ?? workflowRepository;
    return {
      index,
      // A query or a metric names its target when the mapping gives no name.
      name: entry.name ?? entry.metric?.name ?? entry.query,
      targetId,
      targetType: entry.key_result !== undefined ? 3 : 2,
      repository,
      milestone: entry.milestone,
      labels: entry.labels ?? [],
      due: entry.due,
      start: entry.start,
      docs: entry.docs ?? [],
      window: setting('window'),
      period: setting('period'),
      timezone: setting('timezone'),
      status: setting('status'),
      include: setting('include'),
      progress: setting('progress'),
      openItems: setting('open_items'),
      closedItems: setting('closed_items'),
      riskTolerance: setting('risk_tolerance'),
      sourceTitle: entry.source_title ?? defaults.source_title ?? (entry.project ? `GitHub · ${entry.project.owner} project ${entry.project.number}` : `GitHub · ${repository}`),
      language: setting('language'),
      chart: setting('chart'),
      ...(entry.project && {
        project: {
          ...entry.project,
          statusField: setting('status_field'),
          done: entry.done ?? defaults.done ?? DEFAULT_DONE,
          iteration: entry.iteration,
          iterationField: setting('iteration_field'),
          estimateField: entry.estimate_field ?? defaults.estimate_field,
        },
      }),
      // v1.1's kinds, only where the file uses them: a v1 target stays what it was.
      ...(entry.query !== undefined && { query: entry.query }),
      ...(entry.assignees && { assignees: entry.assignees }),
      ...(entry.authors && { authors: entry.authors }),
      ...(entry.goal !== undefined && { goal: entry.goal }),
      ...((entry.weights ?? defaults.weights) && { weights: entry.weights ?? defaults.weights, defaultWeight: setting('default_weight') }),
      ...(entry.metric && { metric: entry.metric }),
    };
  });
}
