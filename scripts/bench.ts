// `npm run bench`: how fast the bundled action is, measured in one run on this machine.
// Generated fixtures (small and large) are served by the project's fake GitHub and fake
// Feishu on 127.0.0.1; the action runs as a runner runs it. Prints a table and writes it to
// .build/bench.md (ignored by git): a benchmark never edits a tracked file. The bundle is dist/index.js, or the path given as the first
// argument or in OKR_ACTION_ENTRY.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateFixture, LARGE, SMALL, type Fixture } from '../__tests__/fixtures/generate.js';
import { generateMixedFixture } from '../__tests__/fixtures/mixed.js';
import { ACTION_ENTRY, NODE24, REPO_ROOT, runAction } from '../__tests__/helpers/run-action.js';
import { startFakeFeishu } from '../__tests__/servers/fake-feishu.js';
import { shiftRepos, startFakeGitHub, type FakeGitHub } from '../__tests__/servers/fake-github.js';
import { parseMappingFile } from '../src/config/load.js';
import { resolveTargets } from '../src/config/resolve.js';
import type { Target } from '../src/config/schema.js';
import { Collector, type Selection } from '../src/github/collect.js';
import { parseMetricsInput } from '../src/sources/metrics-input.js';
import { selectTargets } from '../src/sources/index.js';
import { createOctokit } from '../src/github/octokit.js';
import { computeProgress, periodKey, scheduleOf } from '../src/progress.js';
import { buildRecordRequest } from '../src/record/content.js';
import { measureProject, projectLine } from './bench-project.js';
import { naiveCollect } from './naive-baseline.js';

const ENTRY = path.resolve(process.argv[2] ?? ACTION_ENTRY);
const NODE = NODE24;
const TOKEN = 'ghs_benchToken0123456789';
const APP = { appId: 'cli_bench0123456789', appSecret: 'bench-app-secret' };
const COLD_START_RUNS = 15;
const PURE_REPETITIONS = 7;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const ms = (value: number): string => `${Math.round(value)} ms`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface Measured {
  githubRequests: number;
  restRequests: number;
  graphqlRequests: number;
  graphqlCost: number;
  feishuRequests: number;
  dryRunMs: number;
  dryRunRss: number;
  liveRunMs: number;
  liveRunRss: number;
  pureCpuMs: number;
  naiveRequests: number;
  naiveMs: number;
}

/** Runs the action with a wrapper that records its peak RSS when the process exits. */
async function timedRun(scratch: string, run: (entry: string) => ReturnType<typeof runAction>) {
  const wrapper = path.join(scratch, 'peak-rss.mjs');
  const rssFile = path.join(scratch, 'peak-rss.txt');
  await writeFile(
    wrapper,
    `import { writeFileSync } from 'node:fs';\n` +
      `process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS * 1024)));\n` +
      `await import(${JSON.stringify(pathToFileURL(ENTRY).href)});\n`,
  );
  const started = performance.now();
  const result = await run(wrapper);
  const wallMs = performance.now() - started;
  return { result, wallMs, rss: Number(await readFile(rssFile, 'utf8')) };
}

function checkRecords(fixture: Fixture, recordsOutput: string | undefined, result: string): void {
  const records = JSON.parse(recordsOutput ?? '[]') as Record<string, unknown>[];
  const wrong = fixture.expected.filter((truth, i) => {
    const got = records[i] ?? {};
    return got['result'] !== result || (Object.keys(truth) as (keyof typeof truth)[]).some((k) => got[k] !== truth[k]);
  });
  if (records.length !== fixture.expected.length || wrong.length) {
    throw new Error(`the action's numbers differ from the fixture's for ${wrong.map((t) => t.name).join(', ') || 'the number of targets'}`);
  }
}

/** computeProgress → buildRecordRequest for every target, in this process: CPU ms per pass. */
function pureStepsCpuMs(now: Date, targets: Target[], selections: Selection[]): number {
  const run = { url: 'https://github.com/acme/repo-1/actions/runs/1', label: 'OKR #1' };
  const passes: number[] = [];
  for (let pass = 0; pass < PURE_REPETITIONS; pass++) {
    const before = process.cpuUsage();
    targets.forEach((target, i) => {
      const selection = selections[i]!;
      const progress = computeProgress(target, selection.items, now, scheduleOf(target, selection.milestone, selection.schedule, now), undefined, selection.counts, selection.measured);
      buildRecordRequest({
        target,
        displayName: selection.displayName,
        progress,
        targetUrl: selection.targetUrl,
        closedListUrl: selection.closedListUrl,
        openListUrl: selection.openListUrl,
        people: {},
        periodKey: periodKey(target.period, now, target.timezone, { runId: '1', runAttempt: '1' }),
        run,
      });
    });
    const used = process.cpuUsage(before);
    passes.push((used.user + used.system) / 1000);
  }
  return median(passes);
}

