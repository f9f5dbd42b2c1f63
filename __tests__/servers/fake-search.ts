import type { FakeItem, FakeRepo } from './fake-github.js';

// GitHub's issue-search syntax, as "Searching issues and pull requests" documents it, for the
// fake GitHub: repo:, org:, user:, is: (issue, pr, pull-request, open, closed, merged,
// unmerged), type:, state:, label: (a,b: any of them), milestone:, assignee:, author:, no:
// (label, milestone, assignee), reason: (completed, "not planned", duplicate), created:,
// updated:, closed:, merged: (>, >=, <, <=, a..b, a date or an instant), sort:, in:title,
// "-" before any qualifier, and bare words, matched in titles. A qualifier GitHub does not
// know is a word, as it is on GitHub. Qualifiers of the same name must all hold (label:a
// label:b: both). The owners and repositories a search names must exist, or GitHub rejects it.

/** GitHub's words for a search naming a repository, organisation or user it cannot search. */
export const CANNOT_SEARCH =
  'The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.';

export class SearchRejected extends Error {
  override name = 'SearchRejected';
}

interface Qualifier {
  name: string;
  values: string[];
  negated: boolean;
}

export interface ParsedSearch {
  qualifiers: Qualifier[];
  words: string[];
  sort: { field: 'created' | 'updated' | 'comments'; direction: 'asc' | 'desc' } | undefined;
}

const KNOWN = new Set(['repo', 'org', 'user', 'is', 'type', 'state', 'label', 'milestone', 'assignee', 'author', 'no', 'reason', 'created', 'updated', 'closed', 'merged', 'sort', 'in']);

/** Splits a search into terms, keeping quoted values whole: label:"in progress","wip". */
function terms(query: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of query) {
    if (char === '"') quoted = !quoted;
    if (!quoted && /\s/.test(char)) {
      if (current) out.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current) out.push(current);
  return out;
}

