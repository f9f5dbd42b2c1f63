import type { Target } from '../src/config/schema.js';

// The way a first version would collect: for each target on its own, resolve the milestone
// and list every issue and pull request of the repository over REST, then filter locally.
// The benchmark runs it against the fake GitHub as the baseline the action is compared with.

interface RestItem {
  state: 'open' | 'closed';
  labels: { name: string }[];
  milestone: { number: number } | null;
  pull_request?: unknown;
}

/** Every page of a REST list, following GitHub's Link header. */
async function listAll<T>(url: string, token: string): Promise<T[]> {
  const all: T[] = [];
  for (let next: string | undefined = url; next; ) {
    const response = await fetch(next, { headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json' } });
    if (!response.ok) throw new Error(`GET ${next}: HTTP ${response.status}`);
    all.push(...((await response.json()) as T[]));
    next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
  }
  return all;
}

/** Done and total per target (every selected item, closed ones done), the naive way. */
export async function naiveCollect(apiUrl: string, token: string, targets: Target[]): Promise<{ done: number; total: number }[]> {
  const counts: { done: number; total: number }[] = [];
  for (const target of targets) {
    const repo = `${apiUrl}/repos/${target.repository}`;
    const milestones = await listAll<{ number: number; title: string }>(`${repo}/milestones?state=all&per_page=100`, token);
    const milestone = milestones.find((m) => m.title === target.milestone || m.number === target.milestone);
    const items = await listAll<RestItem>(`${repo}/issues?state=all&per_page=100`, token);
    const selected = items.filter(
      (i) =>
        (target.milestone === undefined || i.milestone?.number === milestone?.number) &&
        (target.labels.length === 0 || i.labels.some((l) => target.labels.includes(l.name))),
    );
    counts.push({ done: selected.filter((i) => i.state === 'closed').length, total: selected.length });
  }
  return counts;
}