async function measure(fixture: Fixture, scratch: string, naiveBaseline = true, mappingAt?: (shiftMs: number) => string): Promise<Measured> {
  const workspace = path.join(scratch, 'workspace');
  await mkdir(path.join(workspace, '.github'), { recursive: true });
  const clock = Math.floor(Date.now() / 1000) * 1000;
  // Dates in the mapping (a goal's start) move with the fixture.
  const mapping = mappingAt ? mappingAt(clock - Date.parse(fixture.asOf)) : fixture.mapping;
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), mapping);
  // The weekly job runs about the present: the fixture is moved so that its as-of is now, and
  // GitHub shows it as it stands then. The runs have no as-of, as the job has none.
  const github = await startFakeGitHub({ token: TOKEN, repos: shiftRepos(fixture.repos, clock - Date.parse(fixture.asOf)), now: new Date(clock).toISOString() });
  const feishu = await startFakeFeishu({ apps: [APP], okrs: fixture.okrs });
  try {
    const env = { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/repo-1' };
    const dry = await timedRun(scratch, (entry) => runAction({ workspace, githubToken: TOKEN, node: NODE, entry, env, inputs: { 'dry-run': 'true' } }));
    if (dry.result.code !== 0) throw new Error(`the dry run failed:\n${dry.result.stdout}${dry.result.stderr}`);
    checkRecords(fixture, dry.result.outputs['records'], 'dry-run');
    const githubRequests = github.requests.length;
    const graphqlRequests = github.requests.filter((r) => r.path === '/graphql').length;
    const graphqlCost = Number(/^GitHub GraphQL: \d+ quer(?:y|ies) cost (\d+) points?/m.exec(dry.result.stdout)?.[1] ?? 0);

    const live = await timedRun(scratch, (entry) =>
      runAction({
        workspace,
        githubToken: TOKEN,
        node: NODE,
        entry,
        env,
        inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url },
      }),
    );
    if (live.result.code !== 0) throw new Error(`the live run failed:\n${live.result.stdout}${live.result.stderr}`);
    checkRecords(fixture, live.result.outputs['records'], 'created');

    const targets = resolveTargets(parseMappingFile(mapping, 'okr-progress.yml'), 'acme/repo-1');
    const now = new Date(clock);
    const selections = await collectInProcess(github, targets, now);
    const pureCpuMs = pureStepsCpuMs(now, targets, selections);

    github.requests.length = 0;
    const naiveStarted = performance.now();
    // The naive baseline lists milestones and labels only: the mixed fixture has no baseline.
    const naive = naiveBaseline ? await naiveCollect(github.url, TOKEN, targets) : targets;
    const naiveMs = performance.now() - naiveStarted;
    if (naive.length !== targets.length) throw new Error('the naive baseline skipped targets');

    return {
      githubRequests,
      restRequests: githubRequests - graphqlRequests,
      graphqlRequests,
      graphqlCost,
      feishuRequests: feishu.requests.length,
      dryRunMs: dry.wallMs,
      dryRunRss: dry.rss,
      liveRunMs: live.wallMs,
      liveRunRss: live.rss,
      pureCpuMs,
      naiveRequests: github.requests.length,
      naiveMs,
    };
  } finally {
    await Promise.all([github.close(), feishu.close()]);
    await rm(workspace, { recursive: true, force: true });
  }
}

/** The items of every target, collected here as the action does (not timed). */
async function collectInProcess(github: FakeGitHub, targets: Target[], now: Date): Promise<Selection[]> {
  const apiUrl = process.env['GITHUB_API_URL'];
  process.env['GITHUB_API_URL'] = github.url;
  try {
    const collector = new Collector(createOctokit(TOKEN), 'https://github.com', (m) => console.warn(m));
    return await Promise.all(selectTargets(collector, targets, now, true, { metrics: parseMetricsInput(''), workspace: process.cwd() }));
  } finally {
    if (apiUrl === undefined) delete process.env['GITHUB_API_URL'];
    else process.env['GITHUB_API_URL'] = apiUrl;
  }
}

