import { checkRegularFile, openToRead, resolveInsideWorkspace, WorkspaceFileError } from './inside-workspace.js';

// Reading the mapping file, and the error that lists its problems. Kept apart from the parser
// (yaml, zod) so that a run without a mapping file fails before loading either.

/** One thing wrong with the mapping file. `line` and `col` are 1-based, 0 when the problem is the whole file. */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  /** Where in the file's structure, as `targets[1].labels[0]`; empty for syntax errors and whole-file problems. */
  path: string;
  message: string;
}

/** `file:LINE:COL path: message`; `file: message` for a problem with the whole file. */
export function formatProblem(problem: ConfigProblem): string {
  if (problem.line === 0) return `${problem.file}: ${problem.message}`;
  const where = `${problem.file}:${problem.line}:${problem.col}`;
  return problem.path ? `${where} ${problem.path}: ${problem.message}` : `${where} ${problem.message}`;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const MAX_BYTES = 1024 * 1024;

const DEFAULT_CONFIG = '.github/okr-progress.yml';

/** A ConfigError about the whole file. */
export const fileProblem = (file: string, message: string): ConfigError => new ConfigError([{ file, line: 0, col: 0, path: '', message }]);

const isDirectory = (displayPath: string): ConfigError =>
  fileProblem(displayPath, `is a directory, not a file; set the "config" input to the mapping file's path (default ${DEFAULT_CONFIG})`);

/** The text of the mapping file, or a ConfigError (or WorkspaceFileError) that says why it cannot be had. */
export async function readMappingText(absPath: string, displayPath: string, workspace?: string): Promise<string> {
  const cannotRead = (error: NodeJS.ErrnoException): never => {
    if (error instanceof WorkspaceFileError) throw error;
    throw error.code === 'ENOENT'
      ? fileProblem(displayPath, `not found (looked for ${absPath}); if the file is in the repository, add a step \`- uses: actions/checkout@v4\` before this action so that the workspace holds it; otherwise add the mapping file there, or set the "config" input to its path (default ${DEFAULT_CONFIG})`)
      : error.code === 'EISDIR'
        ? isDirectory(displayPath)
        : fileProblem(displayPath, `cannot be read: ${error.message}`);
  };
  const rule = { input: 'config', given: displayPath, what: 'the mapping file' };
  // With a workspace (always, in a run), the file read is the real file, and inside it.
  const file = workspace === undefined ? absPath : await resolveInsideWorkspace(absPath, workspace, rule).catch(cannotRead);
  const handle = await openToRead(file, workspace !== undefined).catch(cannotRead);
  try {
    // Checked on the opened file, so that what is read is what was checked.
    const info = await handle.stat();
    if (info.isDirectory()) throw isDirectory(displayPath);
    checkRegularFile(info, rule);
    if (info.size > MAX_BYTES) {
      throw fileProblem(displayPath, `is ${info.size} bytes, more than the 1 MiB a mapping file may have; is "config" pointing at the right file?`);
    }
    return await handle.readFile('utf8').catch(cannotRead);
  } finally {
    await handle.close();
  }
}
