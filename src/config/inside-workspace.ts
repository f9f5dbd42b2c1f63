import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

// A file that an input names is read only when it is a regular file inside the workspace.
// A pull request could otherwise commit a symbolic link to a file of the runner (or name one
// with ../ or an absolute path) and have parts of it shown in the run's annotations.

/** A file that breaks the rule; its message names the input and the rule, never the file's content. */
export class WorkspaceFileError extends Error {
  override name = 'WorkspaceFileError';
}

/** Who names the file and what it is, for the messages: input `config`, "the mapping file". */
export interface WorkspaceRule {
  input: string;
  /** The input's value, as the user wrote it. */
  given: string;
  what: string;
}

const ruleText = (rule: WorkspaceRule): string => `${rule.what} must be a regular file inside GITHUB_WORKSPACE`;

// The workspace itself counts as inside: it is then refused as a directory.
const isInside = (root: string, file: string): boolean => {
  const relative = path.relative(root, file);
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
};

/**
 * The real path of `absPath` (every symbolic link resolved, also in its folders) when it is
 * inside the real path of `workspace`. Errors of the file system (ENOENT …) are passed on as
 * they are, for the caller to explain.
 */
export async function resolveInsideWorkspace(absPath: string, workspace: string, rule: WorkspaceRule): Promise<string> {
  const file = await realpath(absPath);
  const root = await realpath(workspace).catch((error: Error) => {
    throw new WorkspaceFileError(`Input ${rule.input}: the workspace ${workspace} (GITHUB_WORKSPACE) cannot be resolved (${error.message}); ${ruleText(rule)}.`);
  });
  if (!isInside(root, file)) {
    throw new WorkspaceFileError(
      `Input ${rule.input}: "${rule.given}" resolves to ${file}, outside the workspace ${root}; ${ruleText(rule)} (symbolic links are followed).`,
    );
  }
  return file;
}

// Non-blocking, so that opening a named pipe returns at once instead of waiting for a
// writer; without following a last link, so that the file opened is the one just resolved.
// Windows has neither flag, and no named pipes among files.
const NON_BLOCKING = constants.O_NONBLOCK ?? 0;
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** Opens a file for reading without ever waiting on it; `resolved`: a real path, whose last part must not become a link. */
export function openToRead(file: string, resolved: boolean): Promise<FileHandle> {
  return open(file, constants.O_RDONLY | NON_BLOCKING | (resolved ? NO_FOLLOW : 0));
}

/** What an opened file is when it is neither a regular file nor a directory, as "a named pipe"; undefined otherwise. */
function otherKind(info: Stats): string | undefined {
  if (info.isFile() || info.isDirectory()) return undefined;
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Refuses an opened file that is a pipe, socket or device (checked on the handle, not the path). */
export function checkRegularFile(info: Stats, rule: WorkspaceRule): void {
  const kind = otherKind(info);
  if (kind) throw new WorkspaceFileError(`Input ${rule.input}: "${rule.given}" is ${kind}; ${ruleText(rule)}.`);
}
