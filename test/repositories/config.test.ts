/**
 * Repositories as the configuration file and the API take them (issue 9 "Repositories"): the
 * RepositorySpec schema with its defaults and refusals, branch names, and the file's
 * `repositories` / `defaultRepository` with `${DATA_DIR}` and relative URLs resolved.
 */
import path from 'node:path';
import { loadOrchestratorConfig, parseOrchestratorConfig } from '../../src/agents/config';
import { DEFAULT_DATA_DIR } from '../../src/platform/paths';
import { resolveRepositoryUrl } from '../../src/repositories/config';
import { isValidBranchName, repositoryPatchSchema, repositorySpecSchema } from '../../src/repositories/schemas';

const backends = [{ name: 'agent', type: 'command', capabilities: ['analysis'], command: 'node', args: ['./agent.mjs'] }];
const test = { command: 'npm', args: ['test'], report: { format: 'jest-json', path: 'reports/jest.json' } };
const minimal = { name: 'example', url: 'https://git.example.com/team/app.git', test, testPaths: ['test/**'] };

describe('repositorySpecSchema', () => {
  it('fills the defaults of a minimal spec', () => {
    expect(repositorySpecSchema.parse(minimal)).toEqual({
      ...minimal,
      defaultBranch: 'main',
      setup: null,
      test: { ...test, timeoutMs: 600_000 },
      coverage: null,
      integration: 'merge',
      keepBranches: true,
    });
  });

  it('keeps a full spec as given', () => {
    const full = {
      ...minimal,
      defaultBranch: 'release/2.x',
      setup: { command: 'npm', args: ['ci'], timeoutMs: 120_000, inputs: ['package-lock.json'], outputs: ['node_modules'] },
      test: { ...test, timeoutMs: 60_000, report: { format: 'junit-xml', path: 'out/junit.xml' } },
      coverage: { format: 'cobertura-xml', path: 'coverage/cobertura.xml' },
      integration: 'branch-only',
      keepBranches: false,
    };
    expect(repositorySpecSchema.parse(full)).toEqual(full);
  });

  it.each([
    ['an upper-case name', { ...minimal, name: 'Example' }, 'name'],
    ['a name starting with "-"', { ...minimal, name: '-x' }, 'name'],
    ['a name of 101 characters', { ...minimal, name: 'a'.repeat(101) }, 'name'],
    ['an empty url', { ...minimal, url: ' ' }, 'url'],
    ['a url read as a git option', { ...minimal, url: '--upload-pack=touch' }, 'url'],
    ['a branch with "..', { ...minimal, defaultBranch: 'a..b' }, 'defaultBranch'],
    ['an absolute report path', { ...minimal, test: { ...test, report: { format: 'jest-json', path: '/tmp/r.json' } } }, 'test.report.path'],
    ['a report path leaving the tree', { ...minimal, test: { ...test, report: { format: 'jest-json', path: 'a/../../r.json' } } }, 'test.report.path'],
    ['an unknown report format', { ...minimal, test: { ...test, report: { format: 'tap', path: 'r.tap' } } }, 'test.report.format'],
    ['a set-up output outside the tree', { ...minimal, setup: { command: 'npm', outputs: ['..'] } }, 'setup.outputs.0'],
    ['a Windows absolute coverage path', { ...minimal, coverage: { format: 'istanbul-summary', path: 'C:\\cov.json' } }, 'coverage.path'],
    ['a shell string instead of args', { ...minimal, test: { ...test, args: 'test --ci' } }, 'test.args'],
    ['a zero timeout', { ...minimal, test: { ...test, timeoutMs: 0 } }, 'test.timeoutMs'],
    ['an unknown integration', { ...minimal, integration: 'squash' }, 'integration'],
    ['missing testPaths', { ...minimal, testPaths: undefined }, 'testPaths'],
    ['an unknown field', { ...minimal, branch: 'main' }, ''],
  ])('refuses %s', (_name, input, failing) => {
    const parsed = repositorySpecSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((issue) => issue.path.join('.'))).toContain(failing);
  });

  it('patches: any field but name, at least one, no defaults filled in', () => {
    expect(repositoryPatchSchema.parse({ keepBranches: false })).toEqual({ keepBranches: false });
    expect(repositoryPatchSchema.safeParse({}).success).toBe(false);
    const rename = repositoryPatchSchema.safeParse({ name: 'other' });
    expect(rename.error!.issues[0]).toMatchObject({ path: ['name'], message: 'a repository cannot be renamed' });
  });
});

