/**
 * The layout as a test (issue 8 §5): workflow code is deterministic and bundled for the workflow
 * sandbox, so nothing it reaches may import a Node built-in, Prisma, Temporal's non-workflow
 * packages or an activity implementation; and the REST API (src/api, every context's routes and
 * the clients and stores they call) never reaches an activity implementation. Imports are read
 * with the TypeScript compiler's `preProcessFile` and followed through relative paths, so an
 * indirect import counts as much as a direct one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const rel = (file: string) => path.relative(ROOT, file);

/** The module specifiers `file` imports or re-exports (static, dynamic and `require`). */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((imported) => imported.fileName);
}

/** The file a relative specifier of `from` resolves to (TypeScript's rules for .ts files and index files). */
function resolveRelative(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  const candidate = [`${base}.ts`, path.join(base, 'index.ts'), base].find((file) => existsSync(file) && statSync(file).isFile());
  if (!candidate) throw new Error(`${rel(from)}: cannot resolve ${specifier}`);
  return candidate;
}

/** Every .ts file under `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file));
}

/** An import edge `from` → `specifier` (a package name, or the file a relative import resolves to). */
interface Edge {
  from: string;
  specifier: string;
}

/** Every import edge reachable from `entries` through relative imports. */
function reachableImports(entries: string[]): Edge[] {
  const seen = new Set<string>();
  const edges: Edge[] = [];
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        edges.push({ from: file, specifier: target });
        queue.push(target);
      } else {
        edges.push({ from: file, specifier });
      }
    }
  }
  return edges;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const ACTIVITIES_DIR = path.join(ROOT, 'activities') + path.sep;
const describeEdge = ({ from, specifier }: Edge) => `${rel(from)} → ${path.isAbsolute(specifier) ? rel(specifier) : specifier}`;

describe('layout', () => {
  const workflowEdges = reachableImports(tsFiles(path.join(ROOT, 'workflows')));

  it('follows imports with the compiler API (sanity: the ticket workflow reaches its contracts and domain code)', () => {
    const reached = new Set(workflowEdges.map((edge) => rel(edge.specifier)));
    expect([...reached]).toEqual(
      expect.arrayContaining(['src/ticket/contracts.ts', 'src/ticket/lifecycle.ts', 'src/phase-work/contracts.ts', 'workflows/ticket/messages.ts']),
    );
  });

  it('workflow code reaches no Node built-in', () => {
    const bad = workflowEdges.filter((edge) => NODE_BUILTINS.has(edge.specifier) || NODE_BUILTINS.has(edge.specifier.split('/')[0] ?? ''));
    expect(bad.map(describeEdge)).toEqual([]);
  });

  it('workflow code reaches neither Prisma nor Temporal’s client, worker or activity packages', () => {
    const banned = /^(@prisma\/|prisma$|@temporalio\/(client|worker|activity|testing)$)/;
    expect(workflowEdges.filter((edge) => banned.test(edge.specifier)).map(describeEdge)).toEqual([]);
  });

  it('workflow code reaches no activity implementation (it proxies the contracts’ interfaces)', () => {
    expect(workflowEdges.filter((edge) => edge.specifier.startsWith(ACTIVITIES_DIR)).map(describeEdge)).toEqual([]);
  });

  it('the REST API (app shell and every context’s routes) reaches no activity implementation, nor the activity package', () => {
    const src = path.join(ROOT, 'src');
    const routes = readdirSync(src)
      .map((context) => path.join(src, context, 'routes.ts'))
      .filter((file) => existsSync(file));
    expect(routes.map(rel)).toEqual(expect.arrayContaining(['src/ticket/routes.ts', 'src/phase-work/routes.ts', 'src/agents/routes.ts']));
    const apiEdges = reachableImports([...tsFiles(path.join(src, 'api')), ...routes]);
    expect(apiEdges.filter((edge) => edge.specifier.startsWith(ACTIVITIES_DIR)).map(describeEdge)).toEqual([]);
    // Stores throw domain errors; activity failure types (built with @temporalio/activity) never reach the API.
    expect(apiEdges.filter((edge) => edge.specifier === '@temporalio/activity').map(describeEdge)).toEqual([]);
  });
});
