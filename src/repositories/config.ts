/**
 * The repositories of the configuration file (issue 9 "Repositories": registered "in the
 * configuration file"): each entry is a {@link RepositorySpec} as `POST /repositories` takes it,
 * plus an optional `seedFrom`. src/agents/config.ts parses the file with {@link configuredRepositoriesSchema}
 * and resolves the entries with {@link resolveConfiguredRepositories}.
 */
import path from 'node:path';
import { z } from 'zod';
import { text } from '../api/schemas';
import type { RepositorySpec } from './contracts';
import { repositorySpecSchema } from './schemas';

/** The placeholder a configured `url` may contain, replaced by the data directory. */
export const DATA_DIR_PLACEHOLDER = '${DATA_DIR}';

/** A repository of the configuration file, resolved (see {@link resolveConfiguredRepositories}). */
export interface ConfiguredRepository extends RepositorySpec {
  /**
   * Absolute directory whose files set-up commits as the remote's first commit when the remote
   * does not exist yet (given relative to the configuration file); undefined: the remote must exist.
   */
  seedFrom?: string;
  /**
   * The top-level fields the file gave (`name` included): start-up's sync overwrites only these on
   * an existing row (the others keep what the API set); undefined: every field.
   */
  givenFields?: (keyof RepositorySpec)[];
}

/** The file's `repositories` list: specs with an optional `seedFrom` (and `$comment`, ignored), names unique. */
export const configuredRepositoriesSchema = z
  .array(repositorySpecSchema.extend({ $comment: z.string().optional(), seedFrom: text(4096).optional() }))
  .max(100)
  .superRefine((repositories, ctx) => {
    const seen = new Set<string>();
    repositories.forEach(({ name }, index) => {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', message: `repository name "${name}" is used twice`, path: [index, 'name'] });
      seen.add(name);
    });
  });

/**
 * Whether `url` is a local path relative to the working directory, as git reads it: not absolute,
 * no `scheme://`, and no scp-like `host:path` (a colon before the first slash).
 */
function isRelativeLocalPath(url: string): boolean {
  return !path.isAbsolute(url) && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) && !/^[^/]*:/.test(url);
}

/**
 * Resolves a configured `url`: every `${DATA_DIR}` is replaced by `dataDir` (made absolute against
 * the working directory), then a relative local path resolves against `baseDir` (the configuration
 * file's directory). URLs (`file://`, `https://`, scp-like `host:path`) and absolute paths are kept.
 *
 * @throws Error on any other `${...}` placeholder
 */
export function resolveRepositoryUrl(url: string, baseDir: string, dataDir: string): string {
  const substituted = url.replaceAll(DATA_DIR_PLACEHOLDER, path.resolve(dataDir));
  const unknown = /\$\{[^}]*\}/.exec(substituted);
  if (unknown) throw new Error(`repository url "${url}": unknown placeholder ${unknown[0]} (only ${DATA_DIR_PLACEHOLDER} is substituted)`);
  return isRelativeLocalPath(substituted) ? path.resolve(baseDir, substituted) : substituted;
}

/**
 * The parsed entries with their URLs resolved ({@link resolveRepositoryUrl}), `seedFrom` made
 * absolute against `baseDir`, and the fields each raw entry gave recorded in `givenFields`.
 *
 * @param raw the file's `repositories` value as read (already validated by {@link configuredRepositoriesSchema})
 * @throws Error on an unknown placeholder in a url
 */
export function resolveConfiguredRepositories(
  parsed: z.infer<typeof configuredRepositoriesSchema>,
  raw: readonly Record<string, unknown>[],
  baseDir: string,
  dataDir: string,
): ConfiguredRepository[] {
  const specKeys = Object.keys(repositorySpecSchema.shape) as (keyof RepositorySpec)[];
  return parsed.map(({ $comment: _comment, seedFrom, ...spec }, index) => ({
    ...spec,
    url: resolveRepositoryUrl(spec.url, baseDir, dataDir),
    ...(seedFrom === undefined ? {} : { seedFrom: path.resolve(baseDir, seedFrom) }),
    givenFields: specKeys.filter((key) => key in raw[index]!),
  }));
}