describe('isValidBranchName', () => {
  it.each(['main', 'release/2.x', 'feature/a-b_c', 'v1.0'])('accepts %s', (name) => expect(isValidBranchName(name)).toBe(true));
  it.each(['', 'a b', 'a..b', '-x', '/x', 'x/', 'x.', 'x.lock', 'a/.b', 'a//b', 'a@{1}', '@', 'HEAD', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', 'a\tb'])(
    'refuses %j',
    (name) => expect(isValidBranchName(name)).toBe(false),
  );
});

describe('repositories in the configuration file', () => {
  const baseDir = '/etc/orchestrator';

  it('has none by default, and the repository file parses', () => {
    const config = parseOrchestratorConfig({ backends }, baseDir);
    expect(config.repositories).toEqual([]);
    expect(config.defaultRepository).toBeUndefined();
    expect(loadOrchestratorConfig().backends.length).toBeGreaterThan(0);
  });

  it('substitutes ${DATA_DIR} with the data directory given, resolves relative paths against the file, keeps URLs', () => {
    const config = parseOrchestratorConfig(
      {
        backends,
        repositories: [
          { $comment: 'the embedded remote', ...minimal, name: 'embedded', url: '${DATA_DIR}/repositories/example.git', seedFrom: '../examples/project' },
          { ...minimal, name: 'relative', url: '../remotes/app.git' },
          { ...minimal, name: 'absolute', url: '/srv/git/app.git' },
          { ...minimal, name: 'file', url: 'file:///srv/git/app.git' },
          { ...minimal, name: 'scp', url: 'git@github.com:team/app.git' },
        ],
        defaultRepository: 'embedded',
      },
      baseDir,
      { dataDir: '/var/lib/orchestrator' },
    );
    expect(config.defaultRepository).toBe('embedded');
    expect(config.repositories.map(({ name, url }) => [name, url])).toEqual([
      ['embedded', '/var/lib/orchestrator/repositories/example.git'],
      ['relative', '/etc/remotes/app.git'],
      ['absolute', '/srv/git/app.git'],
      ['file', 'file:///srv/git/app.git'],
      ['scp', 'git@github.com:team/app.git'],
    ]);
    expect(config.repositories[0]!.seedFrom).toBe('/etc/examples/project');
    expect(config.repositories[1]!.seedFrom).toBeUndefined();
    expect(config.repositories[0]!.givenFields).toEqual(['name', 'url', 'test', 'testPaths']);
    expect(config.repositories[0]).not.toHaveProperty('$comment');
  });

  it('makes a relative data directory absolute, and defaults it to the repository .data', () => {
    const entry = { ...minimal, url: '${DATA_DIR}/r.git' };
    expect(parseOrchestratorConfig({ backends, repositories: [entry] }, baseDir, { dataDir: 'data' }).repositories[0]!.url).toBe(path.resolve('data', 'r.git'));
    expect(parseOrchestratorConfig({ backends, repositories: [entry] }, baseDir).repositories[0]!.url).toBe(path.join(DEFAULT_DATA_DIR, 'r.git'));
  });

  it('refuses a defaultRepository that names none of the repositories', () => {
    expect(() => parseOrchestratorConfig({ backends, repositories: [minimal], defaultRepository: 'other' }, baseDir)).toThrow(
      /names no repository of "repositories": "other"\n {2}→ at defaultRepository/,
    );
    expect(() => parseOrchestratorConfig({ backends, defaultRepository: 'example' }, baseDir)).toThrow(/at defaultRepository/);
  });

  it('refuses an invalid entry, a duplicate name and an unknown placeholder', () => {
    expect(() => parseOrchestratorConfig({ backends, repositories: [{ ...minimal, url: '' }] }, baseDir)).toThrow(/at repositories\[0\]\.url/);
    expect(() => parseOrchestratorConfig({ backends, repositories: [minimal, minimal] }, baseDir)).toThrow(
      /repository name "example" is used twice\n {2}→ at repositories\[1\]\.name/,
    );
    expect(() => resolveRepositoryUrl('${HOME}/app.git', baseDir, '/data')).toThrow(/unknown placeholder \$\{HOME\}/);
  });
});
