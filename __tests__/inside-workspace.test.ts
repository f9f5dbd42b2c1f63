import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, readMappingText } from '../src/config/file.js';
import { WorkspaceFileError } from '../src/config/inside-workspace.js';

// The mapping file is read only when it is a regular file inside the workspace, whatever
// links, ../ or absolute paths lead to it; a refusal never shows the file's content.

const SECRET = 'runner-secret: s3cr3t-value-that-must-not-leak';
const MAPPING = 'version: 1\ntargets: []\n';
const RULE = 'the mapping file must be a regular file inside GITHUB_WORKSPACE';

let root: string;
let workspace: string;
let outside: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'okr-inside-')));
  workspace = path.join(root, 'work', 'repo');
  outside = path.join(root, 'runner');
  await mkdir(path.join(workspace, '.github'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, 'credentials.yml'), SECRET);
  await writeFile(path.join(outside, 'okr-progress.yml'), SECRET);
  await writeFile(path.join(workspace, 'okr.yml'), MAPPING);
  // What a pull request can commit: links to files and folders of the runner, and a named pipe.
  await symlink(path.join(outside, 'credentials.yml'), path.join(workspace, 'leak.yml'));
  await symlink(outside, path.join(workspace, 'linked'));
  await symlink('../okr.yml', path.join(workspace, '.github', 'okr-progress.yml'));
  await symlink('loop-b.yml', path.join(workspace, 'loop-a.yml'));
  await symlink('loop-a.yml', path.join(workspace, 'loop-b.yml'));
  execFileSync('mkfifo', [path.join(workspace, 'pipe.yml')]);
  await symlink(workspace, path.join(root, 'workspace-link'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Reads `given` as the action does: relative to the workspace. */
const read = (given: string, ws = workspace): Promise<string> => readMappingText(path.resolve(ws, given), given, ws);

async function refusal(given: string): Promise<WorkspaceFileError> {
  const error = await read(given).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WorkspaceFileError)) throw new Error(`expected a WorkspaceFileError for ${given}, got ${String(error)}`);
  expect(error.message).not.toContain('s3cr3t');
  return error;
}

describe('a mapping file outside the workspace is refused', () => {
  it('a committed symbolic link to a file of the runner', async () => {
    expect((await refusal('leak.yml')).message).toBe(
      `Input config: "leak.yml" resolves to ${outside}/credentials.yml, outside the workspace ${workspace}; ${RULE} (symbolic links are followed).`,
    );
  });

  it('a file in a linked folder', async () => {
    expect((await refusal('linked/okr-progress.yml')).message).toBe(
      `Input config: "linked/okr-progress.yml" resolves to ${outside}/okr-progress.yml, outside the workspace ${workspace}; ${RULE} (symbolic links are followed).`,
    );
  });

  it('a path that climbs out with ../', async () => {
    expect((await refusal('../../runner/credentials.yml')).message).toBe(
      `Input config: "../../runner/credentials.yml" resolves to ${outside}/credentials.yml, outside the workspace ${workspace}; ${RULE} (symbolic links are followed).`,
    );
  });

  it('an absolute path elsewhere', async () => {
    const given = path.join(outside, 'credentials.yml');
    expect((await refusal(given)).message).toBe(
      `Input config: "${given}" resolves to ${given}, outside the workspace ${workspace}; ${RULE} (symbolic links are followed).`,
    );
  });

  it('a folder next to the workspace whose name starts like it', async () => {
    await mkdir(`${workspace}-evil`);
    await writeFile(`${workspace}-evil/okr.yml`, SECRET);
    expect((await refusal('../repo-evil/okr.yml')).message).toBe(
      `Input config: "../repo-evil/okr.yml" resolves to ${workspace}-evil/okr.yml, outside the workspace ${workspace}; ${RULE} (symbolic links are followed).`,
    );
  });
});

describe('a mapping file that is not a regular file is refused', () => {
  it('a named pipe, at once and without waiting for a writer', async () => {
    expect((await refusal('pipe.yml')).message).toBe(`Input config: "pipe.yml" is a named pipe; ${RULE}.`);
  });

  it('a directory, the workspace itself too, keeps its own message', async () => {
    await expect(read('.')).rejects.toThrow('.: is a directory, not a file');
    await expect(read('.github')).rejects.toThrow(
      new ConfigError([{ file: '.github', line: 0, col: 0, path: '', message: 'is a directory, not a file; set the "config" input to the mapping file\'s path (default .github/okr-progress.yml)' }]),
    );
  });

  it('a loop of links cannot be read', async () => {
    const error = await read('loop-a.yml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^loop-a\.yml: cannot be read: ELOOP: too many symbolic links encountered/);
  });
});

describe('a mapping file inside the workspace is read', () => {
  it('through a symbolic link inside the workspace', async () => {
    expect(await read('.github/okr-progress.yml')).toBe(MAPPING);
  });

  it('by a path that leaves the workspace and comes back, or an absolute one', async () => {
    expect(await read('../repo/okr.yml')).toBe(MAPPING);
    expect(await read(path.join(workspace, 'okr.yml'))).toBe(MAPPING);
  });

  it('when the workspace is reached through a link', async () => {
    expect(await read('okr.yml', path.join(root, 'workspace-link'))).toBe(MAPPING);
    expect(await read('.github/okr-progress.yml', path.join(root, 'workspace-link'))).toBe(MAPPING);
  });

  it('a missing file is still "not found"', async () => {
    await expect(read('nothing.yml')).rejects.toThrow(
      `nothing.yml: not found (looked for ${workspace}/nothing.yml); if the file is in the repository, add a step \`- uses: actions/checkout@v4\` before this action so that the workspace holds it; otherwise add the mapping file there, or set the "config" input to its path (default .github/okr-progress.yml)`,
    );
  });
});
