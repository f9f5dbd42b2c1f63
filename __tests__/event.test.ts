import { describe, expect, it } from '@jest/globals';
import { describeScope, readItemEvent, targetsTouchedBy, type EventTarget } from '../src/event.js';
import { issuesEvent, milestone, pullRequestEvent } from './fixtures/events.js';
import { makeTarget } from './fixtures/target.js';

// Which targets an event runs: a pure function of the event name, its payload and the targets.

const V2 = milestone(1, 'v2.0');
const V3 = milestone(4, 'v3.0');
const Q4 = milestone(1, 'Q4', 'acme/gadgets');

const TARGETS = {
  launch: makeTarget({ index: 0, name: 'Launch v2', milestone: 'v2.0' }),
  perf: makeTarget({ index: 1, name: 'Faster everywhere', milestone: undefined, labels: ['okr/perf'] }),
  gadgets: makeTarget({ index: 2, name: 'Q4', repository: 'acme/gadgets', milestone: 'Q4', labels: ['okr/perf', 'area: api'] }),
  issuesOfMilestone1: makeTarget({ index: 3, name: 'Issues of #1', milestone: 1, include: 'issues' }),
  apiPulls: makeTarget({ index: 4, name: 'API pull requests', milestone: undefined, labels: ['area: api'], include: 'pulls' }),
};
const ALL = Object.values(TARGETS);

/** The names of the targets an event runs. */
function touched(eventName: string, payload: unknown, targets: EventTarget[] = ALL): string[] {
  return targetsTouchedBy(eventName, payload, targets as (EventTarget & { name?: string })[]).targets.map((t) => (t as { name: string }).name);
}

