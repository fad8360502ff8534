/** What the global set-up hands to test files. */

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with "npm test"`);
  return value;
}

/** Test environment: server URL, workflow bundle, Temporal CLI. */
export const testEnv = {
  /** URL of the test PostgreSQL server (its database part is replaced per test file). */
  databaseUrl: () => required('TEST_DATABASE_URL'),
  /** Name of this run's migrated and seeded template database, which each test database copies. */
  templateDatabase: () => required('TEST_TEMPLATE_DATABASE'),
  /** Path of the prebuilt workflow bundle. */
  workflowBundle: () => required('TEST_WORKFLOW_BUNDLE'),
  /** This run's repository cache (cached clones keyed by URL, set-up outputs shared by the test files). */
  repositoryCacheDir: () => required('TEST_REPOSITORY_CACHE_DIR'),
  /** Path of the Temporal CLI (set by scripts/start.mjs). */
  temporalCli: () => required('TEMPORAL_CLI'),
  /** Launcher of Temporal's time-skipping test server (fetched into .tools/ and set by scripts/start.mjs). */
  temporalTestServer: () => required('TEMPORAL_TEST_SERVER'),
};
