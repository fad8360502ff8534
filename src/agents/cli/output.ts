/**
 * Pure helpers the CLI backends of issue 10 share to read a CLI's output stream ("the CLI's output
 * is parsed, never trusted"): JSON lines, loose field access and the usage of a run that reported
 * none. No Node, Prisma or Temporal imports.
 */
import type { CliUsage } from './contracts';

/** A JSON object as parsed. */
export type Json = Record<string, unknown>;

/** Whether `value` is a JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value` when it is a JSON object, else `{}` (so fields of a missing object read as undefined). */
export const record = (value: unknown): Json => (isObject(value) ? value : {});

/** `value` when it is a finite number, else 0 (a missing or malformed count). */
export const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** One output line as a JSON object, or null when it is not one (a stray log line, a partial write). */
export function parseJsonLine(line: string): Json | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** One output line as an event: a JSON object with a string `type`, else null. */
export function parseEventLine(line: string): (Json & { type: string }) | null {
  const event = parseJsonLine(line);
  return event && typeof event.type === 'string' ? (event as Json & { type: string }) : null;
}

/** The usage of a run that reported nothing: no tokens (0), no turns, no cost (null), `sessionId` (null unless known). */
export const emptyUsage = (sessionId: string | null = null): CliUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cachedTokens: 0,
  costUsd: null,
  costSource: null,
  turns: 0,
  sessionId,
});
