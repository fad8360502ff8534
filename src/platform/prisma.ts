/**
 * The runtime Prisma client: Prisma 6.19's query compiler (`engineType = "client"`) over the stock
 * `PrismaPg` driver adapter, so no native engine is needed.
 */
import { PrismaClient } from '@prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';

/** Connections of one client's pool when not configured (node-postgres' own default). */
export const DEFAULT_POOL_SIZE = 10;

/**
 * Opens a Prisma client on `databaseUrl` (`postgresql://user:password@host:port/database`) with a
 * pool of at most `poolSize` connections (a query waits for a free one; see DATABASE_POOL_SIZE).
 * Connections are made lazily; call `$disconnect()` when done.
 */
export function createPrismaClient(databaseUrl: string, poolSize = DEFAULT_POOL_SIZE): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }) });
}
