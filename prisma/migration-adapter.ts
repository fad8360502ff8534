/**
 * Migration-aware PostgreSQL driver-adapter factory for Prisma 6.19's JS schema engine, used only
 * by prisma.config.ts (`migrate dev|deploy|status`). The runtime client uses the stock `PrismaPg`.
 *
 * Stock `@prisma/adapter-pg` 6.19 fails on the migration path in three ways; this file fixes each:
 *  1. Catalog columns of type `name` (OID 19) and `"char"` (OID 18) are rejected as unsupported
 *     native types ("Column type 'name' could not be deserialized from the database";
 *     upstream prisma/orm issue 27403, open). Our pg client reports both as `text` (OID 25).
 *  2. `connectToShadowDb` builds its pool as `{ ...config, database }`; with a `connectionString`
 *     in the config pg lets the string win, so the "shadow" database is the main one (P3006).
 *     We build the shadow connection from discrete fields.
 *  3. Its disposer drops the shadow database before closing the pool, so the drop fails
 *     ("is being accessed by other users"). We close the pool first, then `DROP ... WITH (FORCE)`.
 */
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { parse } from 'pg-connection-string';

const CATALOG_TYPE_OIDS = new Set([18, 19]);
const TEXT_OID = 25;

/** Rewrites the field type of catalog `name` / `"char"` columns to `text` in a query result. */
function reportCatalogTypesAsText<R>(result: R): R {
  for (const field of (result as { fields?: { dataTypeID: number }[] } | undefined)?.fields ?? []) {
    if (CATALOG_TYPE_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
  }
  return result;
}

/** A pg client whose results never carry OIDs 18/19 (fix 1). Used for every pooled connection. */
class CatalogAsTextClient extends pg.Client {
  // pg's `query` has many overloads; we pass every form through unchanged but the result.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one implementation for all of pg's overloads, whose return types differ
  override query(...args: unknown[]): any {
    const callbackIndex = args.findIndex((arg) => typeof arg === 'function');
    if (callbackIndex >= 0) {
      const callback = args[callbackIndex] as (err: Error | null, res: unknown) => void;
      args[callbackIndex] = (err: Error | null, res: unknown) => callback(err, err ? res : reportCatalogTypesAsText(res));
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    return returned instanceof Promise ? returned.then(reportCatalogTypesAsText) : returned;
  }
}

/** Pool settings for `database` on the server of `connectionString`, from discrete fields (fix 2). */
function poolConfig(connectionString: string, database?: string): pg.PoolConfig {
  const { host, port, user, password, database: defaultDatabase } = parse(connectionString);
  return {
    host: host ?? undefined,
    port: port ? Number(port) : undefined,
    user,
    password,
    database: database ?? defaultDatabase ?? undefined,
    max: 4,
    Client: CatalogAsTextClient,
  };
}

/**
 * Builds the factory prisma.config.ts hands to the JS schema engine.
 *
 * @param connectionString `postgresql://user:password@host:port/database`
 * @returns a factory whose `connect()` opens the main database and `connectToShadowDb()` a fresh
 *   `prisma_migrate_shadow_db_<uuid>` database, dropped with `WITH (FORCE)` after its pool closes.
 */
export function createMigrationAdapterFactory(connectionString: string): SqlMigrationAwareDriverAdapterFactory {
  const main = new PrismaPg(poolConfig(connectionString));
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      const admin = await main.connect();
      const database = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID()}`;
      await admin.executeScript(`CREATE DATABASE "${database}"`);
      const shadow = await new PrismaPg(poolConfig(connectionString, database)).connect();
      const closeShadowPool = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await closeShadowPool();
        await admin.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await admin.dispose();
      };
      return shadow;
    },
  };
}
