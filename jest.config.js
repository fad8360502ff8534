/**
 * Jest: TypeScript through ts-jest (transpile only; `npm test` type-checks with tsc first).
 * The global set-up starts PostgreSQL (embedded unless DATABASE_URL), migrates a template database
 * and bundles the workflows once; each test file then gets its own database and Temporal dev server.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
