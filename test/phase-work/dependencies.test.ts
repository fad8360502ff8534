/** Dependency cycles (seed 004, milestone 1.1: circular dependency detection), with their path. */
import { dependencyCycle } from '../../src/phase-work/dependencies';

describe('dependencyCycle', () => {
  it('finds no cycle in a DAG', () => {
    expect(dependencyCycle({ a: ['b', 'c'], b: ['c'], c: [] })).toBeUndefined();
    expect(dependencyCycle({})).toBeUndefined();
  });

  it('gives the cycle as a path that returns to its start', () => {
    expect(dependencyCycle({ a: ['b'], b: ['c'], c: ['a'] })).toEqual(['a', 'b', 'c', 'a']);
    expect(dependencyCycle({ a: ['a'] })).toEqual(['a', 'a']);
  });

  it('gives the shortest way around when the cycle has branches, ignoring nodes outside it', () => {
    expect(dependencyCycle({ x: ['a'], a: ['b', 'c'], b: ['a'], c: ['d'], d: ['a'] })).toEqual(['a', 'b', 'a']);
  });
});
