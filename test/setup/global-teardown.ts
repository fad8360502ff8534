/** Jest global teardown: drops this run's template database and stops the embedded PostgreSQL the global set-up started (if any). */
import { dropDatabase } from '../../src/platform/database';

export default async function globalTeardown(): Promise<void> {
  const { TEST_DATABASE_URL, TEST_TEMPLATE_DATABASE } = process.env;
  if (TEST_DATABASE_URL && TEST_TEMPLATE_DATABASE) await dropDatabase(TEST_DATABASE_URL, TEST_TEMPLATE_DATABASE).catch(() => undefined);
  await (globalThis as { stopTestDatabase?: () => Promise<void> }).stopTestDatabase?.();
}
