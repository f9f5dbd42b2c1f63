import type { Target } from './config/schema.js';

// Which targets a run touches when the workflow runs on an event (contract v1.1, "Live
// updates: events"). A pure function of the event's name, its payload and the mapping's
// targets: the event decides WHICH targets run, never HOW one runs.

/** The actions of `issues` and `pull_request` events that can change what a target counts. */
export const ITEM_ACTIONS = ['closed', 'reopened', 'milestoned', 'demilestoned', 'labeled', 'unlabeled', 'assigned', 'unassigned'] as const;

const ITEM_EVENTS: Record<string, 'issue' | 'pull_request'> = {
  issues: 'issue',
  pull_request: 'pull_request',
  // The same payload, run in the context of the base repository.
  pull_request_target: 'pull_request',
};

/** The events whose payload can narrow a run. */
export const ITEM_EVENT_NAMES = Object.keys(ITEM_EVENTS);

/**
 * What the narrowing reads of a target. Kinds added in v1.1 (`query`, `project`, `metric`)
 * and the `assignees` / `authors` narrowing are read when a target has them.
 */
export type EventTarget = Pick<Target, 'repository' | 'include' | 'milestone' | 'labels'> & {
  query?: unknown;
  project?: unknown;
  metric?: unknown;
  assignees?: readonly string[];
  authors?: readonly string[];
};

/** An issue or pull request as far as a selection can see it, before or after the change. */
export interface ItemState {
  kind: 'issue' | 'pull';
  milestone: { number: number; title: string } | null;
  labels: string[];
  assignees: string[];
  author: string | undefined;
}

export interface ItemEvent {
  /** e.g. `issues.closed` */
  name: string;
  repository: string;
  number: number;
  before: ItemState;
  after: ItemState;
}

export interface EventScope<T> {
  /** The targets to run. */
  targets: T[];
  /** The item event that narrowed them; undefined when every target runs. */
  event: ItemEvent | undefined;
}

type Json = Record<string, unknown>;
const isMap = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const names = (list: unknown, key: 'name' | 'login'): string[] =>
  Array.isArray(list) ? list.flatMap((entry) => (isMap(entry) && typeof entry[key] === 'string' ? [entry[key]] : [])) : [];

function milestoneOf(value: unknown): ItemState['milestone'] {
  if (!isMap(value) || typeof value.number !== 'number' || typeof value.title !== 'string') return null;
  return { number: value.number, title: value.title };
}

const without = (list: string[], name: string | undefined): string[] =>
  name === undefined ? list : list.filter((entry) => entry.toLowerCase() !== name.toLowerCase());
const withAdded = (list: string[], name: string | undefined): string[] =>
  name === undefined || list.some((entry) => entry.toLowerCase() === name.toLowerCase()) ? list : [...list, name];

/**
 * The item event of a payload, or undefined when the event is not one that narrows (other
 * events, other actions, or a payload without the item: then every target runs).
 */