describe('issues events', () => {
  it('closed: the targets whose milestone holds the issue, by title or number', () => {
    const payload = issuesEvent('closed', { number: 3, milestone: V2, state: 'closed' });
    expect(touched('issues', payload)).toEqual(['Launch v2', 'Issues of #1']);
  });

  it('closed: an issue of another repository runs only that repository\'s targets', () => {
    const payload = issuesEvent('closed', { number: 1, repository: 'acme/gadgets', milestone: Q4, labels: ['okr/perf'], state: 'closed' });
    expect(touched('issues', payload)).toEqual(['Q4']);
  });

  it('reopened: the same targets as closed', () => {
    expect(touched('issues', issuesEvent('reopened', { number: 8, labels: ['okr/perf'] }))).toEqual(['Faster everywhere']);
  });

  it('closed: an issue that no target selects touches none, and says so', () => {
    const payload = issuesEvent('closed', { number: 11, labels: ['bug'], state: 'closed' });
    const scope = targetsTouchedBy('issues', payload, ALL);
    expect(scope.targets).toEqual([]);
    expect(scope.event).toEqual({
      name: 'issues.closed',
      repository: 'acme/widgets',
      number: 11,
      before: { kind: 'issue', milestone: null, labels: ['bug'], assignees: [], author: 'alice' },
      after: { kind: 'issue', milestone: null, labels: ['bug'], assignees: [], author: 'alice' },
    });
    expect(describeScope(scope.event!, [], ALL.length)).toBe('The issues.closed event of acme/widgets#11 touches none of the 5 targets: nothing is written.');
  });

  it('milestoned: the targets of the new milestone', () => {
    const payload = issuesEvent('milestoned', { number: 5, milestone: V2 }, { milestone: V2 });
    expect(touched('issues', payload)).toEqual(['Launch v2', 'Issues of #1']);
    expect(readItemEvent('issues', payload)!.before.milestone).toBeNull();
  });

  it('demilestoned: the targets of the milestone the issue left (the payload\'s milestone)', () => {
    const payload = issuesEvent('demilestoned', { number: 5, milestone: null }, { milestone: V2 });
    const event = readItemEvent('issues', payload)!;
    expect([event.before.milestone, event.after.milestone]).toEqual([{ number: 1, title: 'v2.0' }, null]);
    expect(touched('issues', payload)).toEqual(['Launch v2', 'Issues of #1']);
  });

  it('milestoned to another milestone: only that milestone\'s targets', () => {
    expect(touched('issues', issuesEvent('milestoned', { number: 5, milestone: V3 }, { milestone: V3 }))).toEqual([]);
  });

  it('a milestone title matches ignoring case, as the collector finds it', () => {
    const payload = issuesEvent('closed', { number: 3, milestone: milestone(1, 'V2.0'), state: 'closed' });
    expect(touched('issues', payload, [TARGETS.launch])).toEqual(['Launch v2']);
  });

  it('labeled: the targets of the added label (the payload lists it on the issue already)', () => {
    const payload = issuesEvent('labeled', { number: 11, labels: ['bug', 'okr/perf'] }, { label: 'okr/perf' });
    expect(touched('issues', payload)).toEqual(['Faster everywhere']);
    expect(readItemEvent('issues', payload)!.before.labels).toEqual(['bug']);
  });

  it('unlabeled: the targets of the removed label, which the issue no longer carries', () => {
    const payload = issuesEvent('unlabeled', { number: 11, labels: ['bug'] }, { label: 'okr/perf' });
    const event = readItemEvent('issues', payload)!;
    expect([event.before.labels, event.after.labels]).toEqual([['bug', 'okr/perf'], ['bug']]);
    expect(touched('issues', payload)).toEqual(['Faster everywhere']);
  });

  it('labels match ignoring case, as GitHub\'s label names do', () => {
    expect(touched('issues', issuesEvent('unlabeled', { number: 11, labels: [] }, { label: 'OKR/Perf' }))).toEqual(['Faster everywhere']);
  });

  it('an issue outside every selection before and after touches nothing', () => {
    expect(touched('issues', issuesEvent('labeled', { number: 11, labels: ['bug', 'docs'] }, { label: 'docs' }))).toEqual([]);
  });

  it('assigned and unassigned: the targets that select the issue', () => {
    expect(touched('issues', issuesEvent('assigned', { number: 3, milestone: V2, assignees: ['carol'] }, { assignee: 'carol' }))).toEqual(['Launch v2', 'Issues of #1']);
    expect(touched('issues', issuesEvent('unassigned', { number: 11, labels: ['bug'] }, { assignee: 'carol' }))).toEqual([]);
  });

  it('an issues payload about a pull request counts as a pull request', () => {
    const payload = issuesEvent('closed', { number: 2, milestone: V2, state: 'closed' });
    (payload.issue as { pull_request?: unknown }).pull_request = { url: 'https://api.github.com/repos/acme/widgets/pulls/2', html_url: 'https://github.com/acme/widgets/pull/2' };
    expect(touched('issues', payload)).toEqual(['Launch v2']);
  });
});

describe('pull_request events', () => {
  it.each(['pull_request', 'pull_request_target'])('%s closed: pulls-only and all-items targets, never issues-only ones', (name) => {
    const payload = pullRequestEvent('closed', { number: 2, milestone: V2, labels: ['area: api'], state: 'closed' });
    expect(touched(name, payload)).toEqual(['Launch v2', 'API pull requests']);
  });

  it('labeled on a pull request runs the label\'s targets; an issue with that label does not run pulls-only targets', () => {
    expect(touched('pull_request', pullRequestEvent('labeled', { number: 9, labels: ['area: api'] }, { label: 'area: api' }))).toEqual(['API pull requests']);
    expect(touched('issues', issuesEvent('labeled', { number: 10, labels: ['area: api'] }, { label: 'area: api' }))).toEqual([]);
  });

  it('demilestoned pull request: the targets of the milestone it left', () => {
    expect(touched('pull_request', pullRequestEvent('demilestoned', { number: 2 }, { milestone: V2 }))).toEqual(['Launch v2']);
  });
});

