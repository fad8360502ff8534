/**
 * Cross-phase context (seed 001/002, Stream H): the per-phase context structure, the view a phase
 * may see (earlier phases only), key-point extraction, and summarization within a token budget
 * counted with a real tokenizer (js-tiktoken, `cl100k_base`). Pure JS; not for workflow code (the
 * tokenizer's ranks are large), used by activities and the API.
 */
import { Tiktoken } from 'js-tiktoken/lite';
import { LRUCache } from 'lru-cache';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import { PHASE_SEQUENCE, type Phase } from '../ticket/phases';

/** What one phase contributed: documents (strings) and lists (decisions, risks, criteria, ...). */
export type PhaseContext = Record<string, unknown>;

/**
 * A ticket's aggregated context, keyed `<phase>_phase` as in the seed
 * (`requirements_phase`, `design_phase`, ...), plus the latest `summary`.
 */
export type TicketContext = Record<string, PhaseContext | string | undefined> & { summary?: string };

/** Default summary budget, in tokens (seed 001, `summarize_context(max_tokens=2000)`). */
export const DEFAULT_SUMMARY_TOKENS = 2000;

let encoder: Tiktoken | undefined;
const tokenizer = () => (encoder ??= new Tiktoken(cl100kBase));

/** Number of `cl100k_base` tokens in `text`. */
export function countTokens(text: string): number {
  return tokenizer().encode(text).length;
}

/** The context key of a phase: `PHASE_REQUIREMENTS` → `requirements_phase`. */
export function phaseContextKey(phase: Phase): string {
  return `${phase.replace('PHASE_', '').toLowerCase()}_phase`;
}

/** The part of `context` a phase may see: the phases before `target` on PHASE_SEQUENCE. */
export function contextForPhase(context: TicketContext, target: Phase): TicketContext {
  const index = PHASE_SEQUENCE.indexOf(target);
  const earlier = index < 0 ? PHASE_SEQUENCE : PHASE_SEQUENCE.slice(0, index);
  const visible: TicketContext = {};
  for (const phase of earlier) {
    const key = phaseContextKey(phase);
    if (context[key] !== undefined) visible[key] = context[key];
  }
  return visible;
}

const KEY_POINT_KINDS: [RegExp, string][] = [
  [/decisions$/, 'Decision'],
  [/^risks?$/, 'Risk'],
  [/^acceptance_criteria$/, 'Acceptance criterion'],
];

const label = (key: string) => key.replace(/_/g, ' ');

function phaseEntries(context: TicketContext): [string, PhaseContext][] {
  return Object.entries(context).filter(
    (entry): entry is [string, PhaseContext] => entry[0] !== 'summary' && typeof entry[1] === 'object' && entry[1] !== null,
  );
}

/** Decisions, risks and acceptance criteria of every phase, as `Kind (phase): text` lines. */
export function extractKeyPoints(context: TicketContext): string[] {
  const points: string[] = [];
  for (const [kindPattern, kind] of KEY_POINT_KINDS) {
    for (const [phaseKey, phase] of phaseEntries(context)) {
      for (const [key, value] of Object.entries(phase)) {
        if (kindPattern.test(key) && Array.isArray(value)) points.push(...value.map((item) => `${kind} (${label(phaseKey)}): ${String(item)}`));
      }
    }
  }
  return points;
}

/** Every other list item and document, after the key points. */
function details(context: TicketContext): string[] {
  const lists: string[] = [];
  const documents: string[] = [];
  for (const [phaseKey, phase] of phaseEntries(context)) {
    for (const [key, value] of Object.entries(phase)) {
      if (KEY_POINT_KINDS.some(([pattern]) => pattern.test(key))) continue;
      if (Array.isArray(value)) lists.push(...value.map((item) => `${label(key)} (${label(phaseKey)}): ${String(item)}`));
      else if (typeof value === 'string' && value.trim()) documents.push(`${label(key)} (${label(phaseKey)}): ${value.trim()}`);
    }
  }
  return [...lists, ...documents];
}

/**
 * Summarizes `context` to at most `maxTokens` tokens: key points (decisions, risks, acceptance
 * criteria) first, then other list items, then documents; the first line that does not fit is cut
 * at the token boundary and marked with "…", and nothing follows it.
 *
 * @returns the summary and its size in tokens (always ≤ maxTokens).
 */
export function summarizeContext(context: TicketContext, maxTokens = DEFAULT_SUMMARY_TOKENS): { summary: string; tokens: number } {
  const lines: string[] = [];
  let used = 0;
  for (const line of [...extractKeyPoints(context), ...details(context)]) {
    const cost = countTokens(lines.length ? `\n${line}` : line);
    if (used + cost <= maxTokens) {
      lines.push(line);
      used += cost;
      continue;
    }
    const room = maxTokens - used - countTokens(lines.length ? '\n…' : '…');
    if (room > 0) {
      const encoded = tokenizer().encode(line).slice(0, room);
      lines.push(`${tokenizer().decode(encoded)}…`);
    }
    break;
  }
  let summary = lines.join('\n');
  // Joining can merge tokens across a cut; trim further in the rare case it grew past the budget.
  while (countTokens(summary) > maxTokens) summary = summary.slice(0, -1);
  return { summary, tokens: countTokens(summary) };
}

/** Phase views a {@link PhaseSummaryCache} keeps by default (one per ticket and phase). */
export const DEFAULT_SUMMARY_CACHE_ENTRIES = 1000;

/**
 * The summary of what a phase may see, remembered per (ticket, phase) so the executions of one
 * phase run count tokens once instead of once each (issue 8 §3: agent dispatch). An entry is
 * reused only while the phase's view of the context (`contextForPhase`) is the same JSON as when
 * it was summarized, so a changed context is summarized afresh. At most `maxEntries` entries; the
 * least recently used goes first (lru-cache).
 */
export class PhaseSummaryCache {
  private readonly entries: LRUCache<string, { view: string; summary: string }>;

  constructor(maxEntries = DEFAULT_SUMMARY_CACHE_ENTRIES) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  /** `summarizeContext(contextForPhase(context, phase)).summary` (default budget, 2000 tokens), reused while unchanged. */
  summaryFor(ticketId: string, context: TicketContext, phase: Phase): string {
    const visible = contextForPhase(context, phase);
    const view = JSON.stringify(visible);
    const key = `${ticketId}/${phase}`;
    const cached = this.entries.get(key);
    if (cached?.view === view) return cached.summary;
    const { summary } = summarizeContext(visible);
    this.entries.set(key, { view, summary });
    return summary;
  }
}
