/** What the global set-up hands to test files. */

/** Name of the migrated template database each test database is copied from. */
export const TEMPLATE_DATABASE = 'orchestrator_test_template';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with "npm test"`);
  return value;
}

/** Test environment: server URL, workflow bundle, Temporal CLI. */
export const testEnv = {
  /** URL of the test PostgreSQL server (its database part is replaced per test file). */
  databaseUrl: () => required('TEST_DATABASE_URL'),
  /** Path of the prebuilt workflow bundle. */
  workflowBundle: () => required('TEST_WORKFLOW_BUNDLE'),
  /** Path of the Temporal CLI (set by scripts/start.mjs). */
  temporalCli: () => required('TEMPORAL_CLI'),
};
