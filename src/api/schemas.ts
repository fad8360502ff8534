/**
 * Building blocks of the API's zod schemas (seed 001/002/003 endpoints): storable text and JSON,
 * and a phase. Each context's request schemas are in its `schemas.ts` (src/ticket, src/phase-work,
 * src/agents).
 */
import { z } from 'zod';
import { Phase } from '../ticket/phases';

/** A phase name, e.g. `PHASE_TESTING`. */
export const phase = z.enum(Phase);

/** Text PostgreSQL can store: well-formed Unicode (no lone surrogates) without NUL characters. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (value: string) => !value.includes('\u0000') && !LONE_SURROGATE.test(value);
const STORABLE = 'must be well-formed Unicode without NUL characters';

/** Any storable string of at most `max` characters. */
export const plain = (max: number) => z.string().max(max).refine(storable, STORABLE);
/** A non-empty, trimmed, storable string of at most `max` characters. */
export const text = (max: number) => z.string().trim().min(1).max(max).refine(storable, STORABLE);

/** Deepest nesting accepted in free-form JSON (artifact content, agent output). */
export const MAX_JSON_DEPTH = 64;

/**
 * Why free-form JSON cannot be stored, or undefined: nesting deeper than {@link MAX_JSON_DEPTH},
 * or a string or key that is not storable. Walks iteratively, so any depth is safe to check.
 */
function jsonProblem(value: unknown): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node === 'string' && !storable(node)) return `strings ${STORABLE}`;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_JSON_DEPTH) return `nesting deeper than ${MAX_JSON_DEPTH} levels`;
    for (const [key, child] of Object.entries(node)) {
      if (!storable(key)) return `keys ${STORABLE}`;
      stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/** Refinement of free-form JSON that PostgreSQL must store (see {@link jsonProblem}). */
export const storableJson = (value: unknown, ctx: z.RefinementCtx) => {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `JSON ${problem}` });
};
/** Free-form JSON that PostgreSQL can store. */
export const json = () => z.unknown().superRefine(storableJson);
