#!/usr/bin/env node
// @ts-check
/**
 * Installs Aider (`aider-chat`, pinned) into a virtualenv in the project's tool directory,
 * `.tools/aider-venv/`, for the aider backend's tests: `node scripts/install-aider.mjs`.
 *
 * Idempotent: when `.tools/aider-venv/bin/aider --version` already prints the pinned version it does
 * nothing (about 1 s, the time `aider --version` takes). Otherwise it (re)creates the venv with
 * `python3 -m venv` (Python 3.10–3.12, which aider-chat 0.86 requires) and pip-installs
 * `aider-chat==AIDER_VERSION` from PyPI: 141 s and 687 MB on this machine (2 shared cores, Python
 * 3.11), dominated by wheel downloads and installs.
 *
 * Prints the binary's path on success; exits non-zero with pip's or Python's message otherwise.
 * Env: PYTHON (the interpreter; default `python3`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned aider-chat release the backend's output parser was verified against. */
export const AIDER_VERSION = '0.86.2';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const venv = path.join(root, '.tools', 'aider-venv');
const aider = path.join(venv, 'bin', 'aider');

/**
 * The version `aider --version` prints (`aider 0.86.2`), or null when the binary is missing or fails.
 * @returns {string | null}
 */
function installedVersion() {
  if (!existsSync(aider)) return null;
  try {
    const out = execFileSync(aider, ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, AIDER_CHECK_UPDATE: 'false', AIDER_ANALYTICS_DISABLE: 'true' },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    });
    return /aider\s+(\S+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

if (installedVersion() === AIDER_VERSION) {
  console.log(aider);
} else {
  const started = Date.now();
  rmSync(venv, { recursive: true, force: true });
  execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  const pip = path.join(venv, 'bin', 'pip');
  execFileSync(pip, ['install', '--quiet', '--disable-pip-version-check', `aider-chat==${AIDER_VERSION}`], { stdio: 'inherit' });
  const version = installedVersion();
  if (version !== AIDER_VERSION) {
    console.error(`install-aider: expected aider ${AIDER_VERSION}, got ${version ?? 'nothing'}`);
    process.exit(1);
  }
  console.error(`install-aider: aider ${version} in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(aider);
}
