/** A fresh, migrated database per test file, copied from the template the global set-up built. */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { createPrismaClient } from '../../src/platform/prisma';
import { dropDatabase, ensureDatabase, withDatabase } from '../../src/platform/database';
import { testEnv } from './env';

/** A test database: its URL, a Prisma client on it, and `drop()` to disconnect and remove it. */
export interface TestDatabase {
  name: string;
  url: string;
  prisma: PrismaClient;
  drop(): Promise<void>;
}

/** Creates `test_<random>` from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = testEnv.databaseUrl();
  const name = `test_${randomUUID().replaceAll('-', '')}`;
  await ensureDatabase(server, name, testEnv.templateDatabase());
  const url = withDatabase(server, name);
  const prisma = createPrismaClient(url);
  return {
    name,
    url,
    prisma,
    async drop() {
      await prisma.$disconnect();
      await dropDatabase(server, name);
    },
  };
}
