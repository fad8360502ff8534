/**
 * The repositories tickets are worked in (issue 9 "Repositories"), table `repositories`: create,
 * read, list and change them (the API), and upsert the configuration file's at start-up.
 * `setup`, `test` and `coverage` are JSON columns holding the shapes of contracts.ts, written only
 * after validation with src/repositories/schemas.ts.
 */
import { Prisma, type PrismaClient, type Repository } from '@prisma/client';
import type { ConfiguredRepository } from './config';
import type { RepositorySpec } from './contracts';
import type { RepositoryChanges } from './schemas';

/** Prisma's error code of a unique-constraint violation. */
const UNIQUE_VIOLATION = 'P2002';
/** Prisma's error code of an update or delete whose row does not exist. */
const RECORD_NOT_FOUND = 'P2025';

/** Error codes of the repositories context; the API maps them to HTTP statuses (src/api/errors.ts). */
export type RepositoryErrorCode =
  /** 404: no repository with that name. */
  | 'REPOSITORY_NOT_FOUND'
  /** 409: a repository with that name exists. */
  | 'REPOSITORY_EXISTS'
  /** 422: a ticket names a repository that is not registered. */
  | 'UNKNOWN_REPOSITORY';

/** A refused repository request, with a machine-readable code; `details.repository` is the name. */
export class RepositoryError extends Error {
  readonly details: { repository: string };
  constructor(
    readonly code: RepositoryErrorCode,
    repository: string,
    message: string,
  ) {
    super(message);
    this.name = 'RepositoryError';
    this.details = { repository };
  }
}

/** A stored repository: its spec and when the row was created and last changed. */
export interface StoredRepository extends RepositorySpec {
  createdAt: Date;
  updatedAt: Date;
}

/** The spec of a `repositories` row (its JSON columns hold the shapes contracts.ts names). */
export function toRepositorySpec(row: Repository): RepositorySpec {
  return {
    name: row.name,
    url: row.url,
    defaultBranch: row.defaultBranch,
    setup: row.setup as unknown as RepositorySpec['setup'],
    test: row.test as unknown as RepositorySpec['test'],
    coverage: row.coverage as unknown as RepositorySpec['coverage'],
    testPaths: row.testPaths,
    integration: row.integration as RepositorySpec['integration'],
    keepBranches: row.keepBranches,
  };
}

const toStored = (row: Repository): StoredRepository => ({ ...toRepositorySpec(row), createdAt: row.createdAt, updatedAt: row.updatedAt });

/** A nullable JSON column's value: SQL NULL for null. */
const nullableJson = (value: object | null) => (value === null ? Prisma.DbNull : (value as Prisma.InputJsonObject));

/** Column values of the given spec fields (only those present in `changes`). */
function columns(changes: RepositoryChanges): Prisma.RepositoryUpdateInput {
  const { setup, test, coverage, ...plain } = changes;
  return {
    ...plain,
    ...(setup === undefined ? {} : { setup: nullableJson(setup) }),
    ...(test === undefined ? {} : { test: test as unknown as Prisma.InputJsonObject }),
    ...(coverage === undefined ? {} : { coverage: nullableJson(coverage) }),
  };
}

/** The columns of a new row for `spec`. */
const newRow = (spec: RepositorySpec): Prisma.RepositoryCreateInput => ({ ...columns(spec), name: spec.name }) as Prisma.RepositoryCreateInput;

const isPrismaError = (error: unknown, code: string) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;

/** The `repositories` table. */
export class RepositoryStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Registers a repository. @throws RepositoryError REPOSITORY_EXISTS when the name is taken */
  async create(spec: RepositorySpec): Promise<StoredRepository> {
    try {
      return toStored(await this.prisma.repository.create({ data: newRow(spec) }));
    } catch (error) {
      if (!isPrismaError(error, UNIQUE_VIOLATION)) throw error;
      throw new RepositoryError('REPOSITORY_EXISTS', spec.name, `repository "${spec.name}" exists`);
    }
  }

  /** The repository named `name`. @throws RepositoryError REPOSITORY_NOT_FOUND */
  async get(name: string): Promise<StoredRepository> {
    const row = await this.prisma.repository.findUnique({ where: { name } });
    if (!row) throw notFound(name);
    return toStored(row);
  }

  /** Every repository, by name. */
  async list(): Promise<StoredRepository[]> {
    return (await this.prisma.repository.findMany({ orderBy: { name: 'asc' } })).map(toStored);
  }

  /** Replaces the fields `changes` gives (each whole). @throws RepositoryError REPOSITORY_NOT_FOUND */
  async update(name: string, changes: RepositoryChanges): Promise<StoredRepository> {
    try {
      return toStored(await this.prisma.repository.update({ where: { name }, data: columns(changes) }));
    } catch (error) {
      if (isPrismaError(error, RECORD_NOT_FOUND)) throw notFound(name);
      throw error;
    }
  }
}

const notFound = (name: string) => new RepositoryError('REPOSITORY_NOT_FOUND', name, `repository "${name}" not found`);

/**
 * Upserts the configuration file's repositories (at start-up, before tickets are created): a new
 * name is inserted whole; an existing row gets the fields the file gave (`givenFields`, default
 * all), so the file wins for those and the API's changes to the others stay. Idempotent.
 *
 * @returns the names synced, in the file's order
 */
export async function syncConfiguredRepositories(prisma: PrismaClient, specs: readonly ConfiguredRepository[]): Promise<string[]> {
  for (const { seedFrom: _seedFrom, givenFields, ...spec } of specs) {
    const { name, ...fields } = spec;
    const given: RepositoryChanges = givenFields ? Object.fromEntries(givenFields.filter((key) => key !== 'name').map((key) => [key, spec[key]])) : fields;
    await prisma.repository.upsert({ where: { name }, create: newRow(spec), update: columns(given) });
  }
  return specs.map(({ name }) => name);
}
