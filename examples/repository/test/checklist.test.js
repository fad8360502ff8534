'use strict';
// @ts-check
const { createChecklist } = require('../src/checklist');

describe('createChecklist', () => {
  it('rejects a value that is not an array', () => {
    expect(() => createChecklist('a, b')).toThrow(TypeError);
  });

  it('rejects an empty list', () => {
    expect(() => createChecklist([])).toThrow('at least one item');
  });

  it('rejects blank and non-string items', () => {
    expect(() => createChecklist(['a', '  '])).toThrow(TypeError);
    expect(() => createChecklist(['a', 42])).toThrow(TypeError);
  });

  it('rejects duplicate items', () => {
    expect(() => createChecklist(['a', 'a'])).toThrow('distinct');
  });

  it('keeps its own copy of the items', () => {
    const items = ['a', 'b'];
    const checklist = createChecklist(items);
    items.push('c');
    checklist.items().push('d');
    expect(checklist.items()).toEqual(['a', 'b']);
  });
});

describe('a checklist', () => {
  it('starts with nothing done', () => {
    const checklist = createChecklist(['a', 'b', 'c']);
    expect(checklist.progress()).toEqual({ done: 0, total: 3, percent: 0 });
    expect(checklist.remaining()).toEqual(['a', 'b', 'c']);
    expect(checklist.isComplete('a')).toBe(false);
  });

  it('completes items and reports progress rounded down', () => {
    const checklist = createChecklist(['a', 'b', 'c']);
    checklist.complete('b');
    expect(checklist.isComplete('b')).toBe(true);
    expect(checklist.progress()).toEqual({ done: 1, total: 3, percent: 33 });
    expect(checklist.remaining()).toEqual(['a', 'c']);
  });

  it('treats completing an item twice as once', () => {
    const checklist = createChecklist(['a', 'b']);
    checklist.complete('a');
    checklist.complete('a');
    expect(checklist.progress()).toEqual({ done: 1, total: 2, percent: 50 });
  });

  it('reaches 100 percent with nothing remaining', () => {
    const checklist = createChecklist(['a', 'b']);
    checklist.complete('a');
    checklist.complete('b');
    expect(checklist.progress()).toEqual({ done: 2, total: 2, percent: 100 });
    expect(checklist.remaining()).toEqual([]);
  });

  it('throws on unknown items', () => {
    const checklist = createChecklist(['a']);
    expect(() => checklist.complete('z')).toThrow('unknown item: "z"');
    expect(() => checklist.isComplete('z')).toThrow('unknown item');
  });
});
