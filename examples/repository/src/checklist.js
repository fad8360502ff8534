'use strict';
// @ts-check
/**
 * A checklist of named items that can be completed one by one, with progress reporting.
 * The library of the example repository tickets are worked in (see ../README.md).
 */

/**
 * Creates a checklist.
 *
 * @param {unknown} items the item names: a non-empty array of distinct, non-blank strings (checked at run time)
 * @returns {{
 *   items(): string[],
 *   complete(item: string): void,
 *   isComplete(item: string): boolean,
 *   progress(): { done: number, total: number, percent: number },
 *   remaining(): string[],
 * }}
 * @throws {TypeError} when `items` is not an array or holds a non-string or blank item
 * @throws {Error} when `items` is empty or names an item twice
 */
function createChecklist(items) {
  if (!Array.isArray(items)) throw new TypeError('items must be an array');
  if (items.length === 0) throw new Error('a checklist needs at least one item');
  for (const item of items) {
    if (typeof item !== 'string' || item.trim() === '') throw new TypeError(`invalid item: ${JSON.stringify(item)}`);
  }
  const names = /** @type {string[]} */ ([...items]);
  if (new Set(names).size !== names.length) throw new Error('checklist items must be distinct');
  /** @type {Set<string>} */
  const done = new Set();

  /**
   * Throws unless `item` is on the checklist.
   *
   * @param {string} item
   */
  function requireKnown(item) {
    if (!names.includes(item)) throw new Error(`unknown item: ${JSON.stringify(item)}`);
  }

  return {
    /** The item names, in the order given. */
    items: () => [...names],
    /** Marks `item` as done (idempotent). */
    complete(item) {
      requireKnown(item);
      done.add(item);
    },
    /** Whether `item` is done. */
    isComplete(item) {
      requireKnown(item);
      return done.has(item);
    },
    /** Items done, items in total, and the share done in whole percent (rounded down). */
    progress() {
      return { done: done.size, total: names.length, percent: Math.floor((done.size * 100) / names.length) };
    },
    /** The items not done yet, in the order given. */
    remaining: () => names.filter((name) => !done.has(name)),
  };
}

module.exports = { createChecklist };
