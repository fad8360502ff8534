/**
 * zod schemas of a repository (issue 9 "Repositories"): the {@link RepositorySpec} of contracts.ts
 * as `POST /repositories` and the configuration file take it, and the `PATCH /repositories/:name`
 * body. Paths a repository names (set-up inputs and outputs, report files) are relative to the
 * ticket's tree and never leave it; commands are argv arrays, never shell strings.
 */
import { z } from 'zod';
import { plain, text } from '../api/schemas';
import { COVERAGE_FORMATS, INTEGRATION_MODES, TEST_REPORT_FORMATS, type RepositorySpec } from './contracts';

/** Default longest run of a set-up or test command, ms (10 min). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;
/** Longest accepted command timeout, ms (24 h). */
const MAX_COMMAND_TIMEOUT_MS = 86_400_000;

/** A repository's name: a lowercase slug of 1–100 characters (the `repositories.name` key). */
export const repositoryName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'a lowercase slug: letters a-z, digits, ".", "_" and "-", starting with a letter or digit, at most 100 characters');

/**
 * Whether `name` is a valid git branch name (the rules of `git check-ref-format --branch`): no
 * control characters, space, `~ ^ : ? * [ \`, no `..`, `//` or `@{`; no component starting with
 * `.` or ending with `.lock`; not starting with `-` or `/`, not ending with `/` or `.`; not `@` or
 * `HEAD`; at most 255 characters (the `default_branch` column).
 */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name === '@' || name === 'HEAD') return false;
  if (/^[-/]|[/.]$/.test(name) || name.includes('..') || name.includes('//') || name.includes('@{')) return false;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what git refuses
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((component) => !component.startsWith('.') && !component.endsWith('.lock'));
}

const branchName = z.string().refine(isValidBranchName, 'must be a valid git branch name (see git check-ref-format)');

/** Whether `value` is a path relative to a tree that stays inside it: not absolute (POSIX or Windows), no `..` component. */
export function isTreeRelativePath(value: string): boolean {
  return !value.startsWith('/') && !value.startsWith('\\') && !/^[A-Za-z]:/.test(value) && !value.split(/[\\/]/).includes('..');
}

/** A path relative to the ticket's tree (see {@link isTreeRelativePath}). */
const treePath = text(1000).refine(isTreeRelativePath, 'must be a path relative to the tree: not absolute, no ".." component');

/** A command: executable (looked up on PATH) and arguments, with its timeout in ms (default 10 min). */
const commandFields = {
  command: text(1000),
  args: z.array(plain(10_000)).max(200).default([]),
  timeoutMs: z.number().int().positive().max(MAX_COMMAND_TIMEOUT_MS).default(DEFAULT_COMMAND_TIMEOUT_MS),
};

/** The set-up command (SetupCommand): run when the content of its `inputs` changed; `outputs` are shared between trees. */
const setupCommand = z.strictObject({
  ...commandFields,
  inputs: z.array(treePath).max(100).default([]),
  outputs: z.array(treePath).max(100).default([]),
});

/** The test command and the report it writes (TestCommand). */
const testCommand = z.strictObject({
  ...commandFields,
  report: z.strictObject({ format: z.enum(TEST_REPORT_FORMATS), path: treePath }),
});

/** The coverage report the test command writes. */
const coverageReport = z.strictObject({ format: z.enum(COVERAGE_FORMATS), path: treePath });

/**
 * What git fetches from and pushes to: a local path, `file://`, or any URL git can fetch. A value
 * starting with `-` is refused (git would read it as an option).
 */
const repositoryUrl = text(4096).refine((url) => !url.startsWith('-'), 'must not start with "-"');

/** The fields of a repository other than its name, without defaults (shared by the create and patch schemas). */
const specFields = {
  url: repositoryUrl,
  defaultBranch: branchName,
  setup: setupCommand.nullable(),
  test: testCommand,
  coverage: coverageReport.nullable(),
  /** picomatch globs of the paths that count as tests. */
  testPaths: z.array(text(1000)).max(100),
  integration: z.enum(INTEGRATION_MODES),
  keepBranches: z.boolean(),
};

/**
 * A whole {@link RepositorySpec} (`POST /repositories` body, a configuration file entry). Defaults:
 * `defaultBranch` `main`, `setup` and `coverage` null (none), `integration` `merge`,
 * `keepBranches` true; in commands `args` `[]` and `timeoutMs` 600000; set-up `inputs` and `outputs` `[]`.
 */
export const repositorySpecSchema = z.strictObject({
  name: repositoryName,
  ...specFields,
  defaultBranch: specFields.defaultBranch.default('main'),
  setup: specFields.setup.default(null),
  coverage: specFields.coverage.default(null),
  integration: specFields.integration.default('merge'),
  keepBranches: specFields.keepBranches.default(true),
}) satisfies z.ZodType<RepositorySpec, unknown>;

/**
 * `PATCH /repositories/:name` body: at least one field of {@link repositorySpecSchema} but `name`
 * (a repository is not renamed); a field given replaces the stored one whole (e.g. all of `test`).
 */
export const repositoryPatchSchema = z
  .strictObject({ name: z.never({ error: 'a repository cannot be renamed' }).optional(), ...specFields })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'give at least one field to change');

/** Changes of a repository: the fields of {@link repositoryPatchSchema}. */
export type RepositoryChanges = Partial<Omit<RepositorySpec, 'name'>>;
