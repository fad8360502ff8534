#!/usr/bin/env node
/**
 * Set-up and entry point of `npm start` and `npm test`, in plain Node (no dependencies), because
 * it runs before node_modules exists:
 *   1. installs the npm dependencies when package-lock.json changed since the last install;
 *   2. finds the Temporal CLI (TEMPORAL_CLI, then `temporal` on PATH, then $(go env GOPATH)/bin),
 *      or builds it with `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`;
 *   3. generates the Prisma client;
 *   4. hands over: `npm start [-- --once] [file]` runs src/entrypoints/main.ts (PostgreSQL, migrations,
 *      Temporal dev server, worker, API, main job); `npm test [-- jest args]` type-checks and
 *      runs Jest (its global set-up starts PostgreSQL and migrates a template database).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const args = process.argv.slice(2);
const testMode = args[0] === '--test';

function say(message) {
  console.log(`[setup] ${message}`);
}

/** Runs a command in the project root with inherited output; exits this process if it fails. */
function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`[setup] ${command} ${commandArgs.join(' ')} failed with status ${result.status ?? result.signal}`);
    process.exit(result.status ?? 1);
  }
  return result;
}

/** Output of a command, or undefined if it cannot run. */
function output(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function installDependencies() {
  const digest = createHash('sha256')
    .update(readFileSync(path.join(root, 'package.json')))
    .update(readFileSync(path.join(root, 'package-lock.json')))
    .digest('hex');
  const stamp = path.join(root, 'node_modules', '.install-stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  // `npm install` follows package-lock.json; `npm ci` here trips over the lockfile's missing
  // entries for other platforms' optional packages (npm 11).
  say('installing npm dependencies (npm install)...');
  run('npm', ['install', '--no-audit', '--no-fund']);
  writeFileSync(stamp, digest);
}

function findTemporalCli() {
  if (process.env.TEMPORAL_CLI) {
    if (!existsSync(process.env.TEMPORAL_CLI)) {
      console.error(`[setup] TEMPORAL_CLI=${process.env.TEMPORAL_CLI} does not exist`);
      process.exit(1);
    }
    return process.env.TEMPORAL_CLI;
  }
  const onPath = output('sh', ['-c', 'command -v temporal']);
  if (onPath) return onPath;
  const gopath = output('go', ['env', 'GOPATH']);
  if (gopath === undefined) {
    console.error('[setup] no Temporal CLI found and no Go toolchain to build it: install Go, or set TEMPORAL_CLI to a temporal binary');
    process.exit(1);
  }
  const built = path.join(gopath.split(path.delimiter)[0], 'bin', 'temporal');
  if (existsSync(built)) return built;
  say(`building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE}`);
  say('this happens once per machine and takes several minutes (about 4 on 2 cores)...');
  run('go', ['install', TEMPORAL_CLI_MODULE]);
  return built;
}

function generatePrismaClient() {
  say('generating the Prisma client');
  // `prisma generate` only reads DATABASE_URL's presence, never connects.
  const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' };
  run(process.execPath, [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

installDependencies();
const temporalCli = findTemporalCli();
say(`Temporal CLI: ${temporalCli}`);
generatePrismaClient();

const env = { ...process.env, TEMPORAL_CLI: temporalCli };
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
if (testMode) {
  say('type-checking (tsc --noEmit)');
  run(bin('tsc'), ['--noEmit'], { env });
  run(bin('jest'), args.slice(1), { env });
} else {
  const main = spawn(bin('tsx'), [path.join(root, 'src', 'entrypoints', 'main.ts'), ...args], { cwd: root, stdio: 'inherit', env });
  // Ctrl-C reaches the child too; wait for its graceful stop instead of dying first.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => main.kill(signal));
  main.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
