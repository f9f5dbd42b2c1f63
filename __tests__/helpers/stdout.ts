import { jest } from '@jest/globals';

/**
 * How `run` ended, and the lines it wrote to stdout meanwhile (the workflow commands of
 * `@actions/core`, such as octokit's rate-limit warnings), kept out of the test's output.
 */
export async function withStdout<T>(run: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; lines: string[] }> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
  try {
    const [outcome] = await Promise.allSettled([run()]);
    return { outcome: outcome!, lines: written.join('').split('\n').filter((line) => line !== '') };
  } finally {
    spy.mockRestore();
  }
}
