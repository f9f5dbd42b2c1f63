import { DEFAULTS, type MappingFile, type Target } from './schema.js';

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
      name: entry.name,
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
      sourceTitle: entry.source_title ?? defaults.source_title ?? `GitHub · ${repository}`,
      language: setting('language'),
      chart: setting('chart'),
    };
  });
}
