import fc from 'fast-check';
import { Phase } from '../../src/ticket/phases';
import {
  DEFAULT_SUMMARY_TOKENS,
  PhaseSummaryCache,
  contextForPhase,
  countTokens,
  extractKeyPoints,
  phaseContextKey,
  summarizeContext,
  type TicketContext,
} from '../../src/phase-work/context-summary';

const context: TicketContext = {
  requirements_phase: {
    requirements_doc: 'The registry stores agents and their capabilities. '.repeat(400),
    key_decisions: ['Agents register over REST'],
    acceptance_criteria: ['Search ranks by capability fit'],
    scope_clarifications: ['No multi-tenant support'],
  },
  design_phase: { architecture_doc: 'One table per concept.', design_decisions: ['Capabilities as a text array'], risks: ['Stale heartbeats'] },
  implementation_phase: { code_changes_summary: 'Added registry service' },
  summary: 'old summary',
};

describe('context passing (seed 001, Stream H)', () => {
  it('keys phases as the seed does', () => {
    expect(phaseContextKey(Phase.REQUIREMENTS)).toBe('requirements_phase');
    expect(phaseContextKey(Phase.IMPLEMENTATION)).toBe('implementation_phase');
  });

  it('shows a phase only the phases before it', () => {
    expect(Object.keys(contextForPhase(context, Phase.DESIGN))).toEqual(['requirements_phase']);
    expect(Object.keys(contextForPhase(context, Phase.TESTING))).toEqual(['requirements_phase', 'design_phase', 'implementation_phase']);
    expect(contextForPhase(context, Phase.REQUIREMENTS)).toEqual({});
  });

  it('extracts decisions, then risks, then acceptance criteria', () => {
    expect(extractKeyPoints(context)).toEqual([
      'Decision (requirements phase): Agents register over REST',
      'Decision (design phase): Capabilities as a text array',
      'Risk (design phase): Stale heartbeats',
      'Acceptance criterion (requirements phase): Search ranks by capability fit',
    ]);
  });

  it('counts tokens with a real tokenizer, not characters', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('x'.repeat(100))).toBeLessThan(100);
  });

  it('keeps key points first and fits the default budget of 2000 tokens', () => {
    const { summary, tokens } = summarizeContext(context);
    expect(tokens).toBeLessThanOrEqual(DEFAULT_SUMMARY_TOKENS);
    expect(tokens).toBeGreaterThan(DEFAULT_SUMMARY_TOKENS - 20);
    expect(countTokens(summary)).toBe(tokens);
    expect(summary.split('\n').slice(0, 4)).toEqual(extractKeyPoints(context));
    expect(summary).toContain('scope clarifications (requirements phase): No multi-tenant support');
    expect(summary.endsWith('…')).toBe(true);
    expect(summary).not.toContain('old summary');
  });

  it('keeps everything when it fits', () => {
    const small: TicketContext = { design_phase: { design_decisions: ['a'], architecture_doc: 'short' } };
    expect(summarizeContext(small).summary).toBe('Decision (design phase): a\narchitecture doc (design phase): short');
  });

  it('never exceeds any budget', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.array(fc.string(), { maxLength: 10 }), (budget, decisions) => {
        const { summary, tokens } = summarizeContext({ ...context, design_phase: { design_decisions: decisions } }, budget);
        expect(tokens).toBeLessThanOrEqual(budget);
        expect(countTokens(summary)).toBe(tokens);
      }),
      { numRuns: 50 },
    );
  });

  describe('PhaseSummaryCache (issue 8 §3: one summary per phase run)', () => {
    const expected = (ctx: TicketContext, phase: Phase) => summarizeContext(contextForPhase(ctx, phase)).summary;

    it('gives the summary of what the phase may see, for each phase', () => {
      const cache = new PhaseSummaryCache();
      for (const phase of [Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION, Phase.TESTING]) {
        expect(cache.summaryFor('t1', context, phase)).toBe(expected(context, phase));
        expect(cache.summaryFor('t1', context, phase)).toBe(expected(context, phase));
      }
    });

    it('summarizes afresh when the context the phase sees changed, and keeps it when only a later phase changed', () => {
      const cache = new PhaseSummaryCache();
      expect(cache.summaryFor('t1', context, Phase.TESTING)).toContain('Risk (design phase): Stale heartbeats');
      const changed: TicketContext = { ...context, design_phase: { risks: ['Clock skew'] } };
      expect(cache.summaryFor('t1', changed, Phase.TESTING)).toBe(expected(changed, Phase.TESTING));
      expect(cache.summaryFor('t1', changed, Phase.TESTING)).toContain('Risk (design phase): Clock skew');
      const later: TicketContext = { ...changed, testing_phase: { risks: ['Flaky test'] } };
      expect(cache.summaryFor('t1', later, Phase.TESTING)).toBe(expected(changed, Phase.TESTING));
    });

    it('keeps tickets apart and stays right when it evicts', () => {
      const cache = new PhaseSummaryCache(1);
      const other: TicketContext = { requirements_phase: { key_decisions: ['Only CSV'] } };
      for (let round = 0; round < 2; round++) {
        expect(cache.summaryFor('t1', context, Phase.DESIGN)).toBe(expected(context, Phase.DESIGN));
        expect(cache.summaryFor('t2', other, Phase.DESIGN)).toBe('Decision (requirements phase): Only CSV');
      }
    });
  });
});