/** The floor of any action on the toolkit: a bundle that only reads an input and fails. */
async function buildCoreOnlyBundle(scratch: string): Promise<string> {
  const source = path.join(scratch, 'core-only');
  await mkdir(source, { recursive: true });
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(source, 'node_modules'));
  await writeFile(path.join(source, 'index.mjs'), `import * as core from '@actions/core';\ncore.setFailed(\`no mapping file: \${core.getInput('config')}\`);\n`);
  const out = path.join(scratch, 'core-only-dist');
  const ncc = path.join(REPO_ROOT, 'node_modules', '.bin', 'ncc');
  const built = spawnSync(ncc, ['build', path.join(source, 'index.mjs'), '-o', out, '--minify', '--source-map', '--target', 'es2022'], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`ncc failed: ${built.stderr}`);
  return path.join(out, 'index.mjs');
}

/** Median ms from spawn to exit, the commands taking turns so that load on the machine hits each alike. */
async function coldStart(scratch: string, coreOnly: string): Promise<{ bare: number; coreOnly: number; action: number }> {
  const workspace = path.join(scratch, 'empty-workspace');
  await mkdir(workspace, { recursive: true });
  const env = { PATH: process.env['PATH'] ?? '', GITHUB_WORKSPACE: workspace, 'INPUT_GITHUB-TOKEN': TOKEN, 'INPUT_DRY-RUN': 'true', INPUT_CONFIG: '.github/okr-progress.yml' };
  const check = spawnSync(NODE, [ENTRY], { cwd: workspace, env, encoding: 'utf8' });
  if (check.status !== 1 || !check.stdout.includes('not found')) throw new Error(`the action did not fail for lack of a mapping file:\n${check.stdout}`);
  const commands = { bare: ['-e', '0'], coreOnly: [coreOnly], action: [ENTRY] };
  const times: Record<keyof typeof commands, number[]> = { bare: [], coreOnly: [], action: [] };
  for (let i = 0; i < COLD_START_RUNS; i++) {
    for (const [name, args] of Object.entries(commands) as [keyof typeof commands, string[]][]) {
      const started = performance.now();
      spawnSync(NODE, args, { cwd: workspace, env, stdio: 'ignore' });
      times[name].push(performance.now() - started);
    }
  }
  return { bare: median(times.bare), coreOnly: median(times.coreOnly), action: median(times.action) };
}

