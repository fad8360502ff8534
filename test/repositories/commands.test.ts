/**
 * Repository commands (issue 9, "Repositories"): real processes run from argv in their own process
 * group, with exit codes, the output's tail, heartbeats, a timeout that kills the whole group
 * (a grandchild too), cancellation, and a spawn failure as a result.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { commandFailure, commandLine, MAX_COMMAND_OUTPUT_BYTES, runRepositoryCommand, type CommandRun } from '../../src/repositories/commands';
import { eventually, isAlive } from '../helpers/poll';

let dir: string;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'repository-commands-')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `source` as a script in the test directory and returns its path. */
function script(name: string, source: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}

const run = (args: string[], timeoutMs = 10_000, extra: Partial<Parameters<typeof runRepositoryCommand>[1]> = {}) =>
  runRepositoryCommand({ command: 'node', args, timeoutMs }, { cwd: dir, signal: new AbortController().signal, step: 'test', ...extra });

/** A script that starts two grandchildren ignoring SIGTERM (one sharing its output, one not), records all pids, then hangs. */
const hangingFamily = () =>
  script(
    'family.js',
    `const { spawn } = require('node:child_process');
     const stubborn = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);";
     const shared = spawn(process.execPath, ['-e', stubborn], { stdio: 'inherit' });
     const quiet = spawn(process.execPath, ['-e', stubborn], { stdio: 'ignore' });
     require('node:fs').writeFileSync(process.argv[2], JSON.stringify([process.pid, shared.pid, quiet.pid]));
     console.log('started');
     setInterval(() => {}, 1000);`,
  );

describe('runRepositoryCommand', () => {
  it('gives the exit code and the output of stdout and stderr interleaved', async () => {
    const file = script(
      'exit.js',
      `process.stdout.write('one\\n');
       setTimeout(() => { process.stderr.write('two\\n'); setTimeout(() => { process.stdout.write('three\\n'); process.exitCode = 3; }, 100); }, 100);`,
    );
    const result = await run([file]);
    expect(result).toEqual<CommandRun>({ exitCode: 3, signal: null, timedOut: false, output: 'one\ntwo\nthree\n', durationMs: expect.any(Number) });
  });

  it('runs `node` as this Node.js, in the given directory with the given environment, with stdin closed', async () => {
    const file = script(
      'where.js',
      `let input = '';
       process.stdin.on('data', (d) => (input += d)).on('end', () =>
         console.log(JSON.stringify({ node: process.execPath, cwd: process.cwd(), color: process.env.COLOR ?? null, path: process.env.PATH ?? null, input })));`,
    );
    const sub = path.join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    const result = await run([file], 10_000, { cwd: sub, env: { COLOR: 'blue' } });
    expect(JSON.parse(result.output)).toEqual({ node: process.execPath, cwd: sub, color: 'blue', path: null, input: '' });
    expect(result.exitCode).toBe(0);
  });

  it('keeps only the last 64 KiB of the output, starting at a whole character', async () => {
    const file = script('loud.js', `process.stdout.write('x'.repeat(100_000)); process.stdout.write('€'.repeat(30_000)); process.stdout.write('END');`);
    const { output, exitCode } = await run([file]);
    expect(exitCode).toBe(0);
    // 65,536 bytes would cut a 3-byte '€': the tail starts at the next whole one.
    expect(output).toBe('€'.repeat(Math.floor((MAX_COMMAND_OUTPUT_BYTES - 3) / 3)) + 'END');
  });

  it('kills the whole process group at timeoutMs, grandchildren included, and says it timed out', async () => {
    const pidsFile = path.join(dir, 'family-timeout.json');
    const result = await run([hangingFamily(), pidsFile], 1000, { killGraceMs: 300 });
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: true, output: 'started\n' });
    expect(commandFailure({ timeoutMs: 1000 }, result)).toBe('timed out after 1 s; killed');
    const pids = JSON.parse(readFileSync(pidsFile, 'utf8')) as number[];
    expect(pids).toHaveLength(3);
    await eventually(() => pids.every((pid) => !isAlive(pid)), `processes ${pids.join(', ')} to be gone`, 5000);
  });

  it('heartbeats with its step and pid, and on abort kills the group and rejects with the reason', async () => {
    const pidsFile = path.join(dir, 'family-abort.json');
    const controller = new AbortController();
    const beats: { step: string; pid: number; elapsedMs: number }[] = [];
    const running = run([hangingFamily(), pidsFile], 60_000, {
      signal: controller.signal,
      step: 'setup',
      heartbeat: (details) => beats.push(details),
      heartbeatIntervalMs: 50,
      killGraceMs: 300,
    });
    const outcome = running.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await eventually(() => beats.length >= 2 && existsSync(pidsFile) && readFileSync(pidsFile, 'utf8') !== '', 'two heartbeats and the pids');
    const pids = JSON.parse(readFileSync(pidsFile, 'utf8')) as number[];
    expect(beats[0]).toEqual({ step: 'setup', pid: pids[0], elapsedMs: expect.any(Number) });
    const reason = new Error('cancelled by the test');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    await eventually(() => pids.every((pid) => !isAlive(pid)), `processes ${pids.join(', ')} to be gone`, 5000);
    const beatsAfter = beats.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(beats.length).toBe(beatsAfter); // heartbeats stopped with the run
  });

  it('does not start when the signal is already aborted', async () => {
    const marker = path.join(dir, 'never.txt');
    const controller = new AbortController();
    const reason = new Error('already cancelled');
    controller.abort(reason);
    await expect(run(['-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`], 10_000, { signal: controller.signal })).rejects.toBe(reason);
    expect(existsSync(marker)).toBe(false);
  });

  it('gives a spawn failure (ENOENT) as a result, not an error', async () => {
    const command = { command: 'no-such-command-for-repository-tests', args: ['--version'], timeoutMs: 5000 };
    const result = await runRepositoryCommand(command, { cwd: dir, signal: new AbortController().signal, step: 'test' });
    expect(result).toMatchObject({ exitCode: null, signal: null, timedOut: false, output: '', error: expect.stringMatching(/ENOENT/) });
    expect(commandFailure(command, result)).toBe('could not start: spawn no-such-command-for-repository-tests ENOENT');
  });
});

describe('commandLine and commandFailure', () => {
  it('quotes only the words that need it (nothing runs through a shell)', () => {
    expect(commandLine({ command: 'npx', args: ['jest', '--json', '--outputFile=reports/jest.json'] })).toBe('npx jest --json --outputFile=reports/jest.json');
    expect(commandLine({ command: 'node', args: ['a b.js', '$(rm -rf /)', ''] })).toBe('node "a b.js" "$(rm -rf /)" ""');
  });

  it('says why a run did not succeed', () => {
    const base: CommandRun = { exitCode: 0, signal: null, timedOut: false, output: '', durationMs: 5 };
    expect(commandFailure({ timeoutMs: 1500 }, base)).toBeUndefined();
    expect(commandFailure({ timeoutMs: 1500 }, { ...base, exitCode: 2 })).toBe('exited with status 2');
    expect(commandFailure({ timeoutMs: 1500 }, { ...base, exitCode: null, signal: 'SIGKILL' })).toBe('was killed by SIGKILL');
    expect(commandFailure({ timeoutMs: 1500 }, { ...base, exitCode: null, signal: 'SIGTERM', timedOut: true })).toBe('timed out after 1.5 s; killed');
  });
});