export function readItemEvent(eventName: string, payload: unknown): ItemEvent | undefined {
  const key = ITEM_EVENTS[eventName];
  if (!key || !isMap(payload)) return undefined;
  const action = text(payload.action);
  if (!action || !(ITEM_ACTIONS as readonly string[]).includes(action)) return undefined;
  const item = payload[key];
  const repository = isMap(payload.repository) ? text(payload.repository.full_name) : undefined;
  if (!isMap(item) || typeof item.number !== 'number' || !repository) return undefined;

  const after: ItemState = {
    // An `issues` payload can be about a pull request (GitHub treats every pull request as an issue).
    kind: key === 'pull_request' || isMap(item.pull_request) ? 'pull' : 'issue',
    milestone: milestoneOf(item.milestone),
    labels: names(item.labels, 'name'),
    assignees: names(item.assignees, 'login'),
    author: isMap(item.user) ? text(item.user.login) : undefined,
  };
  const label = isMap(payload.label) ? text(payload.label.name) : undefined;
  const assignee = isMap(payload.assignee) ? text(payload.assignee.login) : undefined;
  // The payload shows the item after the change; the state before it follows from the action.
  const before: ItemState = { ...after };
  switch (action) {
    case 'milestoned':
      // The payload does not say which milestone, if any, the item left. A move from one
      // milestone to another is expected to send `demilestoned` for the old one too, which
      // runs its targets (as GitHub's timeline shows a move; unconfirmed for webhooks).
      before.milestone = null;
      after.milestone = milestoneOf(payload.milestone) ?? after.milestone;
      break;
    case 'demilestoned':
      // `milestone` of the payload is the one removed.
      before.milestone = milestoneOf(payload.milestone);
      after.milestone = null;
      break;
    case 'labeled':
      before.labels = without(after.labels, label);
      after.labels = withAdded(after.labels, label);
      break;
    case 'unlabeled':
      before.labels = withAdded(after.labels, label);
      after.labels = without(after.labels, label);
      break;
    case 'assigned':
      before.assignees = without(after.assignees, assignee);
      after.assignees = withAdded(after.assignees, assignee);
      break;
    case 'unassigned':
      before.assignees = withAdded(after.assignees, assignee);
      after.assignees = without(after.assignees, assignee);
      break;
    // closed, reopened: the selection does not change, only whether the item is done.
  }
  return { name: `${eventName}.${action}`, repository, number: item.number, before, after };
}

const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const anyOf = (wanted: readonly string[] | undefined, have: readonly string[]): boolean =>
  !wanted?.length || wanted.some((w) => have.some((h) => sameName(w, h)));

/** Whether a milestone/labels selection (v1), with its narrowing, includes the item as it stood. */
export function selects(target: EventTarget, item: ItemState): boolean {
  if (target.include === 'issues' && item.kind !== 'issue') return false;
  if (target.include === 'pulls' && item.kind !== 'pull') return false;
  if (target.milestone !== undefined) {
    const wanted = target.milestone;
    if (!item.milestone) return false;
    // The collector finds a milestone by number, or by title (exact or ignoring case).
    if (typeof wanted === 'number' ? item.milestone.number !== wanted : !sameName(item.milestone.title, wanted)) return false;
  }
  // GitHub's label names ignore case.
  if (!anyOf(target.labels, item.labels)) return false;
  if (!anyOf(target.assignees, item.assignees)) return false;
  if (!anyOf(target.authors, item.author ? [item.author] : [])) return false;
  return true;
}

/**
 * The one rule for kinds whose selection this module does not evaluate: a `query` or a
 * `project` may select the item however it reads, so it runs on any event of its
 * repository; a `metric` reads no items, so no item event changes it.
 */
export function touchedByKind(target: EventTarget, event: ItemEvent): boolean | undefined {
  if (target.metric !== undefined) return false;
  if (target.query !== undefined || target.project !== undefined) return sameName(target.repository, event.repository);
  return undefined;
}

/** Whether the event changes what the target counts: it selects the item before or after the change. */
export function touches(target: EventTarget, event: ItemEvent): boolean {
  const byKind = touchedByKind(target, event);
  if (byKind !== undefined) return byKind;
  if (!sameName(target.repository, event.repository)) return false;
  return selects(target, event.before) || selects(target, event.after);
}

/** The targets a run on this event touches: all of them unless it is an item event. */
export function targetsTouchedBy<T extends EventTarget>(eventName: string, payload: unknown, targets: T[]): EventScope<T> {
  const event = readItemEvent(eventName, payload);
  if (!event) return { targets, event: undefined };
  return { targets: targets.filter((target) => touches(target, event)), event };
}

/** The log's and the summary's words for what the event narrowed the run to, given the names of the targets that run. */
export function describeScope(event: ItemEvent, touched: readonly string[], of: number): string {
  const what = `The ${event.name} event of ${event.repository}#${event.number}`;
  if (!touched.length) return `${what} touches none of the ${of} target${of === 1 ? '' : 's'}: nothing is written.`;
  return `${what} touches ${touched.length} of ${of} target${of === 1 ? '' : 's'}, which run: ${touched.join(', ')}.`;
}
