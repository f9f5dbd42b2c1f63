// `npm run demo`: the bundled action (dist/index.js) end to end against the embedded sample,
// served by the project's fake GitHub and fake Feishu on 127.0.0.1. No credentials, no network.
// Run by Node 24 as it is (scripts/run-ts.mjs), so no compile step comes first.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderRecordContent } from '../src/record/render.js';
import type { RecordContent } from '../src/record/request.js';
import { APP, AS_OF, GITHUB_TOKEN, KR_LAUNCH, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from '../__tests__/fixtures/sample.js';
import { REPO_ROOT, runAction } from '../__tests__/helpers/run-action.js';
import { startFakeFeishu } from '../__tests__/servers/fake-feishu.js';
import { startFakeGitHub } from '../__tests__/servers/fake-github.js';

// The sample, with a burn-up chart on its first target.
const mapping = SAMPLE_MAPPING.replace('    milestone: "v2.0"\n', '    milestone: "v2.0"\n    chart: true\n');

/** The job summary's HTML as text for a terminal: rows and items on lines, tags dropped. */
function summaryText(html: string): string {
  return html
    .replace(/<\/(?:h2|p|tr|li|summary|details)>|<br>/g, '\n')
    .replace(/<\/t[dh]>/g, ' | ')
    .replace(/<[^>]+>/g, '')
    .replace(/&#8288;/g, '')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The log as the runner shows it: masking, debug and stop-commands lines are the runner's, not the user's. */
function logText(stdout: string): string {
  const tokens = [...stdout.matchAll(/^::stop-commands::(.+)$/gm)].map((m) => m[1]);
  return stdout
    .split('\n')
    .filter((line) => !/^::(?:add-mask|debug|stop-commands)::/.test(line) && !tokens.some((t) => line === `::${t}::`))
    .join('\n');
}

const workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-demo-'));
await mkdir(path.join(workspace, '.github'), { recursive: true });
await writeFile(path.join(workspace, '.github/okr-progress.yml'), mapping);

const github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: SAMPLE_REPOS });
const feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
try {
  console.log(`Fake GitHub on ${github.url}, fake Feishu on ${feishu.url}; mapping file:\n\n${mapping}`);
  const result = await runAction({
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
  });
  console.log(`── the action's log (exit code ${result.code}) ──\n${logText(result.stdout)}${result.stderr}`);
  console.log('── outputs ──');
  for (const [name, value] of Object.entries(result.outputs)) console.log(`${name}: ${value}`);
  console.log('\n── records the fake Feishu now holds, as the OKR page shows them ──');
  for (const record of feishu.records.values()) {
    console.log(`\n[${record.target_type === 3 ? 'key result' : 'objective'} ${record.target_id}] ${record.source_title} — ${record.progress_rate?.percent}%, status ${record.progress_rate?.status}`);
    console.log(renderRecordContent(record.content as RecordContent));
  }
  console.log(`\n── job summary ──\n${summaryText(result.summary)}`);
  const chart = [...feishu.images.values()][0];
  if (chart) {
    const file = path.join(REPO_ROOT, '.build', 'demo', `okr-chart-${KR_LAUNCH}.png`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, chart.data);
    console.log(`\n── burn-up chart of Launch v2 (uploaded to the fake Feishu, shown after the headline) ──\n${file}`);
  }
  process.exitCode = result.code;
} finally {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
}
