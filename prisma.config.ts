/**
 * Prisma CLI configuration: offline migrations through Prisma 6.19's JS schema engine
 * (`engine: 'js'`) with our migration-aware pg adapter (see prisma/migration-adapter.ts).
 * Reads `DATABASE_URL` (required for migrate commands; the start script sets it).
 */
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { createMigrationAdapterFactory } from './prisma/migration-adapter';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) return Promise.reject(new Error('DATABASE_URL is not set: the start script sets it, or export it for a server of your own'));
    return Promise.resolve(createMigrationAdapterFactory(url));
  },
});
