/**
 * Task dependency graphs (seed 004, milestone 1.1: "circular dependency detection"), checked with
 * graphlib. Used for template dependencies (task types of one phase) and task dependencies (task
 * IDs of one phase run). Not for workflow code.
 */
import { Graph, alg } from '@dagrejs/graphlib';

/**
 * The first dependency cycle of a graph, as a path that starts and ends at the same node
 * (`["a", "b", "c", "a"]`: a depends on b, b on c, c on a), or undefined when there is none.
 *
 * @param dependsOn each node → the nodes it depends on
 */
export function dependencyCycle(dependsOn: Readonly<Record<string, readonly string[]>>): string[] | undefined {
  const graph = new Graph();
  for (const [node, dependencies] of Object.entries(dependsOn)) {
    graph.setNode(node);
    for (const dependency of dependencies) graph.setEdge(node, dependency);
  }
  const component = alg.findCycles(graph).sort((a, b) => a.length - b.length)[0];
  if (!component) return undefined;
  const start = [...component].sort()[0]!;
  // The shortest way back to `start` through one of its dependencies.
  const paths = alg.dijkstraAll(graph);
  let best: string[] | undefined;
  for (const next of graph.successors(start) ?? []) {
    if (next === start) return [start, start];
    if (paths[next]?.[start]?.distance === Infinity) continue;
    const back: string[] = [];
    for (let node = start; node !== next; node = paths[next]![node]!.predecessor) back.push(node);
    const path = [start, next, ...back.reverse()];
    if (!best || path.length < best.length) best = path;
  }
  return best;
}
