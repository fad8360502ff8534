/**
 * The runtime Prisma client: Prisma 6.19's query compiler (`engineType = "client"`) over the stock
 * `PrismaPg` driver adapter, so no native engine is needed.
 */
import { PrismaClient } from '@prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';

/**
 * Opens a Prisma client on `databaseUrl` (`postgresql://user:password@host:port/database`).
 * Connections are made lazily; call `$disconnect()` when done.
 */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}
