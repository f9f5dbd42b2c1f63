// A GitHub project of 5,000 items (issues, pull requests and draft issues) read by the bundled
// action in a dry run: how many GraphQL requests it takes (the target: ≤ 55) and how long.
// Part of `npm run bench`; `node .build/scripts/bench-project.js` runs it alone.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ACTION_ENTRY, NODE24, runAction } from '../__tests__/helpers/run-action.js';
import { startFakeGitHub, type FakeItem, type FakeProject } from '../__tests__/servers/fake-github.js';

export const PROJECT_ITEMS = 5000;
export const MAX_PROJECT_REQUESTS = 55;

const TOKEN = 'ghs_benchProjectToken0123456789';

export interface ProjectMeasure {
  items: number;
  graphqlRequests: number;
  restRequests: number;
  dryRunMs: number;
}

/** 4,500 issues and 300 pull requests of acme/big and 200 drafts; every third item done, every item in the current sprint. */
function bigProject(now: Date): { project: FakeProject; items: FakeItem[]; done: number } {
  const day = (offset: number): string => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  const at = now.toISOString();
  const items: FakeItem[] = [];
  const project: FakeProject = {
    owner: 'acme',
    ownerType: 'Organization',
    number: 1,
    title: 'Everything',
    fields: [
      { name: 'Status', dataType: 'SINGLE_SELECT', options: ['Todo', 'In progress', 'Done'] },
      { name: 'Iteration', dataType: 'ITERATION', iterations: [{ title: 'Sprint 1', startDate: day(-3), duration: 14 }] },
      { name: 'Estimate', dataType: 'NUMBER' },
    ],
    items: [],
  };
  let done = 0;
  for (let k = 1; k <= PROJECT_ITEMS; k++) {
    const isDone = k % 3 === 0;
    if (isDone) done++;
    const values = { Status: { value: isDone ? 'Done' : 'Todo', updatedAt: at }, Iteration: { value: 'Sprint 1', updatedAt: at }, Estimate: { value: (k % 5) + 1, updatedAt: at } };
    if (k > 4800) {
      project.items.push({ content: { draft: { title: `Draft ${k}`, created_at: at, updated_at: at, creator: 'alice' } }, values });
      continue;
    }
    items.push({ number: k, title: `Item ${k}`, kind: k > 4500 ? 'pull' : 'issue', state: 'open', created_at: at, updated_at: at, closed_at: null, user: 'alice', labels: [] });
    project.items.push({ content: { repository: 'acme/big', number: k }, values });
  }
  return { project, items, done };
}

export async function measureProject(entry = ACTION_ENTRY): Promise<ProjectMeasure> {
  const now = new Date();
  const { project, items, done } = bigProject(now);
  const github = await startFakeGitHub({ token: TOKEN, repos: { 'acme/big': { milestones: [], labels: [], items } }, projects: [project] });
  const workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-bench-project-'));
  try {
    await mkdir(path.join(workspace, '.github'));
    await writeFile(
      path.join(workspace, '.github/okr-progress.yml'),
      'version: 1\ntargets:\n  - key_result: "7041430377642082323"\n    project: {owner: acme, number: 1}\n    iteration: current\n',
    );
    const started = performance.now();
    const result = await runAction({ workspace, githubToken: TOKEN, node: NODE24, entry, env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/big' }, inputs: { 'dry-run': 'true' } });
    const dryRunMs = performance.now() - started;
    if (result.code !== 0) throw new Error(`the project dry run failed:\n${result.stdout}${result.stderr}`);
    const [record] = JSON.parse(result.outputs['records'] ?? '[]') as { done?: number; total?: number }[];
    if (record?.done !== done || record.total !== PROJECT_ITEMS) throw new Error(`the project's numbers differ from the fixture's: ${JSON.stringify(record)}`);
    const graphqlRequests = github.requests.filter((r) => r.path === '/graphql').length;
    return { items: PROJECT_ITEMS, graphqlRequests, restRequests: github.requests.length - graphqlRequests, dryRunMs };
  } finally {
    await github.close();
    await rm(workspace, { recursive: true, force: true });
  }
}

/** The bench table's line for it. */
export function projectLine(m: ProjectMeasure): string {
  return `GitHub project of ${m.items.toLocaleString('en')} items (\`project\`, \`iteration: current\`), dry run: ${m.graphqlRequests} GraphQL + ${m.restRequests} REST requests (target ≤ ${MAX_PROJECT_REQUESTS}), ${Math.round(m.dryRunMs)} ms wall.`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const measured = await measureProject(path.resolve(process.argv[2] ?? ACTION_ENTRY));
  console.log(projectLine(measured));
  if (measured.graphqlRequests > MAX_PROJECT_REQUESTS) process.exitCode = 1;
}