/** Comma-separated values, each maybe quoted. */
function valuesOf(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text) {
    if (char === '"') {
      quoted = !quoted;
      continue;
    }
    if (char === ',' && !quoted) {
      out.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  out.push(current);
  return out.filter((v) => v !== '');
}

export function parseSearch(query: string): ParsedSearch {
  const parsed: ParsedSearch = { qualifiers: [], words: [], sort: undefined };
  for (const term of terms(query)) {
    const match = /^(-?)([a-z-]+):(.+)$/i.exec(term);
    const name = match?.[2]?.toLowerCase();
    if (!match || !name || !KNOWN.has(name)) {
      parsed.words.push(term.replace(/"/g, '').toLowerCase());
      continue;
    }
    const values = valuesOf(match[3]!);
    if (name === 'sort') {
      const sort = /^(created|updated|comments)(?:-(asc|desc))?$/.exec(values[0] ?? '');
      if (sort) parsed.sort = { field: sort[1] as 'created', direction: (sort[2] as 'asc' | undefined) ?? 'desc' };
      continue;
    }
    if (name === 'in') continue; // titles are the only text the fake holds
    parsed.qualifiers.push({ name, values, negated: match[1] === '-' });
  }
  return parsed;
}

/** The owners and repositories a search names; GitHub rejects the search when one does not exist. */
export function checkScope(parsed: ParsedSearch, repos: Record<string, FakeRepo>): void {
  const names = Object.keys(repos).map((n) => n.toLowerCase());
  for (const q of parsed.qualifiers) {
    for (const value of q.values) {
      const v = value.toLowerCase();
      if (q.name === 'repo' && !names.includes(v)) throw new SearchRejected(CANNOT_SEARCH);
      if ((q.name === 'org' || q.name === 'user') && !names.some((n) => n.startsWith(`${v}/`))) throw new SearchRejected(CANNOT_SEARCH);
    }
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A date or instant as GitHub's qualifiers take it: [from, to] in ms, a date being its whole day (UTC). */
function span(text: string): [number, number] {
  if (text === '*') return [-Infinity, Infinity];
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const at = Date.parse(day ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(at) || !/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2}))?$/.test(text)) {
    throw new SearchRejected(`Invalid date in the search: "${text}"`);
  }
  return day ? [at, at + DAY_MS - 1] : [at, at];
}

/** Whether an instant matches a date qualifier's value: >=d, >d, <=d, <d, a..b, or d. */
function dateMatches(at: string | null | undefined, value: string): boolean {
  if (!at) return false;
  const t = Date.parse(at);
  const cmp = /^(>=|<=|>|<)(.+)$/.exec(value);
  if (cmp) {
    const [from, to] = span(cmp[2]!);
    if (cmp[1] === '>=') return t >= from;
    if (cmp[1] === '>') return t > to;
    if (cmp[1] === '<=') return t <= to;
    return t < from;
  }
  const range = /^(.+)\.\.(.+)$/.exec(value);
  if (range) return t >= span(range[1]!)[0] && t <= span(range[2]!)[1];
  const [from, to] = span(value);
  return t >= from && t <= to;
}

const stateReason = (item: FakeItem): string | null =>
  item.kind === 'pull' ? null : item.state_reason !== undefined ? item.state_reason : item.state === 'closed' ? 'completed' : null;

/** Whether one value of a qualifier holds for an item of a repository. */
function holds(name: string, value: string, item: FakeItem, fullName: string, repo: FakeRepo): boolean {
  const v = value.toLowerCase();
  switch (name) {
    case 'repo':
      return fullName.toLowerCase() === v;
    case 'org':
    case 'user':
      return fullName.toLowerCase().startsWith(`${v}/`);
    case 'is':
    case 'type':
    case 'state':
      if (v === 'issue') return item.kind === 'issue';
      if (v === 'pr' || v === 'pull-request') return item.kind === 'pull';
      if (v === 'open' || v === 'closed') return item.state === v;
      if (v === 'merged') return item.kind === 'pull' && Boolean(item.merged_at);
      if (v === 'unmerged') return item.kind === 'pull' && item.state === 'closed' && !item.merged_at;
      return false;
    case 'label':
      return item.labels.some((l) => l.toLowerCase() === v);
    case 'milestone': {
      const milestone = repo.milestones.find((m) => m.number === item.milestone);
      return milestone?.title.toLowerCase() === v;
    }
    case 'assignee':
      return (item.assignees ?? []).some((a) => a.toLowerCase() === v);
    case 'author':
      return item.user.toLowerCase() === v;
    case 'no':
      if (v === 'label') return item.labels.length === 0;
      if (v === 'milestone') return !repo.milestones.some((m) => m.number === item.milestone);
      if (v === 'assignee') return (item.assignees ?? []).length === 0;
      return false;
    case 'reason':
      return item.state === 'closed' && stateReason(item) === v.replace(/ /g, '_');
    case 'created':
      return dateMatches(item.created_at, value);
    case 'updated':
      return dateMatches(item.updated_at, value);
    case 'closed':
      return dateMatches(item.closed_at, value);
    case 'merged':
      return dateMatches(item.merged_at, value);
    default:
      return false;
  }
}

/** The items of every repository that a search finds, sorted as it asks (newest created first by default). */
export function search(parsed: ParsedSearch, repos: Record<string, FakeRepo>): { item: FakeItem; fullName: string; repo: FakeRepo }[] {
  checkScope(parsed, repos);
  const found: { item: FakeItem; fullName: string; repo: FakeRepo }[] = [];
  for (const [fullName, repo] of Object.entries(repos)) {
    for (const item of repo.items) {
      // label:a,b is any of them; every qualifier must hold, a negated one must not.
      const ok = parsed.qualifiers.every((q) => q.values.some((value) => holds(q.name, value, item, fullName, repo)) !== q.negated);
      if (ok && parsed.words.every((w) => item.title.toLowerCase().includes(w))) found.push({ item, fullName, repo });
    }
  }
  const sort = parsed.sort ?? { field: 'created', direction: 'desc' };
  const key = (i: FakeItem): number => (sort.field === 'comments' ? (i.comments ?? 0) : Date.parse(sort.field === 'created' ? i.created_at : i.updated_at));
  const sign = sort.direction === 'asc' ? 1 : -1;
  return found
    .map((f) => ({ f, k: key(f.item) }))
    .sort((a, b) => sign * (a.k - b.k) || a.f.fullName.localeCompare(b.f.fullName) || a.f.item.number - b.f.item.number)
    .map(({ f }) => f);
}
