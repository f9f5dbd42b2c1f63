// ESM all the way: ts-jest compiles each file as an ES module and the `.js`
// suffixes that NodeNext imports need are mapped back to the `.ts` sources.
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: ['TS151001'] } }],
  },
  // jest keeps one core for itself by default; the end-to-end tests mostly wait on child
  // processes, so both cores of a small runner go to test workers.
  maxWorkers: 2,
  testTimeout: 30000,
};
