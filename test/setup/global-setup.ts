/**
 * Jest global set-up: PostgreSQL for the suite (the server at DATABASE_URL, or embedded
 * PostgreSQL on TEST_PG_PORT, default 54330, data under TEST_DATA_DIR, default .data/test), a template database
 * migrated with `prisma migrate deploy` and seeded with the task templates, that each test file copies, and one workflow bundle that
 * every test worker loads. Passes them on through environment variables (see test/helpers/env.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../../src/platform/config';
import { createPrismaClient } from '../../src/platform/prisma';
import { seedTaskTemplates } from '../../src/phase-work/seed-templates';
import { createLogger } from '../../src/platform/logger';
import { dropDatabase, ensureDatabase, migrateDatabase, withDatabase } from '../../src/platform/database';
import { startDatabase } from '../../src/platform/embedded-postgres';

export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const dataDir = path.join(root, '.data');
  const config = loadConfig({
    ...process.env,
    EMBEDDED_PG_PORT: process.env.TEST_PG_PORT ?? '54330',
    DATA_DIR: process.env.TEST_DATA_DIR ?? path.join(dataDir, 'test'),
  });
  const database = await startDatabase(config, createLogger('warn'));
  (globalThis as { stopTestDatabase?: () => Promise<void> }).stopTestDatabase = database.stop;

  // One template per run, so suites sharing a server (DATABASE_URL, or a reused embedded one) never clobber each other's.
  const template = `orchestrator_test_template_${process.pid}`;
  await dropDatabase(database.url, template);
  await ensureDatabase(database.url, template);
  await migrateDatabase(withDatabase(database.url, template));
  const prisma = createPrismaClient(withDatabase(database.url, template));
  await seedTaskTemplates(prisma);
  await prisma.$disconnect();

  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const bundleDir = process.env.TEST_DATA_DIR ?? dataDir;
  mkdirSync(bundleDir, { recursive: true });
  const bundlePath = path.join(bundleDir, 'test-workflow-bundle.js');
  writeFileSync(bundlePath, code);

  process.env.TEST_DATABASE_URL = database.url;
  process.env.TEST_TEMPLATE_DATABASE = template;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  // One repository cache per run: the example repository's set-up (npm ci) runs once, whatever the test file.
  process.env.TEST_REPOSITORY_CACHE_DIR = path.join(config.DATA_DIR, 'repository-cache');
}