describe('events that run every target', () => {
  it.each([
    ['schedule', { schedule: '0 9 * * 5', repository: { full_name: 'acme/widgets' } }],
    ['workflow_dispatch', { inputs: { 'dry-run': 'false' }, repository: { full_name: 'acme/widgets' } }],
    ['push', { ref: 'refs/heads/main', repository: { full_name: 'acme/widgets' } }],
    ['issues', issuesEvent('opened', { number: 13, labels: ['bug'] })],
    ['issues', issuesEvent('edited', { number: 13, labels: ['bug'] })],
    ['pull_request', pullRequestEvent('synchronize', { number: 9 })],
    ['issue_comment', { action: 'created', issue: { number: 11 }, repository: { full_name: 'acme/widgets' } }],
  ])('%s', (name, payload) => {
    const scope = targetsTouchedBy(name, payload, ALL);
    expect(scope.event).toBeUndefined();
    expect(scope.targets).toEqual(ALL);
  });

  it('a payload without its item or repository runs every target', () => {
    expect(targetsTouchedBy('issues', { action: 'closed', repository: { full_name: 'acme/widgets' } }, ALL).targets).toEqual(ALL);
    expect(targetsTouchedBy('issues', { action: 'closed', issue: { number: 3 } }, ALL).targets).toEqual(ALL);
    expect(targetsTouchedBy('issues', undefined, ALL).targets).toEqual(ALL);
  });
});

describe('kinds the event cannot evaluate, and narrowing by people', () => {
  const query: EventTarget & { name: string } = { ...makeTarget({ milestone: undefined }), name: 'Bugs', query: 'label:bug is:issue' };
  const project: EventTarget & { name: string } = { ...makeTarget({ milestone: undefined }), name: 'Board', project: { owner: 'acme', number: 5 } };
  const metric: EventTarget & { name: string } = { ...makeTarget({ milestone: undefined }), name: 'Coverage', metric: { name: 'coverage', start: 60, target: 80 } };

  it('query and project targets run on any item event of their repository; metric targets never', () => {
    const here = issuesEvent('closed', { number: 11, state: 'closed' });
    const elsewhere = issuesEvent('closed', { number: 1, repository: 'acme/gadgets', state: 'closed' });
    expect(touched('issues', here, [query, project, metric])).toEqual(['Bugs', 'Board']);
    expect(touched('issues', elsewhere, [query, project, metric])).toEqual([]);
    // Events that do not narrow run them all, metric targets included.
    expect(touched('schedule', {}, [query, project, metric])).toEqual(['Bugs', 'Board', 'Coverage']);
  });

  it('assignees: the item is selected before or after the (un)assignment', () => {
    const mine: EventTarget & { name: string } = { ...makeTarget(), name: 'Alice in v2.0', assignees: ['alice'] };
    expect(touched('issues', issuesEvent('assigned', { number: 3, milestone: V2, assignees: ['alice'] }, { assignee: 'alice' }), [mine])).toEqual(['Alice in v2.0']);
    expect(touched('issues', issuesEvent('unassigned', { number: 3, milestone: V2, assignees: [] }, { assignee: 'Alice' }), [mine])).toEqual(['Alice in v2.0']);
    expect(touched('issues', issuesEvent('assigned', { number: 3, milestone: V2, assignees: ['bob'] }, { assignee: 'bob' }), [mine])).toEqual([]);
  });

  it('authors: the item\'s author must be one of them', () => {
    const carols: EventTarget & { name: string } = { ...makeTarget(), name: 'Carol in v2.0', authors: ['carol'] };
    expect(touched('issues', issuesEvent('closed', { number: 3, milestone: V2, author: 'carol' }), [carols])).toEqual(['Carol in v2.0']);
    expect(touched('issues', issuesEvent('closed', { number: 4, milestone: V2, author: 'alice' }), [carols])).toEqual([]);
  });
});

describe('describeScope', () => {
  it('names the event, the item and the targets that run', () => {
    const event = readItemEvent('pull_request', pullRequestEvent('closed', { number: 2, milestone: V2, state: 'closed' }))!;
    expect(describeScope(event, ['Launch v2'], 3)).toBe('The pull_request.closed event of acme/widgets#2 touches 1 of 3 targets, which run: Launch v2.');
    expect(describeScope(event, [], 1)).toBe('The pull_request.closed event of acme/widgets#2 touches none of the 1 target: nothing is written.');
  });
});
