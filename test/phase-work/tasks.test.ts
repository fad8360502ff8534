/** Task scheduling rules the workflow applies (seed 004, milestone 1.1: tasks run after their dependencies). */
import { TaskStatus, runnableTasks, unreachableTasks, type PlannedTask } from '../../src/phase-work/tasks';

const task = (
  id: string,
  dependencies: string[] = [],
  status: TaskStatus = TaskStatus.PENDING,
  priority: PlannedTask['priority'] = 'MEDIUM',
  resources: string[] = [],
): PlannedTask => ({ id, taskType: `type_${id}`, priority, status, dependencies, resources });

describe('runnableTasks', () => {
  it('offers tasks whose dependencies completed, highest priority first', () => {
    const tasks = [task('a', [], TaskStatus.PENDING, 'LOW'), task('b', [], TaskStatus.PENDING, 'CRITICAL'), task('c', ['a'])];
    expect(runnableTasks(tasks, new Set()).map((t) => t.id)).toEqual(['b', 'a']);
    tasks[0]!.status = TaskStatus.COMPLETED;
    expect(runnableTasks(tasks, new Set(['b'])).map((t) => t.id)).toEqual(['c']);
  });

  it('never offers completed, failed or running tasks', () => {
    const tasks = [task('a', [], TaskStatus.COMPLETED), task('b', [], TaskStatus.FAILED), task('c'), task('d', [], TaskStatus.CANCELLED)];
    expect(runnableTasks(tasks, new Set(['c'])).map((t) => t.id)).toEqual(['d']);
  });
});

describe('runnableTasks with resources', () => {
  it('never offers two tasks that share a resource, nor one whose resource a running task holds', () => {
    const tasks = [
      task('a', [], TaskStatus.PENDING, 'HIGH', ['repo']),
      task('b', [], TaskStatus.PENDING, 'MEDIUM', ['repo', 'db']),
      task('c', [], TaskStatus.PENDING, 'LOW', ['db']),
    ];
    expect(runnableTasks(tasks, new Set()).map((t) => t.id)).toEqual(['a', 'c']);
    expect(runnableTasks(tasks, new Set(['c'])).map((t) => t.id)).toEqual(['a']);
  });
});

describe('unreachableTasks', () => {
  it('names tasks that wait on a failed or missing task, transitively', () => {
    const tasks = [task('a', [], TaskStatus.FAILED), task('b', ['a']), task('c', ['b']), task('d', ['zzz']), task('e')];
    expect(unreachableTasks(tasks)).toEqual([
      'task type_b cannot start: it depends on type_a, which did not complete',
      'task type_c cannot start: it depends on type_b, which did not complete',
      'task type_d cannot start: it depends on zzz, which did not complete',
    ]);
  });

  it('names the tasks of a dependency cycle', () => {
    expect(unreachableTasks([task('a', ['b']), task('b', ['a'])])).toHaveLength(2);
  });

  it('is empty when everything can still run', () => {
    expect(unreachableTasks([task('a', [], TaskStatus.COMPLETED), task('b', ['a']), task('c', ['b'])])).toEqual([]);
  });
});
