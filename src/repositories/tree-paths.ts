/**
 * Paths a repository's settings name inside a working tree (report files, set-up inputs and
 * outputs): relative, and never outside the tree. Issue 9, "Repositories".
 */
import path from 'node:path';

/** A path of the repository's settings that leads out of the tree. */
export class TreePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TreePathError';
  }
}

/**
 * The absolute path of `relative` in `tree`.
 *
 * @throws TreePathError when `relative` is absolute, empty, or leads out of the tree (`..`)
 */
export function treePath(tree: string, relative: string): string {
  const resolved = path.resolve(tree, relative);
  const inside = path.relative(tree, resolved);
  if (
    relative.trim() === '' ||
    path.isAbsolute(relative) ||
    inside === '' ||
    inside === '..' ||
    inside.startsWith(`..${path.sep}`) ||
    path.isAbsolute(inside)
  ) {
    throw new TreePathError(`path ${JSON.stringify(relative)} is not inside the tree`);
  }
  return resolved;
}