function machine(): string {
  const cpus = os.cpus();
  const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 1024 ** 3)} GB memory, ${os.type()} ${os.release()}; the action on Node ${nodeVersion}, the harness on Node ${process.version}`;
}

async function bundleSizes(): Promise<{ index: number; other: number }> {
  const dir = path.dirname(ENTRY);
  const index = (await stat(ENTRY)).size;
  let other = 0;
  for (const name of await readdir(dir)) {
    if (name.endsWith('.js') && path.join(dir, name) !== ENTRY) other += (await stat(path.join(dir, name))).size;
  }
  return { index, other };
}

function table(small: Measured, large: Measured, mixed: Measured, cold: { bare: number; coreOnly: number; action: number }, sizes: { index: number; other: number }): string {
  const row = (what: string, s: string, l: string, target = ''): string => `| ${what} | ${s} | ${l} | ${target} |`;
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;
  return [
    `| | small (${SMALL.items} items, ${SMALL.targets} targets) | large (${LARGE.items.toLocaleString('en')} items, ${LARGE.targets} targets, ${LARGE.repositories} repositories) | target (large) |`,
    '|---|---|---|---|',
    row('GitHub requests (REST + GraphQL)', `${small.restRequests} + ${small.graphqlRequests} = ${small.githubRequests}`, `${large.restRequests} + ${large.graphqlRequests} = ${large.githubRequests}`, '≤ 10'),
    row('GraphQL cost (points)', `${small.graphqlCost}`, `${large.graphqlCost}`, ''),
    row('Feishu requests (live run)', `${small.feishuRequests}`, `${large.feishuRequests}`, '1 + 2 per target'),
    row('dry run, wall', ms(small.dryRunMs), ms(large.dryRunMs), '< 2000 ms'),
    row('live run, wall', ms(small.liveRunMs), ms(large.liveRunMs), ''),
    row('pure steps (progress → record), CPU', `${small.pureCpuMs.toFixed(1)} ms`, `${large.pureCpuMs.toFixed(1)} ms`, '< 150 ms'),
    row('peak RSS, dry run / live run', `${mb(small.dryRunRss)} / ${mb(small.liveRunRss)}`, `${mb(large.dryRunRss)} / ${mb(large.liveRunRss)}`, '< 150 MB'),
    row('naive baseline: GitHub requests', `${small.naiveRequests} (${ratio(small.naiveRequests, small.githubRequests)} the action's)`, `${large.naiveRequests} (${ratio(large.naiveRequests, large.githubRequests)} the action's)`, '≥ 10×'),
    row('naive baseline: collection, wall', ms(small.naiveMs), ms(large.naiveMs), ''),
    '',
    `| mixed (${LARGE.items.toLocaleString('en')} items, 40 targets: 16 milestones, 8 labels, 6 queries with assignees and authors, 5 goals, 5 weights) | measured | target |`,
    '|---|---|---|',
    `| GitHub requests (REST + GraphQL) | ${mixed.restRequests} + ${mixed.graphqlRequests} = ${mixed.githubRequests} | ≤ 12 |`,
    `| GraphQL cost (points) | ${mixed.graphqlCost} | |`,
    `| dry run, wall / peak RSS | ${ms(mixed.dryRunMs)} / ${mb(mixed.dryRunRss)} | < 2000 ms / < 150 MB |`,
    `| pure steps (progress → record), CPU | ${mixed.pureCpuMs.toFixed(1)} ms | < 150 ms |`,
    '',
    `| cold start (median of ${COLD_START_RUNS}, until it fails for lack of a mapping file) | ms | ratio |`,
    '|---|---|---|',
    `| bare \`node -e 0\` | ${cold.bare.toFixed(1)} | 1.00 |`,
    `| bundle of @actions/core alone | ${cold.coreOnly.toFixed(1)} | ${(cold.coreOnly / cold.bare).toFixed(2)} × bare |`,
    `| the action | ${cold.action.toFixed(1)} | ${(cold.action / cold.bare).toFixed(2)} × bare, ${(cold.action / cold.coreOnly).toFixed(2)} × @actions/core alone (target ≤ 1.25) |`,
    '',
    `\`${path.relative(REPO_ROOT, ENTRY) || ENTRY}\`: ${(sizes.index / 1e6).toFixed(2)} MB (target ≤ 1.2 MB)${sizes.other ? `, other .js files beside it: ${(sizes.other / 1e6).toFixed(2)} MB` : ''}.`,
  ].join('\n');
}

/** The table goes to a file of its own, which git ignores; copying it into the README is a choice made by hand. */
async function writeTable(section: string): Promise<string> {
  const file = path.join(REPO_ROOT, '.build', 'bench.md');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${section}\n`);
  return file;
}

const scratch = await mkdtemp(path.join(os.tmpdir(), 'okr-bench-'));
try {
  console.log(`Benchmarking ${ENTRY}`);
  const small = await measure(generateFixture(SMALL), scratch);
  const large = await measure(generateFixture(LARGE), scratch);
  const mixed = await measure(generateMixedFixture(), scratch, false, (shiftMs) => generateMixedFixture(shiftMs).mapping);
  console.log(`mixed fixture: ${mixed.githubRequests} GitHub requests (${mixed.restRequests} REST + ${mixed.graphqlRequests} GraphQL; target ≤ 12)`);
  const project = await measureProject(ENTRY);
  console.log(projectLine(project));
  const cold = await coldStart(scratch, await buildCoreOnlyBundle(scratch));
  const result = `${table(small, large, mixed, cold, await bundleSizes())}\n\n${projectLine(project)}`;
  const when = new Date().toISOString().slice(0, 10);
  const section = [
    '## Benchmark',
    '',
    `\`npm run bench\` on ${when}: generated fixtures served by the fake GitHub and fake Feishu on 127.0.0.1, the bundled action run as a runner runs it. Machine: ${machine()}.`,
    '',
    result,
  ].join('\n');
  console.log(`\n${section}`);
  console.log(`\nWritten to ${await writeTable(section)}.`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
