// @ts-check
/**
 * ESLint 9 flat config (issue 8 §6): typescript-eslint's type-checked recommended rules with
 * `no-floating-promises` for the TypeScript code, and for workflow code the rule Temporal's
 * samples use (samples-typescript's `.shared` ESLint config): no Node built-in may be imported, as
 * the workflow sandbox has none; nor Prisma or activity implementations (workflows import the
 * contexts' `contracts.ts`). Plain JavaScript (scripts/, examples/, fixtures) gets ESLint's
 * recommended rules; its types are checked by `tsc -p tsconfig.js.json`. Formatting is
 * Prettier's (eslint-config-prettier turns off the rules it owns).
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Node built-ins workflow code may import: `assert` is deterministic and the sandbox provides it (as in Temporal's samples). */
const ALLOWED_NODE_BUILTINS = new Set(['assert']);

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      '.data/',
      '.tools/',
      'test/fixtures/histories/',
      'examples/repository/node_modules',
      'examples/repository/reports/',
    ],
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['examples/repository/test/**/*.js'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Re-rejecting a caught `unknown` passes the original failure on (as `only-throw-error` allows for `throw`).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // supertest's `res.body` and Jest's matchers are `any` by design; the tests assert its shape.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules
            .filter((name) => !ALLOWED_NODE_BUILTINS.has(name))
            .flatMap((name) => [name, `node:${name}`])
            .map((name) => ({ name, message: 'Workflow code runs in the deterministic sandbox, which has no Node built-ins.' })),
          patterns: [
            { group: ['@prisma/*', 'prisma'], message: 'Workflow code reaches the database only through activities.' },
            { group: ['**/activities', '**/activities/**'], message: 'Import the contexts’ contracts.ts, not activity implementations.' },
            { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Workflow code imports @temporalio/workflow only.' },
          ],
        },
      ],
    },
  },
  prettier,
);
