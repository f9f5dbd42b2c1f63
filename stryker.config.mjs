// Mutation testing (`npm run mutate -- <group>`): each group mutates one module and runs
// only the unit tests that exercise it, so that a run fits a small machine. Not part of CI:
// a group takes minutes, the whole set much longer.
// @ts-check
import jestConfig from './jest.config.js';

/**
 * Module → the files it mutates, the unit tests that should kill those mutants, and the tests
 * of those files to leave out (by the start of their full name), such as those that run the
 * bundle, which no mutant reaches.
 * @type {Record<string, { mutate: string[]; tests: string[]; leaveOut?: string[] }>}
 */
export const groups = {
  progress: { mutate: ['src/progress.ts'], tests: ['progress', 'boundaries', 'dates'] },
  record: { mutate: ['src/record/*.ts'], tests: ['record', 'record-edges', 'record-words', 'request-schema'] },
  publish: { mutate: ['src/publish.ts'], tests: ['publish', 'publish-edges'] },
  'feishu-client': {
    mutate: ['src/feishu/client.ts'],
    tests: ['feishu-client', 'feishu-client-edges', 'feishu-client-calls', 'feishu-pacing'],
  },
  collect: {
    mutate: ['src/github/collect.ts'],
    tests: ['collect-edges', 'github-answers'],
    leaveOut: ['the bundled action'],
  },
  config: { mutate: ['src/config/load.ts'], tests: ['config', 'config-corpus', 'config-messages'] },
};

/** @param {string} text */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const name = process.env.MUTATE_GROUP ?? 'progress';
const group = groups[name];
if (!group) throw new Error(`unknown mutation group "${name}"; one of: ${Object.keys(groups).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // ts-jest runs the tests as ES modules.
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  // Per-test coverage needs jest's own instrumentation, which does not work with ESM here:
  // every mutant runs the group's whole test set.
  coverageAnalysis: 'off',
  concurrency: 1,
  mutate: group.mutate,
  jest: {
    projectType: 'custom',
    // The suite's own jest settings (ts-jest in ESM mode, transpile only: tsconfig has
    // isolatedModules), restricted to the group's unit tests.
    config: {
      ...jestConfig,
      testMatch: group.tests.map((test) => `**/__tests__/${test}.test.ts`),
      ...(group.leaveOut && { testNamePattern: `^(?!${group.leaveOut.map(escapeRegExp).join('|')})` }),
    },
    enableFindRelatedTests: false,
  },
  // The sandbox copies only what the tests read; never the bundle or other reports.
  ignorePatterns: ['dist', 'reports', '.build', 'coverage'],
  checkers: [],
  // A sandbox folder per group, so that two groups can run side by side.
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 97, low: 90, break: null },
  timeoutMS: 10000,
};
