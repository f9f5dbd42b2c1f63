// `npm run demo`: the bundled action (dist/index.js) end to end against the embedded sample,
// served by the project's fake GitHub and fake Feishu on 127.0.0.1. No credentials, no network.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APP, AS_OF, GITHUB_TOKEN, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from '../__tests__/fixtures/sample.js';
import { runAction } from '../__tests__/helpers/run-action.js';
import { startFakeFeishu } from '../__tests__/servers/fake-feishu.js';
import { startFakeGitHub } from '../__tests__/servers/fake-github.js';
import { renderContent } from '../__tests__/helpers/render.js';

const workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-demo-'));
await mkdir(path.join(workspace, '.github'), { recursive: true });
await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING);

const github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: SAMPLE_REPOS });
const feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
try {
  console.log(`Fake GitHub on ${github.url}, fake Feishu on ${feishu.url}; mapping file:\n\n${SAMPLE_MAPPING}`);
  const result = await runAction({
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: {
      'feishu-app-id': APP.appId,
      'feishu-app-secret': APP.appSecret,
      'feishu-base-url': feishu.url,
      'as-of': AS_OF,
    },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
  });
  // The runner consumes masking and debug commands; show the log as a user would see it.
  const log = result.stdout.replace(/^::(?:add-mask|debug)::.*\n/gm, '');
  console.log(`── the action's log (exit code ${result.code}) ──\n${log}${result.stderr}`);
  console.log('── outputs ──');
  for (const [name, value] of Object.entries(result.outputs)) console.log(`${name}: ${value}`);
  console.log('\n── records the fake Feishu now holds ──');
  for (const record of feishu.records.values()) {
    console.log(`\n[${record.target_type === 3 ? 'key result' : 'objective'} ${record.target_id}] ${record.source_title} — ${record.progress_rate?.percent}%, status ${record.progress_rate?.status}`);
    console.log(renderContent(record.content));
  }
  process.exitCode = result.code;
} finally {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
}
